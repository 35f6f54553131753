"""`make bench-cycle-load`: the public form while a full review cycle runs on SQLite.

Tracker issue 13: "the public form keeps answering (p99 < 2 s, 0 errors) while a full
cycle with packs runs on SQLite". One run, embedded mode (SQLite in WAL mode, a fresh
DATA_DIR under /tmp, DJANGO_SETTINGS_MODULE=bench.settings, DEBUG off):

1. `migrate`, `collectstatic`, `load_demo` (the demo office with its three years of
   history: 12 units, ~80 cards, 2,400 responses a year, three review cycles), then
   next year's cycle (`services.cycle_save` with `cycle_defaults`) and its 2,400
   responses (`review.demo.generate_responses`), so that a whole cycle is due;
2. one-time tokens minted for each wrk run (as bench/run_submit.py does);
3. gunicorn `qms.wsgi`, 2 sync workers (as the Procfile), and wrk with
   bench/submit.lua posting complete final pages of the public form;
4. **without**: wrk for --baseline seconds;
5. **during**: `manage.py advance_cycles --today <next year's analysis date>` in its
   own process (every step of the cycle: survey opened and closed, reminders, the
   analysis, findings, nonconformities, the 13 results packs, their delivery), with
   wrk started just before it and stopped (SIGINT: wrk reports as at the end of a
   run) the moment it has finished, so the figures are those of the sweep's time.

Errors are replies that are not the thanks-page redirect (e.g. 500 "database is
locked") plus socket errors and timeouts (wrk's timeout: 30 s, above SQLITE_TIMEOUT).
Every reply counted as a success must have stored one response, and nothing be
stored twice (checked at the end: stored is at least the successes and at most the
successes plus the requests whose reply wrk never read, as its last requests may not
have left it). The verdict: PASS when the form's p99 during the sweep is below
--p99-target ms with no error. Exit status 1 otherwise, or when the check fails.
Results: bench/results/cycle-load-<time>-sqlite.json.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == BENCH:
    sys.path[0] = str(BENCH.parent)  # as in run_submit: bench/ must not shadow the project

from bench.run_submit import (  # noqa: E402 - after the path fix above
    FORM_PATH,
    LUA,
    RESULTS,
    ROOT,
    SLUG,
    VENV_BIN,
    configure_environment,
    mint_form_bodies,
    preflight,
    start_gunicorn,
    stop_gunicorn,
    wait_until_quiet,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=int, default=30, help="seconds without the sweep")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--max-rps", type=int, default=400, help="tokens minted per second of load")
    parser.add_argument("--max-sweep", type=int, default=300, help="the longest sweep measured (s)")
    parser.add_argument("--p99-target", type=float, default=2000.0, help="ms")
    parser.add_argument("--quiet-below", type=float, default=0.15, help=argparse.SUPPRESS)
    parser.add_argument("--quiet-wait", type=int, default=60, help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep the /tmp run directory")
    args = parser.parse_args()
    args.database_url = args.redis_url = ""  # SQLite is the point (configure_environment)
    return args


def prepare() -> dict[str, Any]:
    """The demo office with history, and next year's cycle due with its responses."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from qms.models import ServiceCard, User
    from review import demo, services
    from review.models import Cycle
    from surveys import selectors

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    version = selectors.open_version(SLUG)
    if version is None:
        sys.exit(f"load_demo did not leave an open questionnaire {SLUG!r}")
    year = Cycle.objects.order_by("-year").values_list("year", flat=True).first() or 2025
    year += 1
    responses = demo.generate_responses(version, year, seed=year)
    values = services.cycle_defaults(year)
    values["version"] = version
    cycle = services.cycle_save(
        cycle=Cycle(**values), user=User.objects.get(username="koordynator")
    )
    info = {
        "database": connection.vendor,
        "version": version,
        "pages": version.page_count,
        "cards": list(ServiceCard.objects.filter(is_active=True).values_list("code", flat=True)),
        "year": year,
        "responses": responses,
        "today": cycle.analysis_due_on.isoformat(),
    }
    info["form_done"] = preflight(info)
    connection.close()
    return info


def stored_responses() -> int:
    from django.db import connection

    from surveys.models import Response

    count = Response.objects.count()
    connection.close()
    return count


def step_times(year: int) -> list[tuple[str, float]]:
    """Each step of the cycle and the seconds since the previous one was done."""
    from django.db import connection

    from review.models import Step

    rows = list(
        Step.objects.filter(cycle__year=year, done_at__isnull=False)
        .order_by("done_at")
        .values_list("name", "done_at")
    )
    connection.close()
    return [
        (name, (done - rows[i - 1][1]).total_seconds() if i else 0.0)  # type: ignore[operator]
        for i, (name, done) in enumerate(rows)
    ]


def wrk_command(port: int, bodies: Path, info: dict[str, Any], seconds: int, args) -> list[str]:
    """As run_submit.run_wrk runs it: bench/submit.lua posting the form's final page."""
    return [
        "wrk",
        "--threads",
        str(args.threads),
        "--connections",
        str(args.connections),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "30s",
        "--script",
        str(LUA),
        f"http://127.0.0.1:{port}{FORM_PATH}",
        "--",
        str(bodies),
        info["form_done"],
        "once",
    ]


def wrk_report(output: str) -> dict[str, Any]:
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            report: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
            errors = report["errors"]
            seconds = report["duration_us"] / 1e6
            report.update(
                {
                    "seconds": seconds,
                    "rps": report["ok"] / seconds,
                    "failed": report["received"] - report["ok"],
                    "socket": sum(errors[k] for k in ("connect", "read", "write", "timeout")),
                    "unread": report["sent"] - report["received"],
                    "p50_ms": report["latency_us"]["p50"] / 1000,
                    "p99_ms": report["latency_us"]["p99"] / 1000,
                    "max_ms": report["latency_us"]["max"] / 1000,
                }
            )
            report["errors_total"] = report["failed"] + report["socket"]
            return report
    sys.exit(f"wrk printed no report:\n{output}")


def during_sweep(port: int, bodies: Path, info: dict[str, Any], run_dir: Path, args):
    """wrk from the sweep's start to its end: started with --max-sweep seconds, stopped
    (SIGINT: wrk then reports as at the end of its run) when the sweep has finished."""
    load = subprocess.Popen(  # noqa: S603 - wrk with our own script and arguments
        wrk_command(port, bodies, info, args.max_sweep, args),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(1)  # wrk connected and loading
    sweep_log = run_dir / "sweep.log"
    with open(sweep_log, "w") as out:
        started = time.monotonic()
        sweep = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
            [str(VENV_BIN / "python"), "manage.py", "advance_cycles", "--today", info["today"]],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
        seconds = time.monotonic() - started
    if load.poll() is None:
        load.send_signal(signal.SIGINT)
    output, _ = load.communicate(timeout=60)
    if sweep.returncode:
        print(sweep_log.read_text()[-3000:])
        sys.exit(f"the sweep failed ({sweep.returncode}); see {sweep_log}")
    if seconds >= args.max_sweep - 1:
        sys.exit(f"the sweep outlasted the load (--max-sweep {args.max_sweep} s)")
    return wrk_report(output), {"seconds": seconds, "log": str(sweep_log)}


def main() -> int:
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    run_dir = Path(tempfile.mkdtemp(prefix="qms-bench-cycle-"))
    configure_environment(args, run_dir / "data")
    print(f"preparing {run_dir} (migrate, collectstatic, load_demo, next cycle) ...", flush=True)
    started = time.monotonic()
    info = prepare()
    print(
        f"  {time.monotonic() - started:.0f} s; cycle {info['year']}: {info['responses']} "
        f"responses, sweep with --today {info['today']}",
        flush=True,
    )
    # Every run its own tokens: a token is never sent twice.
    for name, seconds in (("warm", 3), ("without", args.baseline), ("during", args.max_sweep)):
        mint_form_bodies(run_dir / f"{name}-", args.threads, args.max_rps * seconds, info, 1)

    log = run_dir / "gunicorn.log"
    server, port = start_gunicorn(args.workers, log)
    before = stored_responses()
    try:
        print(f"gunicorn on 127.0.0.1:{port}; warming up ...", flush=True)
        warm = wrk_report(wrk_output(port, run_dir / "warm-", info, 3, args))
        wait_until_quiet(server, args)
        print(f"without the sweep: {args.baseline} s ...", flush=True)
        without = wrk_report(wrk_output(port, run_dir / "without-", info, args.baseline, args))
        wait_until_quiet(server, args)
        print("during the sweep ...", flush=True)
        during, sweep = during_sweep(port, run_dir / "during-", info, run_dir, args)
    finally:
        stop_gunicorn(server)

    time.sleep(2)  # the server finished what wrk left in flight before it stopped
    stored = stored_responses() - before
    runs = [warm, without, during]
    successes = sum(r["ok"] for r in runs)
    unread = sum(r["unread"] for r in runs)
    steps = step_times(info["year"])
    ok = during["p99_ms"] < args.p99_target and during["errors_total"] == 0
    # A request wrk counted as sent when it stopped may never have left it: stored lies
    # between the successes and the successes + the replies never read. Fewer: lost
    # responses; more: doubled ones.
    balanced = successes <= stored <= successes + unread and not any(r["exhausted"] for r in runs)

    print()
    print(
        f"bench-cycle-load: sqlite; gunicorn {args.workers} sync workers; wrk {args.threads} "
        f"threads, {args.connections} connections; cycle {info['year']} swept in "
        f"{sweep['seconds']:.1f} s"
    )
    header = (
        f"{'public form':<22}{'seconds':>8}{'replies':>8}{'rps':>7}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'max ms':>8}{'errors':>7}{'unread':>7}"
    )
    print(header)
    print("-" * len(header))
    for label, r in (("without the sweep", without), ("during the sweep", during)):
        print(
            f"{label:<22}{r['seconds']:>8.1f}{r['ok']:>8}{r['rps']:>7.1f}{r['p50_ms']:>8.0f}"
            f"{r['p99_ms']:>8.0f}{r['max_ms']:>8.0f}{r['errors_total']:>7}{r['unread']:>7}"
        )
    print(
        "errors: replies other than the thanks page (e.g. 500 'database is locked') + "
        "socket errors and timeouts; unread: in flight when wrk stopped"
    )
    print(
        "sweep steps (seconds since the previous one): "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in steps)
    )
    verdict = "PASS" if ok else "FAIL"
    print(
        f"during the sweep: p99 {during['p99_ms']:.0f} ms (target < {args.p99_target:.0f}), "
        f"{during['errors_total']} errors: {verdict}"
    )
    print(
        f"check: {stored} responses stored for {successes} successful replies and {unread} "
        "never read: " + ("OK" if balanced else "MISMATCH")
    )
    for label, r in (("without", without), ("during", during)):
        if r["failed"]:
            print(f"WARNING: {label}: replies not 2xx/3xx: {r['statuses']}")
        if r["exhausted"]:
            print(f"WARNING: {label}: tokens ran out {r['exhausted']} times: raise --max-rps")

    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_file = RESULTS / f"cycle-load-{stamp}-sqlite.json"
    out_file.write_text(
        json.dumps(
            {
                "when": stamp,
                "args": vars(args),
                "cycle": {k: v for k, v in info.items() if k not in ("version", "cards")},
                "sweep": {**sweep, "steps": steps},
                "without": without,
                "during": during,
                "warm": warm,
                "stored": stored,
                "successes": successes,
                "unread": unread,
                "pass": ok,
                "balanced": balanced,
            },
            indent=2,
            default=str,
        )
    )
    shutil.copy(log, out_file.with_suffix(".gunicorn.log"))
    shutil.copy(sweep["log"], out_file.with_suffix(".sweep.log"))
    print(f"details: {out_file.relative_to(ROOT)}")
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return 0 if ok and balanced else 1


def wrk_output(port: int, bodies: Path, info: dict[str, Any], seconds: int, args) -> str:
    done = subprocess.run(  # noqa: S603 - wrk with our own script and arguments
        wrk_command(port, bodies, info, seconds, args),
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout + done.stderr


if __name__ == "__main__":
    sys.exit(main())
