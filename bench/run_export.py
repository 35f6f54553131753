"""`make bench-export`: the response exports (CSV, labelled CSV, XLSX) on 100,000 responses.

One run = one database configuration (SQLite by default; PostgreSQL with --database-url).
Two datasets, each built by its own child process in its own fresh database (SQLite: a
fresh DATA_DIR under /tmp; PostgreSQL: the database named in the URL for the large set
and `<name>_small` for the small one, both dropped and re-created): `migrate`,
`load_demo`, then survey responses written in bulk by `bench.analysis_data.generate`
(three survey periods, ~9 answer rows a response): --responses for the large set,
--small for the small one.

Every measurement is a fresh process (so that its memory is the export's, not the
generator's or a previous export's): Django set up, the coordinator signed in to Django's
test client, one warm-up request (the first page of `/api/v1/responses/`: URLconf,
middleware, translations, the export modules imported); then the peak RSS is reset
(Linux `/proc/self/clear_refs`, 5) and one operation runs:

- **raw** — the baseline: the rows the export reads, as stored, with no shaping: a
  `SELECT` of the live responses' columns and one of their answers, each written with
  the csv module and encoded in 64 KiB pieces, like the export; on PostgreSQL
  `COPY (...) TO STDOUT` of the same two queries instead;
- **csv**, **labelled**, **xlsx** — `GET /api/v1/responses/export/?as=csv`,
  `?as=csv&labels=1`, `?as=xlsx` through the real view (middleware, permission, audit),
  the body read to the end and thrown away.

Reported per dataset: the median wall time of --rounds interleaved rounds (--xlsx-rounds
for the XLSX; 0 leaves it out) and its ratio to the raw dump, the same for the process's
CPU time (steadier on a busy machine; on SQLite the database works inside the process),
the SQL statements of the request, and the peak RSS during the operation (`VmHWM`) with
its growth over the RSS before it.
Targets: CSV ≤ 3 × raw on the large set; peak RSS of the large set ≤ 1.5 × that of the
small set, for the CSV and the XLSX (flat memory). Results:
bench/results/export-<time>-<database>.json.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
TARGET_RATIO = 3.0  # csv / raw
TARGET_FLAT = 1.5  # peak RSS, large / small
COORDINATOR = "koordynator"
SLUG = "karty-uslug"
KINDS = {
    "raw": "",
    "csv": "/api/v1/responses/export/?as=csv",
    "labelled": "/api/v1/responses/export/?as=csv&labels=1",
    "xlsx": "/api/v1/responses/export/?as=xlsx",
}
FLUSH_AT = 64 * 1024

if sys.path and Path(sys.path[0]).resolve() == BENCH:
    sys.path[0] = str(ROOT)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000, help="the large set, ~")
    parser.add_argument("--small", type=int, default=10_000, help="the small set, ~")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of raw, csv, labelled")
    parser.add_argument("--xlsx-rounds", type=int, default=1, help="rounds of the XLSX")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL; it and <name>_small are DROPPED and re-created (the name "
        "must contain 'bench'). Empty: SQLite (embedded default) in fresh /tmp directories.",
    )
    parser.add_argument("--redis-url", default="", help="Redis URL for the cache (optional)")
    parser.add_argument("--quiet-below", type=float, default=0.15, help=argparse.SUPPRESS)
    parser.add_argument("--quiet-wait", type=int, default=60, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help="cProfile one CSV export")
    parser.add_argument("--keep", action="store_true", help="keep the /tmp run directory")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", default="", help=argparse.SUPPRESS)
    parser.add_argument("--label", default="", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="", help=argparse.SUPPRESS)
    return parser.parse_args()


def log(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def setup_django(args: argparse.Namespace, *, recreate: bool) -> None:
    from bench.run_submit import configure_environment, recreate_postgres_database
    from bench.run_workflow import database_url

    args.database_url = database_url(args.database_url, args.label) if args.database_url else ""
    configure_environment(args, Path(args.run_dir) / args.label / "data")
    if recreate and args.database_url:
        recreate_postgres_database(args.database_url)
    import django

    django.setup()


# =====================================================================================
# Child 1: a dataset.
# =====================================================================================


def child_generate(args: argparse.Namespace) -> dict[str, Any]:
    setup_django(args, recreate=True)
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from bench import analysis_data
    from surveys.models import Answer, QuestionnaireVersion, Response

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_demo", no_history=True, verbosity=0, stdout=io.StringIO())
    version = QuestionnaireVersion.objects.get(
        questionnaire__slug=SLUG, status=QuestionnaireVersion.Status.ACTIVE
    )
    log(f"{args.label}: migrate, load_demo: {time.monotonic() - started:.0f} s")
    wanted = args.responses if args.label == "large" else args.small
    last = timezone.localdate().year - 1
    started = time.monotonic()
    analysis_data.generate(
        years=[last - 2, last - 1, last],
        answers_total=round(wanted * analysis_data.MEAN_ANSWERS),
        seed=args.seed,
        version_id=version.pk,
        progress=lambda message: log(f"{args.label}: {message}"),
    )
    generation = time.monotonic() - started
    live = Response.objects.filter(is_pilot=False)
    per_day = [row["n"] for row in live.values("submitted_on").annotate(n=Count("pk"))]
    return {
        "database": connection.vendor,
        "generation_s": round(generation, 1),
        "responses": live.count(),
        "answers": Answer.objects.filter(response__is_pilot=False).count(),
        "days": len(per_day),
        "most_in_a_day": max(per_day, default=0),
    }


# =====================================================================================
# Child 2: one measured operation.
# =====================================================================================


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


# Every row the export reads, as stored: the live responses' columns, then their answers.
RAW_SQL = [
    """SELECT r.id, r.submitted_on, r.channel, r.version_id, r.service_card_id,
              r.service_revision_id, r.desk_id
       FROM {response} r WHERE NOT r.is_pilot""",
    """SELECT a.response_id, a.question_id, a.choice_id, a.number, a.text
       FROM {answer} a JOIN {response} r ON r.id = a.response_id WHERE NOT r.is_pilot""",
]


def raw_dump() -> int:
    """The baseline: the same rows straight from the database to CSV bytes, no shaping."""
    from django.db import connection

    from surveys.models import Answer, Response

    tables = {"answer": Answer._meta.db_table, "response": Response._meta.db_table}
    written = 0
    with connection.cursor() as cursor:
        for statement in RAW_SQL:
            sql = statement.format(**tables)
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
                    for block in copy:
                        written += len(block)
                continue
            cursor.execute(sql)
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            while rows := cursor.fetchmany(2000):
                writer.writerows(rows)
                if buffer.tell() >= FLUSH_AT:
                    written += len(buffer.getvalue().encode())
                    buffer.seek(0)
                    buffer.truncate()
            written += len(buffer.getvalue().encode())
    return written


def child_measure(args: argparse.Namespace) -> dict[str, Any]:
    setup_django(args, recreate=False)
    from django.db import connection
    from django.test import Client

    from qms.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=COORDINATOR))
    warm = client.get("/api/v1/responses/?page=1")
    if warm.status_code != 200:
        raise RuntimeError(f"warm-up: {warm.status_code} {warm.content[:300]!r}")
    import surveys.exports  # noqa: F401 - loaded before the clock starts, as in a server
    import workflows.exports  # noqa: F401

    statements = 0

    def count(execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    def operation() -> int:
        if args.kind == "raw":
            return raw_dump()
        response = client.get(KINDS[args.kind])
        if response.status_code != 200:
            raise RuntimeError(f"{args.kind}: {response.status_code}")
        if getattr(response, "streaming", False):
            return sum(len(chunk) for chunk in response.streaming_content)  # type: ignore[attr-defined,misc]
        return len(response.content)

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    gc.collect()
    reset_peak()
    before = rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(count):
        size = profiler.runcall(operation) if profiler is not None else operation()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = rss_mb("VmHWM")
    result: dict[str, Any] = {
        "s": round(seconds, 3),
        "cpu_s": round(cpu, 3),
        "bytes": size,
        "queries": statements,
        "peak_mb": round(peak, 1),
        "growth_mb": round(peak - before, 1),
        "before_mb": round(before, 1),
    }
    if profiler is not None:
        import pstats

        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        result["profile"] = out.getvalue()
    return result


def child_main(args: argparse.Namespace) -> int:
    out = Path(args.run_dir) / f"{args.child}-{args.label}-{args.kind or 'data'}.json"
    try:
        result = child_generate(args) if args.child == "generate" else child_measure(args)
    except Exception as error:
        import traceback

        traceback.print_exc()
        out.write_text(json.dumps({"error": repr(error)}))
        return 1
    out.write_text(json.dumps(result, default=str))
    return 0


# =====================================================================================
# The driver.
# =====================================================================================


def run_child(args: argparse.Namespace, name: str, label: str, kind: str = "") -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "bench.run_export",
        "--child",
        name,
        "--run-dir",
        args.run_dir,
        "--label",
        label,
        "--kind",
        kind,
        "--responses",
        str(args.responses),
        "--small",
        str(args.small),
        "--seed",
        str(args.seed),
    ]
    if args.database_url:
        command += ["--database-url", args.database_url]
    if args.redis_url:
        command += ["--redis-url", args.redis_url]
    if args.profile and kind == "csv":
        command.append("--profile")
    subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603 - this module, fixed args
    out = Path(args.run_dir) / f"{name}-{label}-{kind or 'data'}.json"
    if not out.exists():
        raise RuntimeError(f"the {name} {label} {kind} process wrote no result (see above)")
    reply: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    if "error" in reply:
        raise RuntimeError(f"{name} {label} {kind}: {reply['error']}")
    return reply


def summarise(samples: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "s": statistics.median(s["s"] for s in samples),
        "cpu_s": statistics.median(s["cpu_s"] for s in samples),
        "peak_mb": max(s["peak_mb"] for s in samples),
        "growth_mb": max(s["growth_mb"] for s in samples),
        "queries": max(s["queries"] for s in samples),
        "bytes": samples[-1]["bytes"],
        "rounds": len(samples),
    }


def print_report(data: dict[str, Any], results: dict[str, dict[str, Any]], version: str) -> str:
    lines = [f"bench-export: {data['large']['database']}; app code {version}"]
    for label in ("small", "large"):
        d = data[label]
        lines.append(
            f"  {label}: {d['responses']} responses, {d['answers']} answers, {d['days']} days "
            f"(at most {d['most_in_a_day']} a day); generated in {d['generation_s']} s"
        )
    header = (
        f"{'set':<7}{'export':<10}{'s':>8}{'× raw':>7}{'cpu s':>8}{'× raw':>7}{'MB out':>8}"
        f"{'queries':>9}{'peak MB':>9}{'growth MB':>11}"
    )
    lines += [header, "-" * len(header)]
    for label in ("small", "large"):
        raw = results[label]["raw"]
        for kind, row in results[label].items():
            lines.append(
                f"{label:<7}{kind:<10}{row['s']:>8.2f}{row['s'] / raw['s']:>7.2f}"
                f"{row['cpu_s']:>8.2f}{row['cpu_s'] / raw['cpu_s']:>7.2f}"
                f"{row['bytes'] / 2**20:>8.1f}{row['queries']:>9}{row['peak_mb']:>9.0f}"
                f"{row['growth_mb']:>11.1f}"
            )
    lines.append(
        "s: median wall time; cpu s: this process's CPU (SQLite runs inside it; PostgreSQL's "
        "own work is not counted)"
    )
    lines.append("flat memory, large / small:")
    for kind in results["large"]:
        small, large = results["small"][kind], results["large"][kind]
        lines.append(
            f"  {kind:<10} peak {large['peak_mb'] / small['peak_mb']:.2f}×, growth "
            f"{large['growth_mb']:.1f} / {small['growth_mb']:.1f} MB; time "
            f"{large['s'] / small['s']:.1f}× for "
            f"{data['large']['responses'] / data['small']['responses']:.1f}× the responses"
        )
    return "\n".join(lines)


def main() -> int:
    args = parse_args()
    if args.child:
        return child_main(args)
    from bench.run_workflow import code_version, wait_until_quiet

    run_dir = Path(tempfile.mkdtemp(prefix="qms-bench-export-"))
    args.run_dir = str(run_dir)
    version = code_version()
    print(f"app code: {version}; run directory {run_dir}", flush=True)
    try:
        data = {}
        for label in ("small", "large"):
            print(f"generating the {label} set ...", flush=True)
            data[label] = run_child(args, "generate", label)
        samples: dict[str, dict[str, list[dict[str, Any]]]] = {"small": {}, "large": {}}
        for number in range(max(args.rounds, args.xlsx_rounds)):
            for label in ("small", "large"):
                for kind in KINDS:
                    if number >= (args.xlsx_rounds if kind == "xlsx" else args.rounds):
                        continue
                    wait_until_quiet(args)
                    sample = run_child(args, "measure", label, kind)
                    samples[label].setdefault(kind, []).append(sample)
                    print(
                        f"  round {number + 1} {label} {kind}: {sample['s']:.2f} s, "
                        f"peak {sample['peak_mb']:.0f} MB (+{sample['growth_mb']:.1f}), "
                        f"{sample['queries']} queries",
                        flush=True,
                    )
                    if "profile" in sample:
                        print(sample["profile"])
    finally:
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
    results = {
        label: {kind: summarise(rows) for kind, rows in by_kind.items()}
        for label, by_kind in samples.items()
    }
    report = print_report(data, results, version)
    print()
    print(report)
    large, small = results["large"], results["small"]
    ratio = large["csv"]["s"] / large["raw"]["s"]
    flat = {
        kind: large[kind]["peak_mb"] / small[kind]["peak_mb"]
        for kind in ("csv", "xlsx")
        if kind in large
    }
    ratio_ok = ratio <= TARGET_RATIO
    flat_ok = all(value <= TARGET_FLAT for value in flat.values())
    verdict = "PASS" if ratio_ok and flat_ok else "FAIL"
    print(
        f"\nverdict: {verdict} (csv / raw = {ratio:.2f} <= {TARGET_RATIO:g}: "
        f"{'met' if ratio_ok else 'NOT met'}; peak large / small = "
        + ", ".join(f"{kind} {value:.2f}" for kind, value in flat.items())
        + f" <= {TARGET_FLAT:g}: {'met' if flat_ok else 'NOT met'})"
    )
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"export-{stamp}-{data['large']['database']}.json"
    out.write_text(
        json.dumps(
            {
                "when": stamp,
                "code": version,
                "args": {k: v for k, v in vars(args).items() if k != "database_url"},
                "data": data,
                "samples": samples,
                "results": results,
                "report": report,
                "verdict": verdict,
            },
            indent=1,
            default=str,
        )
    )
    print(f"details: {out.relative_to(ROOT)}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
