"""The grader's sandbox and limits, attacked as a determined student would attack them.

One class is graded with the real command line (``--seed N`` on it, ``--jobs 2``, bubblewrap): attack
notebooks, each followed by an honest student (the fastest solution, unchanged), so that attackers
and honest kernels run side by side. An attack cell raises ``ATTACK SUCCEEDED: ...`` when it gets
anywhere; effects it could have outside (files, processes, other students' marks) are checked from
outside too. In every attack test, every honest student gets full marks.

A second class: every solution under ``--max-memory 768 --cell-timeout 20`` (full marks, although an
address-space cap that tight used to zero them all) and a memory bomb (status ``memory``).

Bubblewrap: CI (``.ci/run`` installs it) and any root run must have it, so these tests fail loudly
there without it. They skip only for a non-root developer on a machine where it cannot run.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from conftest import ROOT
from course_utils.authoring.notebooks import exercise_key
from course_utils.exercises import load
from course_utils.grading import _sandbox

pytestmark = pytest.mark.notebook

SEED = 73_519_246
MARK = "g10a-attack-marker-5c1e"
HONEST_KEY = "ex02"  # the quickest solution to grade
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


def _solution(key: str) -> Path:
    return next(p for p in SOLUTIONS if exercise_key(p) == key)


@pytest.fixture(scope="module")
def bwrap_ready(tmp_path_factory):
    """Bubblewrap must work in CI and as root; elsewhere its absence skips (a developer's laptop)."""
    try:
        _sandbox.probe(ROOT / "course_utils", workdir=tmp_path_factory.mktemp("probe") / "probe")
    except _sandbox.SandboxError as error:
        if os.environ.get("CI") or os.geteuid() == 0:
            pytest.fail(f"the grader's sandbox must work here: {error}")
        pytest.skip(f"bubblewrap cannot run here as a normal user: {error}")


def _grade_cli(subs: Path, out: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "course_utils.grade", str(subs), "--out", str(out), "--seed", str(SEED), "--quiet", *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=900, env=env, cwd=ROOT)


def _attacker(cells: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["course"] = {"exercise": HONEST_KEY}
    return nb


# --------------------------------------------------------------------------- #
# Attack cells
# --------------------------------------------------------------------------- #

_PRELUDE_TEMPLATE = '''
import glob, json, os, signal, socket, stat, subprocess, sys, time
SUBS, OUT, SEED, MARK, HOME = {subs!r}, {out!r}, {seed!r}, {mark!r}, {home!r}
found = []
def verdict():
    if found:
        raise RuntimeError("ATTACK SUCCEEDED: " + "; ".join(found)[:400])
    print("attack failed")
'''
_PRELUDE = "#PRELUDE\n"  # filled in per class (paths, seed) by the fixture

_ESCAPE_PLANT = _PRELUDE + '''
# Where the old sandbox kept decoys (inside the writable scratch) and the kernel's own folders: replace
# them with links to the real secrets, and hope the next kernel start bind-mounts them. Only folders of
# the sandbox's own /scratch are ever renamed (nothing outside it exists, were the sandbox ever broken).
targets = [SUBS, OUT, "/", HOME, HOME + "/.ssh"]
for folder in ["/scratch", "/tmp", "/dev/shm", os.getcwd()]:
    try:
        os.makedirs(f"{folder}/decoy-{MARK}", exist_ok=True)
        for i, target in enumerate(targets):
            os.symlink(target, f"{folder}/decoy-{MARK}/{i}")
    except OSError:
        pass
old_decoys = os.path.join(os.path.dirname(os.getcwd()), "decoy")  # the old grader's decoys, next to its folder
if os.path.isdir(old_decoys):
    for name in os.listdir(old_decoys):
        try:
            os.rename(os.path.join(old_decoys, name), os.path.join(old_decoys, name + ".moved"))
            os.symlink(targets[0] if name == sorted(os.listdir(old_decoys))[0] else targets[1], os.path.join(old_decoys, name))
        except OSError:
            pass
if os.path.isdir("/scratch/conn") and os.path.exists("/scratch/conn/kernel.json"):  # only in the sandbox
    for name in ("work", "home", "conn"):
        try:
            os.rename(f"/scratch/{name}", f"/scratch/{name}.moved")
            os.symlink(targets[0] if name == "work" else targets[1], f"/scratch/{name}")
        except OSError:
            pass
'''
_ESCAPE_RESTART = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)  # force a kernel restart"
_ESCAPE_CHECK = _PRELUDE + '''
for path in (SUBS, OUT, HOME + "/.ssh", HOME + "/.bashrc"):
    if os.path.exists(path):
        found.append("sees " + path)
    try:
        names = os.listdir(path)
        if set(names) & {"00b_honest", "01b_honest"}:
            found.append(f"sees the REAL submissions at {path}")
        if "details.json" in names and "honest" in open(os.path.join(path, "details.json"), errors="replace").read():
            found.append(f"sees the REAL results at {path}")
    except OSError:
        pass
planted = ["/scratch", "/scratch/work.moved", "/tmp", "/dev/shm"]
for link in [f"{folder}/decoy-{MARK}/{i}" for folder in planted for i in range(5)] + ["/scratch/work", "/scratch/home", "/scratch/conn"]:
    if os.path.islink(link):
        if os.path.isdir(link) and set(os.listdir(link)) & {"00b_honest", "details.json", "grades.csv", ".ssh", "wt"}:
            found.append(f"{link} leads somewhere: {sorted(os.listdir(link))[:5]}")
verdict()
'''

_SECRETS = _PRELUDE + '''
if os.getuid() == 0 or os.geteuid() == 0:
    found.append("runs as root")
caps = open("/proc/self/status").read().split("CapEff:")[1].split()[0]
if int(caps, 16):
    found.append("has capabilities " + caps)
for path in ("/etc/shadow", OUT + "/details.json", OUT + "/grades.csv", HOME + "/.ssh/id_rsa", HOME + "/.bashrc", "/root/.bashrc"):
    try:
        with open(path, "rb") as handle:
            handle.read(10)
        found.append("read " + path)
    except OSError:
        pass
# Only the folders leading to the Python installation and the course package may show.
import course_utils
allowed = {part for path in (sys.prefix, sys.base_prefix, os.path.dirname(course_utils.__file__)) for part in path.split("/")}
# The capstone's held-out rows ship in the package for learners' own checks; a graded kernel must not read them.
for vault in glob.glob(os.path.join(os.path.dirname(course_utils.__file__), "datasets", "*vault*")):
    try:
        if open(vault, "rb").read(10):
            found.append("read the held-out rows " + os.path.basename(vault))
    except OSError:
        pass
for folder in (SUBS, OUT, HOME, HOME + "/.ssh", "/root"):
    try:
        names = os.listdir(folder)
    except OSError:
        continue
    if set(names) - allowed:
        found.append(f"listed {folder}: {sorted(set(names) - allowed)[:5]}")
# The seed, in any form this kernel can see: command lines, environments, files (but this notebook's own copy).
processes = [json.dumps(dict(os.environ))]
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    for what in ("cmdline", "environ"):
        try:
            processes.append(open(f"/proc/{pid}/{what}", "rb").read().decode("utf-8", "replace"))
        except OSError:
            pass
files = []
for top in ("/scratch", "/tmp", "/dev/shm"):
    for folder, _dirs, names in os.walk(top):
        for name in names:
            if name != "attack.ipynb":
                try:
                    files.append(open(os.path.join(folder, name), "rb").read(2**20).decode("utf-8", "replace"))
                except OSError:
                    pass
if any(str(SEED) in text for text in processes + files):
    found.append("found the seed")
if any("--seed" in text or "course_utils.grade" in text for text in processes):
    found.append("sees the grader's command line")
verdict()
'''

_DAEMON = _PRELUDE + '''
# Outlive the kernel, then rewrite the gradebook once the grader is done.
script = f"""
import time
for _ in range(1200):
    time.sleep(0.25)
    for path in ({OUT + '/grades.csv'!r}, {SUBS + '/pwned.txt'!r}):
        try:
            open(path, "w").write("mallory,100")
        except OSError:
            pass
"""
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", script, MARK])
    os._exit(0)
os.waitpid(pid, 0)
time.sleep(1)
verdict()
'''

_KILLER = _PRELUDE + '''
# Kill every other grader kernel in sight (their command lines name a grader's folder), for a while;
# and guess process ids blindly with signal 0 (a harmless probe: it only tells whether a kill would work).
me = os.getpid()
end = time.time() + 8
killed, reachable = 0, set()
while time.time() < end:
    for pid in [p for p in os.listdir("/proc") if p.isdigit() and int(p) != me]:
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode("utf-8", "replace")
        except OSError:
            continue
        if "ipykernel_launcher" in cmdline and ("course-grade-" in cmdline or "/scratch/conn/" in cmdline):
            try:
                os.kill(int(pid), signal.SIGKILL)
                killed += 1
            except OSError:
                pass
    own = {int(t) for t in os.listdir("/proc/self/task")} | {1}  # itself, its threads, its sandbox's init
    for pid in range(2, 32768):
        if pid not in own:
            try:
                os.kill(pid, 0)
                reachable.add(pid)
            except OSError:
                pass
    time.sleep(0.5)
print("killed", killed, "reachable", sorted(reachable)[:10])
if killed:
    found.append(f"killed {killed} other kernels")
if reachable:
    found.append(f"could signal processes {sorted(reachable)[:10]}")
verdict()
'''

_CONNECT = _PRELUDE + '''
# Find another kernel's connection file or sockets, and run code in it.
argv = open("/proc/self/cmdline", "rb").read().decode().split(chr(0))
own = argv[argv.index("-f") + 1]  # this kernel's own connection file, and its sockets beside it
end = time.time() + 8
while time.time() < end and not found:
    for top in ("/", "/tmp", "/dev/shm", "/scratch", "/run", "/var", HOME, os.path.dirname(OUT), "/proc/net"):
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if os.path.join(folder, d) not in ("/proc", "/sys", "/usr", "/etc") and "site-packages" not in d
                       and not os.path.join(folder, d).startswith(("/root/.pyenv", "/work"))]
            for name in files:
                path = os.path.join(folder, name)
                try:
                    info = os.lstat(path)
                except OSError:
                    continue
                if stat.S_ISSOCK(info.st_mode) and os.path.dirname(path) != os.path.dirname(own):
                    try:
                        s = socket.socket(socket.AF_UNIX)
                        s.settimeout(0.2)
                        s.connect(path)
                        found.append("connected to " + path)
                    except OSError:
                        pass
                elif name.endswith(".json") and path != own and stat.S_ISREG(info.st_mode) and info.st_size < 10000:
                    try:
                        if "shell_port" in open(path, errors="replace").read():
                            found.append("read a connection file " + path)
                    except OSError:
                        pass
    for port in list(range(50000, 50100)) + [8888]:  # a TCP kernel on the host's loopback
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.01).close()
            found.append(f"reached TCP port {port}")
        except OSError:
            pass
    time.sleep(0.5)
verdict()
'''

_FORK_BOMB = _PRELUDE + '''
# Exhaust the processes: the per-user limit used to be shared by every kernel.
children = 0
for _ in range(2000):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(40)
        os._exit(0)
    children += 1
print("children", children)
if children >= 2000:
    found.append("started 2000 processes")
time.sleep(5)  # hold them while the next students run
verdict()
'''

_DELETED_FILE = _PRELUDE + '''
# A file deleted while still open: its space is not in any folder listing.
handle = open("deleted.bin", "wb")
os.unlink("deleted.bin")
block = b"x" * 2**20
written = 0
try:
    for _ in range(1024):
        handle.write(block)
        handle.flush()
        written += 1
except OSError:
    pass
print("wrote MB", written)
if written >= 1024:
    found.append("wrote 1 GB")
time.sleep(3)  # the watchdog stops the kernel here
verdict()
'''

_TMP_SHM = _PRELUDE + '''
# /tmp and /dev/shm: the host's, uncapped, in the old grader without a sandbox.
written = {}
for folder in ("/tmp", "/dev/shm"):
    open(os.path.join(folder, MARK), "w").write("x")
    written[folder] = 0
    try:
        with open(os.path.join(folder, MARK + ".bin"), "wb") as handle:
            for _ in range(512):
                handle.write(b"x" * 2**20)
                handle.flush()
                written[folder] += 1
    except OSError:
        pass
print(written)
if max(written.values()) >= 512:
    found.append("wrote 512 MB to /tmp or /dev/shm")
time.sleep(3)
verdict()
'''

_FULL_DISK = _PRELUDE + '''
# Fill the disk, so that a concurrent honest student fails to write and is blamed.
written = 0
try:
    for i in range(1024):
        with open(f"fill-{i}.bin", "wb") as handle:
            handle.write(b"x" * 2**20)
        written += 1
except OSError:
    pass
print("wrote MB", written)
if written >= 1024:
    found.append("wrote 1 GB")
time.sleep(3)
verdict()
'''

#: name -> (cells, statuses the attacker may get)
ATTACKS = {
    "escape": ([_ESCAPE_PLANT, _ESCAPE_RESTART, _ESCAPE_CHECK], {"died"}),
    "secrets": ([_SECRETS], {"ok"}),
    "daemon": ([_DAEMON], {"ok"}),
    "killer": ([_KILLER], {"ok", "died"}),
    "connect": ([_CONNECT], {"ok"}),
    "forkbomb": ([_FORK_BOMB], {"ok", "error"}),
    "deleted": ([_DELETED_FILE], {"disk"}),
    "tmpshm": ([_TMP_SHM], {"disk"}),
    "fulldisk": ([_FULL_DISK], {"disk"}),
}


@pytest.fixture(scope="module")
def attacked(bwrap_ready, tmp_path_factory):
    base = tmp_path_factory.mktemp("attacked")
    subs, out = base / "submissions", base / "results"
    home = os.path.expanduser("~")
    honest_source = _solution(HONEST_KEY)
    honest = []
    for i, (name, (cells, _statuses)) in enumerate(ATTACKS.items()):
        prelude = _PRELUDE_TEMPLATE.format(subs=str(subs), out=str(out), seed=SEED, mark=MARK, home=home)
        filled = [c.replace(_PRELUDE, prelude) for c in cells]
        folder = subs / f"{i:02d}a_{name}"
        folder.mkdir(parents=True)
        nbformat.write(_attacker(filled), folder / "attack.ipynb")
        peer = subs / f"{i:02d}b_honest"
        peer.mkdir()
        shutil.copyfile(honest_source, peer / honest_source.name)
        honest.append(f"{peer.name}/{honest_source.name}")
    before = {p: p.read_bytes() for p in subs.rglob("*.ipynb")}
    started = time.monotonic()
    done = _grade_cli(subs, out, "--jobs", "2", "--cell-timeout", "30")
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    time.sleep(1.5)  # a surviving daemon would write by now
    details = json.loads((out / "details.json").read_text(encoding="utf-8"))
    print(f"\ngraded {len(details['submissions'])} submissions in {seconds:.0f} s", file=sys.stderr)
    for rel, record in sorted(details["submissions"].items()):
        print(f"  {rel}: {record['status']} {record['total']}/{record['max_total']} peak {record.get('memory_peak_mb')} MB",
              file=sys.stderr)
    return {"subs": subs, "out": out, "details": details, "records": details["submissions"], "honest": honest,
            "before": before, "stderr": done.stderr}


def _record(attacked, name: str) -> dict:
    return next(r for rel, r in attacked["records"].items() if rel.split("/")[0].endswith("a_" + name))


def _assert_honest_full_marks(attacked) -> None:
    max_points = load(HONEST_KEY).max_points
    for rel in attacked["honest"]:
        record = attacked["records"][rel]
        assert record["status"] == "ok" and record["total"] == pytest.approx(max_points), (rel, record["status"], record.get("note"))


def _assert_attack_failed(attacked, name: str) -> dict:
    record = _record(attacked, name)
    text = json.dumps(record)
    assert "ATTACK SUCCEEDED" not in text, record["cells"]
    assert record["status"] in ATTACKS[name][1], (name, record["status"], record.get("note"))
    _assert_honest_full_marks(attacked)
    return record


def test_escape_through_a_planted_link_and_a_restart(attacked):
    record = _assert_attack_failed(attacked, "escape")
    assert record["restarts"] >= 1  # the kernel was started again after the planted links


def test_no_secret_is_visible_and_the_kernel_is_not_root(attacked):
    _assert_attack_failed(attacked, "secrets")


def test_a_daemon_dies_with_its_kernel(attacked):
    _assert_attack_failed(attacked, "daemon")
    survivors = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if MARK in " ".join(process.info["cmdline"] or []):
                survivors.append(process.pid)
        except psutil.Error:
            continue
    assert not survivors
    assert "mallory" not in (attacked["out"] / "grades.csv").read_text(encoding="utf-8")
    assert not (attacked["subs"] / "pwned.txt").exists()


def test_a_kernel_cannot_kill_others(attacked):
    _assert_attack_failed(attacked, "killer")


def test_a_kernel_cannot_reach_another_kernel(attacked):
    _assert_attack_failed(attacked, "connect")


def test_a_fork_bomb_costs_only_its_author(attacked):
    _assert_attack_failed(attacked, "forkbomb")


@pytest.mark.parametrize("name", ["deleted", "tmpshm", "fulldisk"])
def test_disk_is_capped_per_kernel(attacked, name):
    _assert_attack_failed(attacked, name)
    for folder in ("/tmp", "/dev/shm"):  # the kernel's /tmp and /dev/shm are its own
        assert not os.path.exists(os.path.join(folder, MARK)) and not os.path.exists(os.path.join(folder, MARK + ".bin"))


def test_submissions_untouched_and_results_private(attacked):
    for path, data in attacked["before"].items():
        assert path.read_bytes() == data, path
    assert {p.name for p in attacked["subs"].rglob("*") if p.is_file()} == {p.name for p in attacked["before"]}
    out = attacked["out"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for name in ("details.json", "grades.csv"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name
    assert not list(out.glob(".*.tmp-*"))  # written atomically: no half-written leftovers
    details = attacked["details"]
    assert details["grader"]["sandboxed"] is True and "bubblewrap" in details["grader"]["sandbox"]


# --------------------------------------------------------------------------- #
# Memory: measured in use, per kernel
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def tight_memory(bwrap_ready, tmp_path_factory):
    base = tmp_path_factory.mktemp("memory")
    subs, out = base / "submissions", base / "results"
    for solution in SOLUTIONS:
        folder = subs / f"sol_{exercise_key(solution)}"
        folder.mkdir(parents=True)
        shutil.copyfile(solution, folder / solution.name)
    bomb = _attacker(["blobs = []\nwhile True:\n    blobs.append(bytearray(64 * 2**20))"])
    (subs / "bomb").mkdir()
    nbformat.write(bomb, subs / "bomb" / "bomb.ipynb")
    done = _grade_cli(subs, out, "--jobs", "2", "--max-memory", "768", "--cell-timeout", "20")
    assert done.returncode == 0, done.stderr
    details = json.loads((out / "details.json").read_text(encoding="utf-8"))
    for rel, record in sorted(details["submissions"].items()):
        print(f"  {rel}: {record['status']} {record['total']}/{record['max_total']} peak {record.get('memory_peak_mb')} MB",
              file=sys.stderr)
    return details["submissions"]


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_every_solution_gets_full_marks_under_768_mb(tight_memory, solution):
    record = tight_memory[f"sol_{exercise_key(solution)}/{solution.name}"]
    assert record["status"] == "ok", (record["status"], record.get("note"))
    assert record["total"] == pytest.approx(load(exercise_key(solution)).max_points)
    assert 0 < record["memory_peak_mb"] <= 768


def test_a_memory_bomb_still_gets_memory(tight_memory):
    assert tight_memory["bomb/bomb.ipynb"]["status"] == "memory"


# --------------------------------------------------------------------------- #
# No silent downgrade
# --------------------------------------------------------------------------- #


def test_missing_bubblewrap_stops_with_one_clear_line(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    nbformat.write(_attacker(["x = 1"]), subs / "a.ipynb")
    empty = tmp_path / "bin"
    empty.mkdir()
    env = dict(os.environ, PATH=str(empty))
    done = _grade_cli(subs, tmp_path / "out", env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "apt-get install bubblewrap" in lines[0], done.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_without_a_sandbox_the_gradebook_says_so_and_no_kernel_runs_as_root(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    nbformat.write(_attacker(["import os\nprint(os.getuid())\nif os.getuid() == 0 or os.geteuid() == 0:\n    raise RuntimeError('ROOT KERNEL')"]),
                   subs / "a.ipynb")
    done = _grade_cli(subs, out, "--no-sandbox")
    if done.returncode != 0:
        # Root, with a Python that another user cannot run (pyenv under /root): the grader stops rather than
        # run a kernel as root.
        assert os.geteuid() == 0, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "never runs a kernel as root" in lines[0], done.stderr
        return
    assert "WITHOUT a sandbox" in done.stderr
    details = json.loads((out / "details.json").read_text(encoding="utf-8"))
    assert details["grader"]["sandboxed"] is False
    record = details["submissions"]["a.ipynb"]
    assert "WITHOUT a sandbox" in record["note"] and "ROOT KERNEL" not in json.dumps(record)
    assert "WITHOUT a sandbox" in (out / "grades.csv").read_text(encoding="utf-8")
