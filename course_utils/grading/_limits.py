"""Per-kernel resource limits (private to :mod:`course_utils.grading._sandbox`).

Three building blocks, each for one kernel only, so that one submission exhausting a limit never
costs another anything:

* a **user id of its own** (:class:`UidPool`) when the grader runs as root: ``RLIMIT_NPROC``,
  signals and file ownership are then per kernel;
* a **cgroup** (:class:`Cgroup`, v2 or v1) where the machine lets the grader make one: a hard cap on
  the memory in use (resident memory of all the kernel's processes, and what it keeps in tmpfs) and
  on the number of processes and threads, and, where the CPU controller is there, a CPU share of its
  own: the scheduler then shares the cores between kernels, not between their processes, so a kernel
  that starts 200 busy processes gets no more CPU than an honest neighbour (red-team round 3 measured
  an honest notebook's setup cell time out beside one). Shares only, no quota: an idle core is still
  used by whoever needs it;
* **rlimits** (:func:`rlimits`): no core dumps, a file-size cap, a process cap, and an address-space
  cap that is only a generous backstop (an address-space cap as tight as the memory cap makes honest
  BLAS/OpenMP code hang or die: it reserves far more address space than it uses).
"""

from __future__ import annotations

import os
import pwd
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

#: Processes and threads one kernel may have (an honest kernel has about 15).
MAX_TASKS = 256
#: Largest file a kernel may write (its scratch space is capped anyway).
MAX_FILE_BYTES = 512 * 2**20
#: Open files a kernel may hold (the usual default; an honest kernel holds about 60). Each open socket can hold
#: a few hundred KB of buffers that no process's resident memory shows: this bounds them (red-team 5).
MAX_OPEN_FILES = 1024
#: Kernel user ids are drawn from this range, far above any account of a real system.
UID_RANGE = (1_500_000_000, 1_900_000_000)


def address_space_backstop(max_memory_bytes: int) -> int:
    """``RLIMIT_AS``: four times the memory cap and at least 8 GiB, never the cap itself."""
    return max(4 * max_memory_bytes, 8 * 2**30)


def rlimits(max_memory_bytes: int) -> dict[str, int]:
    """The rlimits of a kernel's processes, by ``resource`` constant name."""
    limits = {"RLIMIT_CORE": 0, "RLIMIT_FSIZE": MAX_FILE_BYTES, "RLIMIT_NPROC": MAX_TASKS,
              "RLIMIT_NOFILE": MAX_OPEN_FILES}
    if max_memory_bytes:
        limits["RLIMIT_AS"] = address_space_backstop(max_memory_bytes)
    return limits


# --------------------------------------------------------------------------- #
# A user id per kernel
# --------------------------------------------------------------------------- #


class UidPool:
    """Hands out user ids that no account and no running process uses, one per live kernel."""

    def __init__(self):
        self._held: set[int] = set()
        self._lock = threading.Lock()

    def acquire(self) -> int:
        with self._lock:
            busy = _uids_in_use()
            for _attempt in range(1000):
                uid = random.randrange(*UID_RANGE)
                if uid in self._held or uid in busy or _has_account(uid):
                    continue
                self._held.add(uid)
                return uid
        raise RuntimeError("no free user id for a kernel")

    def release(self, uid: int) -> None:
        """Kill whatever still runs as ``uid`` (a process that escaped its kernel), then free it."""
        kill_user(uid)
        with self._lock:
            self._held.discard(uid)


def _uids_in_use() -> set[int]:
    uids = set()
    for process in psutil.process_iter(["uids"]):
        try:
            uids.update(process.info["uids"] or ())
        except (psutil.Error, TypeError):
            continue
    return uids


def _has_account(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return False


def kill_user(uid: int) -> int:
    """SIGKILL every process whose real or effective user is ``uid``; returns how many."""
    killed = 0
    for _round in range(5):
        found = 0
        for process in psutil.process_iter(["uids"]):
            try:
                uids = process.info["uids"]
                if uids and uid in (uids.real, uids.effective):
                    process.kill()
                    found += 1
            except psutil.Error:
                continue
        killed += found
        if not found:
            break
        time.sleep(0.05)
    return killed


# --------------------------------------------------------------------------- #
# A cgroup per kernel
# --------------------------------------------------------------------------- #


@dataclass
class _Hierarchies:
    """Where this process's cgroups are: ``v2`` folder, or v1 folders by controller."""

    v2: Path | None = None
    v1: dict[str, Path] = field(default_factory=dict)


def _own_cgroups() -> _Hierarchies:
    found = _Hierarchies()
    try:
        memberships = Path("/proc/self/cgroup").read_text().splitlines()
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    by_controller = {}
    for line in memberships:
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(",") if parts[1] else [""]:
                by_controller[controller] = parts[2]
    for line in mounts:
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        root, mountpoint, fstype, options = fields[3], fields[4], tail[0], tail[2].split(",")
        wanted = [""] if fstype == "cgroup2" else [c for c in ("memory", "pids", "cpu") if c in options] if fstype == "cgroup" else []
        for controller in wanted:
            own = by_controller.get(controller)
            if own is None or not (own == root or own.startswith(root.rstrip("/") + "/")):
                continue
            folder = Path(mountpoint) / own[len(root):].lstrip("/")
            if controller == "":
                found.v2 = folder
            else:
                found.v1.setdefault(controller, folder)
    return found


class Cgroup:
    """Memory and process caps for one kernel; :meth:`create` returns None where none can be made."""

    def __init__(self, folders: dict[str, Path], version: int):
        self.folders = folders  # controller ("memory", "pids") -> folder; the same folder under v2
        self.version = version

    @classmethod
    def create(cls, name: str, memory_bytes: int, tasks: int = MAX_TASKS) -> Cgroup | None:
        where = _own_cgroups()
        for make in (cls._make_v2, cls._make_v1):
            try:
                group = make(where, name, memory_bytes, tasks)
            except OSError:
                group = None
            if group is not None:
                return group
        return None

    @classmethod
    def _make_v2(cls, where: _Hierarchies, name: str, memory_bytes: int, tasks: int):
        if where.v2 is None or not (where.v2 / "cgroup.subtree_control").exists():
            return None
        enabled = (where.v2 / "cgroup.subtree_control").read_text().split()
        missing = [c for c in ("memory", "pids") if c not in enabled]
        if missing:  # only possible where this cgroup holds no process itself (the v2 rule)
            (where.v2 / "cgroup.subtree_control").write_text(" ".join("+" + c for c in missing))
        folder = where.v2 / name
        folder.mkdir()
        group = cls({"memory": folder, "pids": folder}, 2)
        if cls._cpu_v2(where.v2):
            group.folders["cpu"] = folder
        try:
            if memory_bytes:
                (folder / "memory.max").write_text(str(memory_bytes))
                if (folder / "memory.swap.max").exists():
                    (folder / "memory.swap.max").write_text("0")
            (folder / "pids.max").write_text(str(tasks))
        except OSError:
            group.remove()
            raise
        return group

    @staticmethod
    def _cpu_v2(parent: Path) -> bool:
        """Whether the kernels' cgroups get a CPU share of their own (optional: memory and tasks do not need it)."""
        try:
            if "cpu" in (parent / "cgroup.subtree_control").read_text().split():
                return True
            if "cpu" in (parent / "cgroup.controllers").read_text().split():
                (parent / "cgroup.subtree_control").write_text("+cpu")
                return True
        except OSError:
            pass
        return False

    @classmethod
    def _make_v1(cls, where: _Hierarchies, name: str, memory_bytes: int, tasks: int):
        if "memory" not in where.v1 and "pids" not in where.v1:
            return None
        folders = {}
        group = cls(folders, 1)
        try:
            if "memory" in where.v1 and memory_bytes:
                folder = where.v1["memory"] / name
                folder.mkdir()
                folders["memory"] = folder
                (folder / "memory.limit_in_bytes").write_text(str(memory_bytes))
                if (folder / "memory.memsw.limit_in_bytes").exists():
                    (folder / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
            if "pids" in where.v1:
                folder = where.v1["pids"] / name
                folder.mkdir()
                folders["pids"] = folder
                (folder / "pids.max").write_text(str(tasks))
        except OSError:
            group.remove()
            raise
        if folders and "cpu" in where.v1:
            try:  # optional, as under v2
                (where.v1["cpu"] / name).mkdir()
                folders["cpu"] = where.v1["cpu"] / name
            except OSError:
                pass
        return group if folders else None

    @property
    def limits_memory(self) -> bool:
        return "memory" in self.folders

    @property
    def limits_tasks(self) -> bool:
        return "pids" in self.folders

    @property
    def procs_files(self) -> list[str]:
        """The files a process writes its pid into to join (every folder once)."""
        return sorted({str(folder / "cgroup.procs") for folder in self.folders.values()})

    def memory_bytes(self) -> int | None:
        folder = self.folders.get("memory")
        if folder is None:
            return None
        try:
            return int((folder / ("memory.current" if self.version == 2 else "memory.usage_in_bytes")).read_text())
        except (OSError, ValueError):
            return None

    def peak_bytes(self) -> int | None:
        """Most memory the cgroup has used, where the kernel keeps count."""
        folder = self.folders.get("memory")
        if folder is None:
            return None
        try:
            return int((folder / ("memory.peak" if self.version == 2 else "memory.max_usage_in_bytes")).read_text())
        except (OSError, ValueError):
            return None

    def oom_killed(self) -> bool:
        """Whether the kernel's out-of-memory killer stopped a process of this cgroup."""
        folder = self.folders.get("memory")
        if folder is None:
            return False
        try:
            text = (folder / ("memory.events" if self.version == 2 else "memory.oom_control")).read_text()
        except OSError:
            return False
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit() and int(value) > 0:
                return True
        if self.version == 1:
            try:
                return int((folder / "memory.failcnt").read_text()) > 0 and "under_oom 1" in text
            except (OSError, ValueError):
                return False
        return False

    def pids(self) -> set[int]:
        found = set()
        for procs in self.procs_files:
            try:
                found.update(int(p) for p in Path(procs).read_text().split())
            except (OSError, ValueError):
                continue
        return found

    def kill(self) -> None:
        """SIGKILL every process in the cgroup (until none is left, or a few rounds)."""
        for _round in range(20):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def remove(self) -> None:
        self.kill()
        for folder in set(self.folders.values()):
            for _attempt in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def describe_cgroups() -> str:
    """What this machine offers, for the grader's description: ``"cgroup v2"``, ``"cgroup v1"`` or ``""``."""
    probe = Cgroup.create(f"course-grade-probe-{os.getpid()}", 64 * 2**20)
    if probe is None:
        return ""
    try:
        parts = [c for c in ("memory", "pids", "cpu") if c in probe.folders]
        return f"cgroup v{probe.version} ({', '.join(parts[:-1])} and {parts[-1]})" if len(parts) > 1 else \
            f"cgroup v{probe.version} ({parts[0]})"
    finally:
        probe.remove()


__all__ = ["Cgroup", "UidPool", "rlimits", "kill_user", "describe_cgroups", "address_space_backstop", "MAX_TASKS"]
