"""`make bench-submit`: anonymous survey submission against a baseline, in one server.

One run = one database configuration (SQLite by default; PostgreSQL with
--database-url, plus Redis as the cache with --redis-url):

1. a fresh DATA_DIR under /tmp (and, for PostgreSQL, a freshly re-created database),
   `migrate`, `collectstatic`, `load_demo` — all with bench.settings;
2. one-time tokens minted with the app's own `new_submission_token`, written as complete
   url-encoded form bodies, one file per wrk thread (so no token is ever sent twice);
3. gunicorn `qms.wsgi` (sync workers, as in the Procfile) on 127.0.0.1, a free port,
   no access log, DJANGO_SETTINGS_MODULE=bench.settings;
4. wrk (bench/submit.lua) — warm-up of both targets, then (b) the baseline, then (a)
   the public form, each for --duration seconds at --connections connections (the
   pair --rounds times; the median ratio is the result);
5. rows counted before and after each run: every request the server received must
   have stored exactly one row if its reply was (or would have been) a success.

Accounting: wrk stops its clock with requests still in flight; the server finishes
them and stores their rows, but wrk never reads those replies. The Lua script counts
requests sent and replies read, so the check is exact:

    stored == 2xx/3xx replies + requests whose reply was never read (sent - read)

Fewer rows = lost responses; more = doubled ones. Either exits non-zero.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
VENV_BIN = ROOT / ".venv" / "bin"
LUA = BENCH / "submit.lua"
SLUG = "karty-uslug"
FORM_PATH = f"/ankieta/{SLUG}/"
BASELINE_PATH = "/bench/baseline/"
BASELINE_DONE = "/bench/baseline/done/"
FLOOR_PATH = "/bench/floor/"
# The bar for (a)/(b) after the store went back to the ORM (issue 12: simplicity wins;
# the benchmark keeps measuring): per database, since PostgreSQL's baseline is cheaper.
TARGET_RATIO = {"sqlite": 0.5, "postgresql": 0.35}

# Run as a script, Python puts bench/ first on the path (its urls.py, models.py ... would
# shadow top-level names); the project root is what belongs there.
if sys.path and Path(sys.path[0]).resolve() == BENCH:
    sys.path[0] = str(ROOT)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat (b),(a) this often; the ratio is the median"
    )
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per target")
    parser.add_argument(
        "--max-rps",
        type=int,
        default=1500,
        help="tokens are minted for this many form submissions per second (too few fails)",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL; the database is DROPPED and re-created (name must contain "
        "'bench'). Empty: SQLite in the fresh DATA_DIR (embedded default).",
    )
    parser.add_argument("--redis-url", default="", help="Redis URL for the cache (optional)")
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=0.15,
        help="before each measured run, wait while other processes use this share of the CPU",
    )
    parser.add_argument("--quiet-wait", type=int, default=60, help="... for at most this long")
    parser.add_argument("--keep", action="store_true", help="keep the /tmp run directory")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also measure (c) /bench/floor/ after (a): the rate limit, card check and "
        "INSERTs of a submission without its form (what (a) would cost if its Python "
        "were free); its ratio (c)/(b) is printed beside (a)/(b)",
    )
    return parser.parse_args()


# --- setup ---------------------------------------------------------------------------


def recreate_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure_environment(args: argparse.Namespace, data_dir: Path) -> None:
    """The server and this process read the same settings from the same variables."""
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATA_DIR": str(data_dir),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            # All load comes from 127.0.0.1: the per-address hourly limit must not bite.
            "SURVEY_RATE_LIMIT_PER_HOUR": str(10**9),
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
        }
    )
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url


def prepare_database() -> dict[str, Any]:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_demo", verbosity=0, stdout=io.StringIO())

    from qms.models import ServiceCard
    from surveys import selectors

    version = selectors.open_version(SLUG)
    if version is None:
        sys.exit(f"load_demo did not leave an open questionnaire {SLUG!r}")
    cards = list(ServiceCard.objects.filter(is_active=True).values_list("code", flat=True))
    info = {
        "database": connection.vendor,
        "cache": str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1],
        "version": version,
        "pages": version.page_count,
        "cards": cards,
    }
    info["form_done"] = preflight(info)
    connection.close()
    return info


def preflight(info: dict[str, Any]) -> str:
    """One submission through Django's test client before any load: the generated body
    must store exactly one response and redirect; returns the redirect's path (the
    thanks page), which wrk then requires in every successful reply."""
    from django.test import Client

    from surveys.models import Response
    from surveys.tokens import new_submission_token

    rng = random.Random(0)  # noqa: S311 - sample answers, not secrets
    body = form_body(rng, new_submission_token(info["version"]), info["cards"], info["pages"])
    before = Response.objects.count()
    reply = Client(HTTP_HOST="127.0.0.1").post(
        FORM_PATH, body, content_type="application/x-www-form-urlencoded"
    )
    stored = Response.objects.count() - before
    if reply.status_code != 302 or stored != 1:
        sys.exit(
            f"preflight: a complete submission to {FORM_PATH} got {reply.status_code} and "
            f"stored {stored} responses (expected 302 and 1); has the form changed?\n"
            f"body: {body}\n{reply.content.decode(errors='replace')[:3000]}"
        )
    return urlparse(reply["Location"]).path


# --- request bodies ------------------------------------------------------------------


def form_body(rng: random.Random, token: str, cards: list[str], last_page: int) -> str:
    """A complete, valid final submission of the default questionnaire (both pages)."""
    likert = ["5", "4", "3", "2", "1", "na"]
    fields: dict[str, Any] = {
        "token": token,
        "page": last_page,
        "website": "",
        "q_service": rng.choice(cards),
        "q_card_read": rng.choice(["web", "office", "staff", "no"]),
        "q_settled": rng.choice(["yes", "partly", "no"]),
        "q_staff_competence": rng.choice(likert),
        "q_staff_courtesy": rng.choice(likert),
        "q_plain_language": rng.choice(likert),
        "q_waiting_time": rng.choice(likert),
    }
    if fields["q_card_read"] != "no":
        fields["q_card_useful"] = rng.choice(["yes", "no"])
        fields["q_card_clear"] = rng.choice(["yes", "no"])
        fields["q_card_complete"] = rng.choice(["yes", "no"])
        if fields["q_card_complete"] == "no":
            options = ["documents", "fees", "time_limit", "where", "appeal", "sample_form"]
            fields["q_card_missing"] = rng.sample(options, rng.randint(1, 3))
            fields["q_card_missing_text"] = "Brak wzoru wniosku i informacji o opłatach."
    if rng.random() < 0.5:
        fields["q_comments"] = "Sprawna obsługa, ale długo czekałem na swoją kolej. Dziękuję."
    return urlencode(fields, doseq=True)


def baseline_body(rng: random.Random, cards: list[str]) -> str:
    likert = ["5", "4", "3", "2", "1", "na"]
    fields = {
        "service": rng.choice(cards),
        "card_read": rng.choice(["web", "office", "staff", "no"]),
        "card_useful": rng.choice(["yes", "no"]),
        "card_clear": rng.choice(["yes", "no"]),
        "card_complete": rng.choice(["yes", "no"]),
        "settled": rng.choice(["yes", "partly", "no"]),
        "staff_competence": rng.choice(likert),
        "staff_courtesy": rng.choice(likert),
        "waiting_time": rng.choice(likert),
        "comments": "Sprawna obsługa, ale długo czekałem na swoją kolej. Dziękuję."
        if rng.random() < 0.5
        else "",
    }
    return urlencode(fields)


def write_bodies(prefix: Path, threads: int, per_thread: int, make_body) -> None:
    """<prefix><i>.txt for wrk thread i (1-based), one body per line."""
    for thread in range(1, threads + 1):
        with open(f"{prefix}{thread}.txt", "w") as out:
            for _ in range(per_thread):
                out.write(make_body() + "\n")


def mint_form_bodies(prefix: Path, threads: int, total: int, info: dict[str, Any], seed: int):
    from surveys.tokens import new_submission_token

    rng = random.Random(seed)  # noqa: S311 - sample answers, not secrets
    version, cards, pages = info["version"], info["cards"], info["pages"]
    write_bodies(
        prefix,
        threads,
        math.ceil(total / threads),
        lambda: form_body(rng, new_submission_token(version), cards, pages),
    )


# --- server and load -----------------------------------------------------------------


def start_gunicorn(workers: int, log: Path) -> tuple[subprocess.Popen, int]:
    command = [
        str(VENV_BIN / "gunicorn"),
        "qms.wsgi",
        "--bind",
        "127.0.0.1:0",
        "--workers",
        str(workers),
        "--chdir",
        str(ROOT),
        "--error-logfile",
        str(log),
        "--log-level",
        "info",
        "--no-control-socket",
    ]
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        command, env=os.environ.copy(), cwd=ROOT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    port = 0
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}; see {log}")
        text = log.read_text() if log.exists() else ""
        for line in text.splitlines():
            if "Listening at: http://127.0.0.1:" in line:
                port = int(line.rsplit(":", 1)[1].split()[0])
        if port and text.count("Booting worker") >= workers:
            return server, port
        time.sleep(0.1)
    stop_gunicorn(server)
    sys.exit(f"gunicorn did not start within 60 s; see {log}")


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_wrk(
    port: int, path: str, bodies: Path, expected: str, reuse: str, seconds: int, args
) -> dict[str, Any]:
    command = [
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
        f"http://127.0.0.1:{port}{path}",
        "--",
        str(bodies),
        expected,
        reuse,
    ]
    result = subprocess.run(  # noqa: S603 - wrk with our own script and arguments
        command, capture_output=True, text=True, check=False
    )
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            report: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
            report["wrk_output"] = result.stdout.replace(line, "").strip()
            return report
    sys.exit(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


@dataclass
class Cpu:
    """CPU time so far, in clock ticks: the machine, the server side, the load side."""

    at: float  # time.monotonic()
    busy: int  # every process on every CPU
    server: dict[int, int]  # per pid: gunicorn, PostgreSQL (this database), Redis
    load: int  # this driver and its waited children (wrk)

    @classmethod
    def now(cls, server: subprocess.Popen) -> Cpu:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
        server_ticks = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
                pid = int(stat.parent.name)
                rest = text[text.rindex(")") + 1 :].split()
                if pid == server.pid or int(rest[1]) == server.pid or _is_service(stat.parent):
                    server_ticks[pid] = int(rest[11]) + int(rest[12])  # utime, stime
            except (OSError, ValueError):
                continue  # the process ended meanwhile
        load = 0.0
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
            usage = resource.getrusage(who)
            load += usage.ru_utime + usage.ru_stime
        return cls(
            at=time.monotonic(),
            busy=user + nice + system + irq + softirq + steal,
            server=server_ticks,
            load=round(load * HZ),
        )


HZ = os.sysconf("SC_CLK_TCK")


def _is_service(proc: Path) -> bool:
    """Redis, and PostgreSQL except the backends of other databases (other users of a
    shared cluster, e.g. a test suite, are noise, not the system under test)."""
    cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    if cmdline.startswith("redis-server"):
        return True
    if not cmdline.startswith(("postgres", "/usr/lib/postgresql/")):
        return False
    if "(" not in cmdline and "[local]" not in cmdline:
        return True  # postmaster, checkpointer, WAL writer, ...: shared by all databases
    database = urlparse(os.environ.get("DATABASE_URL", "")).path.lstrip("/")
    return bool(database) and f" {database} " in cmdline


def cpu_shares(start: Cpu, end: Cpu) -> dict[str, float]:
    """Shares of the machine (all CPUs) over a run, and the server's CPU time in ms.

    `own` well below 100 % while `others` is near 0 means the server waited (locks,
    I/O) rather than computed; `others` is the noise from the rest of the machine.
    Processes that ended during the run are missing from both (the driver's own
    short database connections: negligible)."""
    capacity = (end.at - start.at) * HZ * (os.cpu_count() or 1) or 1
    server = sum(ticks - start.server.get(pid, 0) for pid, ticks in end.server.items())
    own = server + end.load - start.load
    return {
        "own": own / capacity,
        "others": max((end.busy - start.busy) - own, 0) / capacity,
        "server_ms": server * 1000 / HZ,
    }


def wait_until_quiet(server: subprocess.Popen, args) -> None:
    """Before a measured run: wait (up to --quiet-wait s) until other processes use less
    than --quiet-below of the machine, so a busy neighbour does not skew one target only."""
    deadline = time.monotonic() + args.quiet_wait
    while True:
        start = Cpu.now(server)
        time.sleep(1)
        share = cpu_shares(start, Cpu.now(server))["others"]
        if share < args.quiet_below:
            return
        if time.monotonic() > deadline:
            print(f"  machine still busy ({share:.0%} CPU used by others); measuring anyway")
            return
        print(f"  waiting: other processes use {share:.0%} of the CPU", flush=True)


def count_rows() -> dict[str, int]:
    from django.db import connection

    from bench.models import BaselineSubmission
    from surveys.models import Answer, Response, UsedSubmissionToken

    counts = {
        "form": Response.objects.count(),
        "answers": Answer.objects.count(),
        "tokens": UsedSubmissionToken.objects.count(),
        "baseline": BaselineSubmission.objects.count(),
    }
    connection.close()
    return counts


def settle(key: str, expected: int, timeout: float = 60) -> dict[str, int]:
    """Counts once the server has finished the requests wrk left in flight."""
    deadline = time.monotonic() + timeout
    last, stable_since = count_rows(), time.monotonic()
    while last[key] != expected and time.monotonic() < deadline:
        time.sleep(0.25)
        now = count_rows()
        if now[key] != last[key]:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since > 10:
            break  # nothing changed for 10 s: the server has nothing left to store
    if last[key] == expected:
        time.sleep(1)  # a doubled row would come after: count once more
        last = count_rows()
    return last


def measure(
    server: subprocess.Popen, port: int, target: dict[str, Any], seconds: int, args
) -> dict[str, Any]:
    key = target.get("count", target["key"])  # which rows the target adds
    before = count_rows()
    cpu_before = Cpu.now(server)
    report = run_wrk(
        port,
        target["path"],
        target["bodies"],
        target["expected"],
        target["reuse"],
        seconds,
        args,
    )
    cpu = cpu_shares(cpu_before, Cpu.now(server))
    unread = report["sent"] - report["received"]
    after = settle(key, before[key] + report["ok"] + unread)
    duration = report["duration_us"] / 1e6
    report.update(
        {
            "target": target["key"],
            "path": target["path"],
            "seconds": duration,
            "rps": report["ok"] / duration,
            "failed": report["received"] - report["ok"],
            "unread": unread,
            "stored": after[key] - before[key],
            "answers": after["answers"] - before["answers"],
            "tokens_used": after["tokens"] - before["tokens"],
            "own_cpu": cpu["own"],
            "other_cpu": cpu["others"],
            # Server-side CPU (gunicorn + database + cache) per request it handled: a cost
            # that other load on the machine barely changes, unlike rps.
            "server_cpu_ms": cpu["server_ms"] / max(report["sent"], 1),
        }
    )
    report["balanced"] = report["stored"] == report["ok"] + unread and not report["exhausted"]
    return report


# --- report --------------------------------------------------------------------------


def ms(us: float) -> str:
    return f"{us / 1000:.1f}"


LABELS = {
    "baseline": "(b) baseline " + BASELINE_PATH,
    "form": "(a) form " + FORM_PATH,
    "floor": "(c) floor " + FLOOR_PATH,
}


def print_table(
    rounds: list[dict[str, dict[str, Any]]], info: dict[str, Any], args
) -> tuple[float, float]:
    """One row per measured run; the ratio per round; returns the median ratio."""
    print()
    order = "then (b), (a)" + (f", repeated {args.rounds} times" if args.rounds > 1 else "")
    print(
        f"bench-submit: {info['database']} + {info['cache']}; gunicorn {args.workers} sync "
        f"workers; wrk {args.threads} threads, {args.connections} connections, "
        f"{args.duration} s per target; order: warm-up (b),(a) {args.warmup} s each, {order}"
    )
    header = (
        f"{'target':<34}{'rps':>7}{'p50 ms':>8}{'p99 ms':>8}{'2xx/3xx':>8}{'errors':>7}"
        f"{'sock':>5}{'unread':>7}{'stored':>7}{'srv ms':>7}{'cpu':>5}{'others':>7}  check"
    )
    print(header)
    print("-" * len(header))
    ratios: list[float] = []
    costs: list[float] = []
    floors: list[float] = []
    for number, pair in enumerate(rounds, 1):
        for key in [k for k in LABELS if k in pair]:
            r = pair[key]
            errors = r["errors"]
            sock = errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]
            check = "OK" if r["balanced"] else "MISMATCH"
            if r["exhausted"]:
                check += f" (tokens ran out {r['exhausted']}x: raise --max-rps)"
            print(
                f"{LABELS[key]:<34}{r['rps']:>7.1f}{ms(r['latency_us']['p50']):>8}"
                f"{ms(r['latency_us']['p99']):>8}{r['ok']:>8}{r['failed']:>7}{sock:>5}"
                f"{r['unread']:>7}{r['stored']:>7}{r['server_cpu_ms']:>7.1f}"
                f"{r['own_cpu']:>5.0%}{r['other_cpu']:>7.0%}  {check}"
            )
        ratios.append(pair["form"]["rps"] / (pair["baseline"]["rps"] or math.nan))
        costs.append(
            pair["baseline"]["server_cpu_ms"] / (pair["form"]["server_cpu_ms"] or math.nan)
        )
        if "floor" in pair:
            floors.append(pair["floor"]["rps"] / (pair["baseline"]["rps"] or math.nan))
        if len(rounds) > 1:
            print(
                f"round {number}: ratio (a)/(b) = {ratios[-1]:.2f}  (server CPU: {costs[-1]:.2f})"
                + (f"  floor (c)/(b) = {floors[-1]:.2f}" if "floor" in pair else "")
            )
    ratio = statistics.median(ratios)
    target = TARGET_RATIO[info["database"]]
    verdict = "PASS" if ratio >= target else "BELOW TARGET"
    label = "median ratio" if len(rounds) > 1 else "ratio"
    print(
        f"{label} (a)/(b) = {ratio:.2f}   target >= {target}: {verdict}   "
        f"(server CPU per request, (b)/(a): {statistics.median(costs):.2f})"
    )
    if floors:
        print(
            f"floor (c)/(b) = {statistics.median(floors):.2f}: the most (a) could reach with "
            "the same rate limit, card check and INSERTs and no cost for its form"
        )
    stored = sum(pair["form"]["stored"] for pair in rounds)
    answers = sum(pair["form"]["answers"] for pair in rounds)
    tokens = sum(pair["form"]["tokens_used"] for pair in rounds)
    if stored:
        print(
            f"(a) stored {stored} responses with {answers} answers "
            f"({answers / stored:.1f} per response), {tokens} one-time tokens used"
        )
    print("check: stored == 2xx/3xx + unread (requests in flight when wrk stopped)")
    print(
        "errors: replies not 2xx/3xx; sock: socket errors and timeouts; srv ms: CPU time of\n"
        "gunicorn + database + cache per request; cpu: share of the machine used by the\n"
        "benchmark (those + wrk); others: share used by other processes (noise)"
    )
    for pair in rounds:
        for r in pair.values():
            if r["failed"]:
                print(f"WARNING: {r['target']}: {r['failed']} replies not 2xx/3xx: {r['statuses']}")
    return ratio, statistics.median(costs)


def main() -> int:
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    run_dir = Path(tempfile.mkdtemp(prefix="qms-bench-"))
    configure_environment(args, run_dir / "data")
    if args.database_url:
        recreate_postgres_database(args.database_url)
    print(f"preparing {run_dir} (migrate, collectstatic, load_demo, tokens) ...", flush=True)
    info = prepare_database()

    # Every form run gets its own token files: a token is never sent twice.
    mint_form_bodies(run_dir / "form-warm-", args.threads, args.max_rps * args.warmup, info, 1)
    for number in range(1, args.rounds + 1):
        prefix = run_dir / f"form-{number}-"
        mint_form_bodies(prefix, args.threads, args.max_rps * args.duration, info, 1 + number)
    rng = random.Random(0)  # noqa: S311 - sample answers, not secrets
    write_bodies(
        run_dir / "baseline-", args.threads, 1000, lambda: baseline_body(rng, info["cards"])
    )

    baseline: dict[str, Any] = {
        "key": "baseline",
        "path": BASELINE_PATH,
        "bodies": run_dir / "baseline-",
        "expected": BASELINE_DONE,
        "reuse": "cycle",
    }
    form: dict[str, Any] = {
        "key": "form",
        "path": FORM_PATH,
        "bodies": run_dir / "form-warm-",
        "expected": info["form_done"],
        "reuse": "once",
    }
    floor: dict[str, Any] = {
        "key": "floor",
        "count": "form",  # it stores survey responses too
        "path": FLOOR_PATH,
        "bodies": run_dir / "baseline-",  # a card code is all it reads
        "expected": BASELINE_DONE,
        "reuse": "cycle",
    }
    log = run_dir / "gunicorn.log"
    server, port = start_gunicorn(args.workers, log)
    rounds: list[dict[str, dict[str, Any]]] = []
    try:
        print(f"gunicorn on 127.0.0.1:{port}; warming up ...", flush=True)
        warm = [
            measure(server, port, baseline, args.warmup, args),
            measure(server, port, form, args.warmup, args),
        ]
        if args.floor:
            warm.append(measure(server, port, floor, args.warmup, args))
        for number in range(1, args.rounds + 1):
            pair: dict[str, dict[str, Any]] = {}
            targets = [baseline, {**form, "bodies": run_dir / f"form-{number}-"}]
            for target in targets + ([floor] if args.floor else []):
                wait_until_quiet(server, args)
                print(f"measuring {target['path']} for {args.duration} s ...", flush=True)
                pair[target["key"]] = measure(server, port, target, args.duration, args)
            rounds.append(pair)
    finally:
        stop_gunicorn(server)

    ratio, cost_ratio = print_table(rounds, info, args)
    ok = all(r["balanced"] for pair in rounds for r in pair.values())
    if not all(r["balanced"] for r in warm):
        print("WARNING: the warm-up did not balance either (see the results file)")

    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"submit-{stamp}-{info['database']}.json"
    out.write_text(
        json.dumps(
            {
                "when": stamp,
                "database": info["database"],
                "cache": info["cache"],
                "args": {k: v for k, v in vars(args).items() if k != "database_url"},
                "ratio": ratio,
                "server_cpu_ratio": cost_ratio,
                "rounds": rounds,
                "warmup": warm,
            },
            indent=2,
            default=str,
        )
    )
    shutil.copy(log, out.with_suffix(".gunicorn.log"))
    print(f"details: {out.relative_to(ROOT)}")
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    if not ok:
        print("FAIL: stored rows do not match successful replies (lost or doubled responses)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
