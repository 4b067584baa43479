"""Run untrusted notebook code in a fresh, fenced-in kernel (private to :mod:`course_utils.grading.grade`).

Layers, each used where the machine allows it:

* **bubblewrap** (``bwrap``): the kernel sees a minimal read-only file system (system
  directories, the Python installation and the course package), a private ``/tmp``, its own
  scratch folder, no network, and no other processes. The submissions and results folders
  are replaced by *decoys*: writable look-alike folders that the grader inspects afterwards,
  so an attempt to delete or overwrite them changes nothing real and is noticed.
* **another user**: when the grader runs as root, the kernel runs as ``nobody``.
* **resource limits**, always: address space (``--max-memory``), file size, no core dumps,
  and a process count when running as ``nobody``.
* **watchdogs** in the grader: a per-cell timeout (interrupt, then kill), the resident memory
  of the kernel's whole process tree, and the size of its scratch folder.

The kernel talks to the grader over Unix sockets in the scratch folder (``ipc`` transport),
which works across the network namespace.
"""

from __future__ import annotations

import json
import os
import pwd
import queue
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

NOBODY = "nobody"
#: Resource limits besides memory.
MAX_FILE_BYTES = 512 * 2**20
MAX_SCRATCH_BYTES = 1024 * 2**20
MAX_PROCESSES = 1024
TMPFS_BYTES = 256 * 2**20
#: Seconds a kernel gets to stop after an interrupt before it is killed.
INTERRUPT_GRACE = 3.0
#: Text kept per cell, for the records (an export cell may keep more).
MAX_CELL_TEXT = 20_000

_ENV_KEEP = (
    "PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "TZ", "TERM",
    "PYTHONPATH", "PYTHONHASHSEED", "VIRTUAL_ENV",
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
)

# Runs inside the sandbox, before the kernel: set limits, drop privileges, exec the kernel.
_WRAPPER = r"""
import os, resource, sys
memory, fsize, nproc, uid, gid = (int(v) for v in sys.argv[1:6])
if memory > 0:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
if uid >= 0:
    if nproc > 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
os.execv(sys.argv[6], sys.argv[6:])
"""

_PROBE = (
    "import json, sys, os, ipykernel, nbformat; "
    "import course_utils; "
    "print(json.dumps({'path': sys.path, 'uid': os.getuid(), 'package': os.path.dirname(course_utils.__file__)}))"
)


@dataclass
class Sandbox:
    """How kernels are fenced in on this machine (found once by :func:`probe`)."""

    bwrap: str | None = None
    uid: int = -1
    gid: int = -1
    binds: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def description(self) -> str:
        parts = ["bubblewrap" if self.bwrap else "no sandbox"]
        parts.append(f"kernel user {NOBODY}" if self.uid >= 0 else "kernel runs as the grader's user")
        return ", ".join(parts)


def _kernel_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP or k.startswith("LC_")}
    env.setdefault("PATH", os.defpath)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    env.update(
        HOME=str(home),
        MPLCONFIGDIR=str(home / ".config" / "matplotlib"),
        IPYTHONDIR=str(home / ".ipython"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_CONFIG_HOME=str(home / ".config"),
        JUPYTER_RUNTIME_DIR=str(home / ".jupyter-runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _bwrap_args(sandbox: Sandbox, scratch: Path, decoys: dict[str, Path]) -> list[str]:
    args = [
        sandbox.bwrap,
        "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent", "--new-session",
    ]
    if os.geteuid() != 0:
        args.append("--unshare-user")
    root = Path("/")
    for entry in sorted(root.iterdir()):
        if entry.is_symlink() and entry.name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            args += ["--symlink", os.readlink(entry), str(entry)]
    for path in ("/usr", "/etc"):
        if os.path.isdir(path):
            args += ["--ro-bind", path, path]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--perms", "1777", "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp"]
    args += ["--perms", "1777", "--size", str(TMPFS_BYTES), "--tmpfs", "/dev/shm"]
    # After the private /tmp, so that a Python or course checkout living under /tmp stays visible.
    args += _parents(sandbox.binds, ())
    for path in sandbox.binds:
        args += ["--ro-bind", path, path]
    mounts = [str(scratch)] + list(decoys)
    args += _parents(mounts, tuple(sandbox.binds))
    args += ["--bind", str(scratch), str(scratch)]
    for real, decoy in decoys.items():
        args += ["--bind", str(decoy), real]
    return args


def _parents(paths, bound: tuple[str, ...]) -> list[str]:
    """Create the parent folders of mount points world-traversable (bwrap makes them 0700)."""
    args, seen = [], set()
    for path in sorted(paths):
        for parent in reversed(Path(path).parents):
            text = str(parent)
            if text == "/" or text in seen or _under(text, ("/usr", "/etc", "/proc", "/dev")) or _under(text, bound):
                continue
            if any(_under(text, (p,)) for p in paths if p != path and _under(path, (p,))):
                continue
            seen.add(text)
            args += ["--perms", "0755" if text != "/tmp" else "1777", "--dir", text]
    return args


def _wrapper_args(sandbox: Sandbox, max_memory_mb: int) -> list[str]:
    memory = int(max_memory_mb) * 2**20 if max_memory_mb else 0
    return [
        sys.executable, "-I", "-S", "-c", _WRAPPER,
        str(memory), str(MAX_FILE_BYTES), str(MAX_PROCESSES), str(sandbox.uid), str(sandbox.gid),
    ]


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def probe(package_dir: Path, *, use_sandbox: bool = True, workdir: Path) -> Sandbox:
    """Find the strongest isolation that works here: bubblewrap and/or user ``nobody``."""
    notes = []
    bwrap = shutil.which("bwrap") if use_sandbox else None
    if use_sandbox and not bwrap:
        notes.append("bubblewrap (bwrap) not found: kernels run without a sandbox; install it (Debian: apt-get install bubblewrap)")
    ids = (-1, -1)
    if os.geteuid() == 0:
        try:
            entry = pwd.getpwnam(NOBODY)
            ids = (entry.pw_uid, entry.pw_gid)
        except KeyError:
            notes.append(f"no user {NOBODY!r}: kernels run as root")
    candidates = []
    for tool in ([bwrap] if bwrap else []) + [None]:
        for uid, gid in ([ids] if ids[0] >= 0 else []) + [(-1, -1)]:
            candidates.append(Sandbox(bwrap=tool, uid=uid, gid=gid))
    env = _kernel_env(workdir)
    for candidate in candidates:
        scratch = Path(os.path.realpath(workdir)) / f"probe-{len(notes)}-{candidate.uid}-{bool(candidate.bwrap)}"
        scratch.mkdir(parents=True, exist_ok=True)
        if candidate.uid >= 0:
            os.chown(scratch, candidate.uid, candidate.gid)
        if candidate.bwrap:
            candidate.binds = _python_binds(package_dir)
        command = _launch_prefix(candidate, scratch, {}, 0) + [sys.executable, "-c", _PROBE]
        try:
            done = subprocess.run(command, env=dict(env, HOME=str(scratch)), capture_output=True, text=True, timeout=60, cwd=scratch)
        except (OSError, subprocess.TimeoutExpired) as error:
            notes.append(f"{candidate.description}: {error}")
            continue
        if done.returncode == 0:
            if candidate.bwrap:
                info = json.loads(done.stdout.strip().splitlines()[-1])
                extra = [p for p in info["path"] if p and os.path.isabs(p) and os.path.isdir(p)]
                candidate.binds = _dedupe(candidate.binds + extra)
            candidate.notes = notes
            return candidate
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        notes.append(f"could not start a kernel with {candidate.description}: {reason}")
    raise RuntimeError("no way to start a Python kernel here: " + "; ".join(notes))


def _dedupe(paths: list[str]) -> list[str]:
    out = []
    for path in sorted({os.path.realpath(p) for p in paths if p and os.path.exists(p)} | {p for p in paths if p and os.path.exists(p)}):
        if _under(path, ("/usr", "/etc", "/proc", "/dev")) or path in ("/", "/tmp"):
            continue
        if any(_under(path, (kept,)) for kept in out):
            continue
        out.append(path)
    return out


def _python_binds(package_dir: Path) -> list[str]:
    paths = [sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))]
    paths += [os.path.dirname(sys.executable), str(package_dir)]
    paths += [os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    paths += [os.path.abspath(p) for p in sys.path if p and os.path.isdir(p) and os.path.abspath(p) != os.getcwd()]
    return _dedupe(paths)


def _launch_prefix(sandbox: Sandbox, scratch: Path, decoys: dict[str, Path], max_memory_mb: int, chdir: Path | None = None) -> list[str]:
    prefix = _bwrap_args(sandbox, scratch, decoys) + ["--chdir", str(chdir or scratch)] if sandbox.bwrap else []
    return prefix + _wrapper_args(sandbox, max_memory_mb)


# --------------------------------------------------------------------------- #
# One kernel
# --------------------------------------------------------------------------- #


@dataclass
class Run:
    """What happened to one execute request."""

    status: str  # ok, error, timeout, memory, died, disk
    seconds: float = 0.0
    ename: str = ""
    evalue: str = ""
    stdout: str = ""
    text: str = ""  # other outputs, shortened
    killed: bool = False  # the kernel had to be killed (it is gone)

    def to_dict(self) -> dict:
        out = {"status": self.status, "seconds": round(self.seconds, 3)}
        if self.ename:
            out.update(ename=self.ename, evalue=self.evalue[:500])
        if self.killed:
            out["kernel_killed"] = True
        return out


class Kernel:
    """A fresh IPython kernel in ``scratch``, fenced in as ``sandbox`` says."""

    def __init__(self, sandbox: Sandbox, scratch: Path, *, max_memory_mb: int, decoys: dict[str, Path], log_path: Path):
        self.sandbox = sandbox
        self.scratch = scratch
        self.max_memory_mb = max_memory_mb
        self.decoys = decoys
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.kc = None
        self._kernel_pid: int | None = None
        self._last_watch = 0.0

    # -- life cycle ---------------------------------------------------------- #
    def start(self, timeout: float = 90.0) -> None:
        from jupyter_client import BlockingKernelClient
        from jupyter_client.connect import write_connection_file

        # A fresh folder per start: the notebook may have replaced anything it could write.
        self.scratch.mkdir(parents=True, exist_ok=True)
        conn_dir = self.scratch / f"conn-{os.urandom(8).hex()}"
        conn_dir.mkdir(mode=0o700)
        for name in ("work", "home"):
            (self.scratch / name).mkdir(exist_ok=True)
        for decoy in self.decoys.values():
            decoy.mkdir(parents=True, exist_ok=True)
        connection = conn_dir / "kernel.json"
        write_connection_file(str(connection), transport="ipc", ip=str(connection.with_suffix("")) + "-ipc")
        if self.sandbox.uid >= 0:
            for path in [conn_dir, connection]:
                os.chown(path, self.sandbox.uid, self.sandbox.gid)
        home = self.scratch / "home"
        command = _launch_prefix(self.sandbox, self.scratch, self.decoys, self.max_memory_mb, self.scratch / "work") + [
            sys.executable, "-m", "ipykernel_launcher", "-f", str(connection),
            "--HistoryManager.hist_file=:memory:", "--IPKernelApp.no_stdout=False",
        ]
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                command, env=_kernel_env(home), cwd=self.scratch / "work", stdin=subprocess.DEVNULL,
                stdout=log, stderr=log, start_new_session=True,
            )
        finally:
            log.close()
        kc = BlockingKernelClient()
        kc.load_connection_file(str(connection))
        kc.start_channels()
        self.kc = kc
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise RuntimeError(f"the kernel did not start (exit code {self.proc.returncode})")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("the kernel did not answer within %d s" % timeout)
            msg_id = kc.kernel_info()
            if self._wait_shell(msg_id, 1.0) is None:
                continue
            try:  # the iopub subscription is live once a status message arrives
                kc.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                continue
            break
        self._drain_iopub()

    def _wait_shell(self, msg_id: str, timeout: float):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                msg = self.kc.get_shell_msg(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                return None
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg
        return None

    def _drain_iopub(self) -> None:
        while True:
            try:
                self.kc.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                return

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.proc.pid)
            return [root] + root.children(recursive=True)
        except psutil.Error:
            return []

    def _kernel_process(self):
        if self._kernel_pid is not None:
            try:
                return psutil.Process(self._kernel_pid)
            except psutil.Error:
                return None
        for process in reversed(self._tree()):  # the kernel, not the bwrap processes above it
            try:
                cmdline = process.cmdline()
                if cmdline and os.path.basename(cmdline[0]) != "bwrap" and "ipykernel_launcher" in cmdline:
                    self._kernel_pid = process.pid
                    return process
            except psutil.Error:
                continue
        return None

    def interrupt(self) -> None:
        process = self._kernel_process()
        if process is not None:
            try:
                process.send_signal(signal.SIGINT)
            except psutil.Error:
                pass

    def kill(self) -> None:
        if self.proc is None:
            return
        for process in reversed(self._tree()):
            try:
                process.kill()
            except psutil.Error:
                pass
        try:
            self.proc.kill()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:  # noqa: BLE001
                pass
            self.kc = None

    # -- watchdogs ----------------------------------------------------------- #
    def _memory_bytes(self) -> int:
        total = 0
        for process in self._tree():
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue
        return total

    def _scratch_bytes(self) -> int:
        total = 0
        for folder, _dirs, files in os.walk(self.scratch):
            for name in files:
                try:
                    total += os.lstat(os.path.join(folder, name)).st_size
                except OSError:
                    continue
        return total

    def _watch(self) -> str | None:
        now = time.monotonic()
        if now - self._last_watch < 0.5:
            return None
        self._last_watch = now
        if self.max_memory_mb and self._memory_bytes() > self.max_memory_mb * 2**20:
            return "memory"
        if self._scratch_bytes() > MAX_SCRATCH_BYTES:
            return "disk"
        return None

    # -- execution ------------------------------------------------------------ #
    def execute(self, code: str, timeout: float, *, silent: bool = False, keep_stdout: int = MAX_CELL_TEXT) -> Run:
        """Run ``code``; never raises for anything the code does."""
        start = time.monotonic()
        msg_id = self.kc.execute(code, silent=silent, store_history=not silent, allow_stdin=False, stop_on_error=False)
        deadline = start + timeout
        interrupted_at = None
        stdout: list[str] = []
        stdout_len = 0
        text: list[str] = []
        ename = evalue = ""
        while True:
            now = time.monotonic()
            if not self.alive():
                return self._dead(start, stdout, ename, evalue)
            if interrupted_at is None and now > deadline:
                self.interrupt()
                interrupted_at = now
            if interrupted_at is not None and now > interrupted_at + INTERRUPT_GRACE:
                self.kill()
                return Run("timeout", now - start, "Timeout", f"did not finish within {timeout:g} s", "".join(stdout), killed=True)
            reason = self._watch()
            if reason:
                self.kill()
                limit = f"{self.max_memory_mb} MB of memory" if reason == "memory" else "the disk space allowed"
                return Run(reason, now - start, "ResourceLimit", f"used more than {limit}", "".join(stdout), killed=True)
            try:
                msg = self.kc.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                break
            if kind == "stream" and content.get("name") == "stdout":
                piece = str(content.get("text", ""))
                if stdout_len < keep_stdout:
                    stdout.append(piece[: keep_stdout - stdout_len])
                    stdout_len += len(piece)
            elif kind == "stream":
                self._keep(text, str(content.get("text", "")))
            elif kind == "error":
                ename, evalue = str(content.get("ename", "")), str(content.get("evalue", ""))
            elif kind in ("execute_result", "display_data"):
                self._keep(text, str(content.get("data", {}).get("text/plain", "")))
        self._drain_shell()
        seconds = time.monotonic() - start
        if interrupted_at is not None:
            return Run("timeout", seconds, ename or "Timeout", f"did not finish within {timeout:g} s; interrupted", "".join(stdout), "".join(text))
        status = "memory" if ename == "MemoryError" else "error" if ename else "ok"
        return Run(status, seconds, ename, evalue, "".join(stdout), "".join(text))

    @staticmethod
    def _keep(text: list[str], piece: str) -> None:
        if sum(map(len, text)) < MAX_CELL_TEXT:
            text.append(piece[:MAX_CELL_TEXT])

    def _drain_shell(self) -> None:
        while True:
            try:
                self.kc.get_shell_msg(timeout=0)
            except queue.Empty:
                return

    def _dead(self, start: float, stdout: list[str], ename: str, evalue: str) -> Run:
        code = self.proc.returncode
        # Killed by the kernel's OOM killer, or aborted by an allocation failure under RLIMIT_AS.
        memory = code in (-signal.SIGKILL, 128 + signal.SIGKILL, -signal.SIGABRT, 128 + signal.SIGABRT) or ename == "MemoryError"
        try:
            tail = self.log_path.read_bytes()[-4000:].decode("utf-8", "replace")
        except OSError:
            tail = ""
        if any(word in tail for word in ("MemoryError", "bad_alloc", "Cannot allocate memory", "out of memory")):
            memory = True
        self.kill()
        status = "memory" if memory else "died"
        return Run(status, time.monotonic() - start, "KernelDied", f"the kernel stopped (exit code {code})", "".join(stdout), killed=True)
