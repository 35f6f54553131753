"""`make run`'s supervisor: starts every Procfile process, restarts one that dies,
stops them all together.

    python -m qms.supervisor [--procfile Procfile] [--env-file .env] [--grace 8]

Each process runs as `sh -c "exec <command>"` in a session (and process group) of its
own, so a terminal's Ctrl-C reaches only this supervisor, which then stops everything
in one order: SIGTERM to each process itself (gunicorn and Celery then stop their own
workers, warm; a signal to the whole group would hit Celery's pool children directly
and make it start new ones), up to `--grace` seconds for all of them to go, then
SIGKILL to every group, so no worker stuck in warm shutdown, and none of its pool
children, keeps the data folder. Once a process has exited, whatever is left of its
group is orphaned and killed at once. A second Ctrl-C skips the wait.

A process that exits on its own is logged, what is left of its group is killed, and it
is started again after 1, 2, 4 … up to 30 seconds (back to 1 s once it had run for
30 s). Each line a process prints is prefixed with its name.

Unlike honcho, which this replaces, one process dying does not stop the others. The
Procfile stays the one list of commands. Standard library only, no Django setup.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
STABLE_AFTER = 30.0  # seconds of running after which a crash counts as the first again
_PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    name: str
    command: str
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    start_at: float | None = 0.0  # monotonic time of the next start; None while running
    partial: bytes = b""

    @property
    def pgid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None


def read_procfile(path: Path) -> list[Child]:
    children = []
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line.strip())
        if match:
            children.append(Child(name=match[1], command=match[2]))
    if not children:
        raise SystemExit(f"{path}: no processes (lines 'name: command')")
    return children


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (comments, blank lines and `export ` skipped; quotes stripped)."""
    values = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


_LIBC = ctypes.CDLL(None) if sys.platform == "linux" else None


def _die_with_parent() -> None:
    """In the child (Linux): SIGTERM it should the supervisor itself be killed (-9)."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _signal_group(pgid: int | None, sig: int) -> None:
    if pgid is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)


def _group_alive(pgid: int | None) -> bool:
    if pgid is None:
        return False
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


class Supervisor:
    def __init__(self, children: list[Child], *, env: dict[str, str], grace: float) -> None:
        self.children = children
        self.env = env
        self.grace = grace
        self.selector = selectors.DefaultSelector()
        self.stop_signal: int | None = None
        self.force = False
        self.width = max(len(child.name) for child in [*children, Child("system", "")])

    # --- output ---------------------------------------------------------------------

    def say(self, name: str, text: str | bytes) -> None:
        data = text.encode() if isinstance(text, str) else text
        prefix = f"{time.strftime('%H:%M:%S')} {name:<{self.width}} | ".encode()
        sys.stdout.buffer.write(prefix + data.rstrip(b"\r") + b"\n")
        sys.stdout.buffer.flush()

    def pump(self, timeout: float) -> None:
        """Copy children's output for up to `timeout` seconds (also the main loop's sleep)."""
        if not self.selector.get_map():
            time.sleep(timeout)
            return
        for key, _events in self.selector.select(timeout):
            child: Child = key.data
            try:
                data = os.read(key.fd, 65536)
            except OSError:
                data = b""
            if not data:
                self._close_output(child)
                continue
            *lines, child.partial = (child.partial + data).split(b"\n")
            for line in lines:
                self.say(child.name, line)

    def _close_output(self, child: Child) -> None:
        stream = child.proc.stdout if child.proc is not None else None
        if stream is None or stream.closed:
            return
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(stream)
        os.set_blocking(stream.fileno(), False)
        with contextlib.suppress(OSError, TypeError):
            child.partial += stream.read() or b""
        stream.close()
        if child.partial:
            self.say(child.name, child.partial)
            child.partial = b""

    # --- processes ------------------------------------------------------------------

    def start(self, child: Child) -> None:
        try:
            child.proc = subprocess.Popen(  # noqa: S603 - the Procfile's own commands
                ["/bin/sh", "-c", f"exec {child.command}"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,  # its own process group: killpg reaches all of it
                preexec_fn=_die_with_parent,
            )
        except OSError as exc:
            self.say("system", f"{child.name} could not start: {exc}")
            self.schedule_restart(child)
            return
        assert child.proc.stdout is not None
        os.set_blocking(child.proc.stdout.fileno(), False)
        self.selector.register(child.proc.stdout, selectors.EVENT_READ, child)
        child.started_at = time.monotonic()
        child.start_at = None
        self.say("system", f"{child.name} started (pid {child.proc.pid}): {child.command}")

    def schedule_restart(self, child: Child) -> None:
        if child.started_at and time.monotonic() - child.started_at >= STABLE_AFTER:
            child.failures = 0
        delay = min(BACKOFF_FIRST * 2**child.failures, BACKOFF_MAX)
        child.failures += 1
        child.start_at = time.monotonic() + delay
        self.say("system", f"{child.name} restarts in {delay:g} s (restart {child.failures})")

    def reap(self) -> None:
        """Notice children that exited on their own; clear their group; plan the restart."""
        for child in self.children:
            if child.proc is None or child.start_at is not None:
                continue
            code = child.proc.poll()
            if code is None:
                continue
            how = f"signal {-code}" if code < 0 else f"code {code}"
            self.say("system", f"{child.name} exited unexpectedly ({how})")
            _signal_group(child.pgid, signal.SIGKILL)  # leftover pool children, if any
            self._close_output(child)
            child.proc = None  # its group is gone: never signal that number again
            self.schedule_restart(child)

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        try:
            while self.stop_signal is None:
                now = time.monotonic()
                for child in self.children:
                    if child.start_at is not None and child.start_at <= now:
                        self.start(child)
                self.pump(0.2)
                self.reap()
        finally:
            self.stop_all()
        return 0

    def _on_signal(self, signum: int, frame: object) -> None:
        if self.stop_signal is not None:
            self.force = True  # a second Ctrl-C: no more waiting
        self.stop_signal = signum

    def stop_all(self) -> None:
        """SIGTERM each process, wait up to `grace` seconds, SIGKILL every group."""
        running = [child for child in self.children if child.proc is not None]
        name = signal.Signals(self.stop_signal).name if self.stop_signal else "exit"
        self.say("system", f"{name}: stopping {', '.join(c.name for c in running)}")
        for child in running:
            assert child.proc is not None
            with contextlib.suppress(ProcessLookupError):
                child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline and not self.force:
            for child in running:
                assert child.proc is not None
                if child.proc.poll() is not None:  # done (and reaped): the rest is orphaned
                    _signal_group(child.pgid, signal.SIGKILL)
            if not any(_group_alive(child.pgid) for child in running):
                break
            self.pump(0.1)
        left = [child.name for child in running if _group_alive(child.pgid)]
        if left:
            self.say("system", f"still running after {self.grace:g} s, killed: {', '.join(left)}")
        for child in running:
            _signal_group(child.pgid, signal.SIGKILL)
        for child in running:
            assert child.proc is not None
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.proc.wait(timeout=2)
            self._close_output(child)
        self.say("system", "all stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qms.supervisor", description=__doc__)
    parser.add_argument("--procfile", type=Path, default=Path("Procfile"))
    parser.add_argument("--env-file", type=Path, help="KEY=VALUE file; its values win")
    parser.add_argument("--grace", type=float, default=8.0, help="seconds before SIGKILL")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.env_file and args.env_file.exists():
        env.update(read_env_file(args.env_file))  # as honcho did: .env wins
    return Supervisor(read_procfile(args.procfile), env=env, grace=args.grace).run()


if __name__ == "__main__":
    sys.exit(main())
