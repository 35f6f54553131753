"""`make run`'s supervisor (qms/supervisor.py) with trivial children: a crashed child is
restarted without stopping the others; a signal stops every child and grandchild."""

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Writes its pid, starts a grandchild (same process group) that writes its own, sleeps.
SLEEPER = """
import subprocess, sys, time
from pathlib import Path
out = Path(sys.argv[1])
(out / "sleeper.pid").write_text(str(__import__("os").getpid()))
code = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)"
subprocess.Popen([sys.executable, "-c", code, str(out / "grandchild.pid")])
time.sleep(60)
"""
# Appends its pid and exits at once, with an error.
CRASHER = """
import os, sys
with open(sys.argv[1] + "/crasher.pids", "a") as f:
    f.write(f"{os.getpid()}\\n")
sys.exit(3)
"""
# Ignores SIGTERM, as a worker hung in warm shutdown would.
STUBBORN = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open(sys.argv[1] + "/stubborn.pid", "w").write(str(os.getpid()))
time.sleep(60)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by whoever adopted it) is gone too
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def read_pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


@pytest.fixture
def supervise(tmp_path):
    """Start the supervisor on a Procfile of the named scripts; kill leftovers after."""
    started: list[subprocess.Popen] = []

    def start(*names: str, grace: float | None = None) -> subprocess.Popen:
        scripts = {"sleeper": SLEEPER, "crasher": CRASHER, "stubborn": STUBBORN}
        lines = []
        for name in names:
            script = tmp_path / f"{name}.py"
            script.write_text(scripts[name])
            args = [sys.executable, str(script), str(tmp_path)]
            lines.append(f"{name}: {shlex.join(args)}")
        procfile = tmp_path / "Procfile"
        procfile.write_text("# test\n" + "\n".join(lines) + "\n")
        command = [sys.executable, "-m", "qms.supervisor", "--procfile", str(procfile)]
        if grace is not None:
            command += ["--grace", str(grace)]
        log = (tmp_path / "supervisor.log").open("wb")
        proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for name in ("sleeper.pid", "grandchild.pid", "stubborn.pid", "crasher.pids"):
        for pid in read_pids(tmp_path / name):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def log_of(tmp_path: Path) -> str:
    return (tmp_path / "supervisor.log").read_text(errors="replace")


def test_a_crashed_child_is_restarted_and_the_others_keep_running(supervise, tmp_path):
    proc = supervise("sleeper", "crasher")
    assert wait_for(lambda: len(read_pids(tmp_path / "crasher.pids")) >= 2, 10), log_of(tmp_path)
    assert wait_for(lambda: "crasher restarts in 2 s" in log_of(tmp_path), 5), log_of(tmp_path)
    assert wait_for(lambda: (tmp_path / "grandchild.pid").exists(), 10)
    sleeper = read_pids(tmp_path / "sleeper.pid")[0]
    assert alive(sleeper), "the sleeper was stopped because another child crashed"
    assert proc.poll() is None
    log = log_of(tmp_path)
    assert "crasher exited unexpectedly (code 3)" in log
    assert "crasher restarts in 1 s (restart 1)" in log


def test_sigint_stops_every_child_and_grandchild_within_seconds(supervise, tmp_path):
    proc = supervise("sleeper", "crasher")
    assert wait_for(lambda: (tmp_path / "grandchild.pid").exists(), 10), log_of(tmp_path)
    assert wait_for(lambda: read_pids(tmp_path / "crasher.pids"), 10)
    pids = [
        *read_pids(tmp_path / "sleeper.pid"),
        *read_pids(tmp_path / "grandchild.pid"),
        *read_pids(tmp_path / "crasher.pids"),
    ]
    assert any(alive(pid) for pid in pids)

    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0, log_of(tmp_path)
    assert wait_for(lambda: not any(alive(pid) for pid in pids), 10 - (time.monotonic() - started))
    assert "SIGINT: stopping" in log_of(tmp_path)


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period(supervise, tmp_path):
    proc = supervise("stubborn", grace=1)
    assert wait_for(lambda: (tmp_path / "stubborn.pid").exists(), 10), log_of(tmp_path)
    (pid,) = read_pids(tmp_path / "stubborn.pid")

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert wait_for(lambda: not alive(pid), 2)
    assert "killed: stubborn" in log_of(tmp_path)


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux only")
def test_children_stop_even_when_the_supervisor_is_killed(supervise, tmp_path):
    proc = supervise("sleeper")
    assert wait_for(lambda: (tmp_path / "sleeper.pid").exists(), 10), log_of(tmp_path)
    (pid,) = read_pids(tmp_path / "sleeper.pid")

    proc.kill()  # SIGKILL: no handler runs; the kernel tells the child
    proc.wait()
    assert wait_for(lambda: not alive(pid), 5)
