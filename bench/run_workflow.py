"""`make bench-workflow`: the nonconformity pages on a large dataset against a small one.

One run = one database configuration (SQLite by default; PostgreSQL with
--database-url). Two datasets are built side by side, each by its own child process in
its own fresh database (SQLite: a fresh DATA_DIR under /tmp; PostgreSQL: the database
named in the URL for the large set and `<name>_small` for the small one, both dropped
and re-created):

1. `migrate`, `collectstatic`, `load_demo` with bench.settings (12 units, 80 cards,
   the demo users); then one item per shape walked through the real services
   (`workflow_data.reference_items`);
2. N nonconformities with their viewflow processes, tasks, actions and events written in
   bulk (`workflow_data.generate`): --items for the large set, --small for the small one;
3. checks, before anything is timed: every generated shape has exactly the process and
   task rows of its walked twin (`workflow_data.signature`); the item and task pages
   render generated items; `selectors.open_tasks(head)` returns the generated tasks;
   the list totals match; generated tasks can be completed through the real services
   (triage, analysis, an implementation task → the next tasks appear);
4. the pages, in-process through Django's test client (no server, no network; each
   request is followed by `close_old_connections()`, as a server does): per page and
   dataset, --requests requests in --rounds interleaved rounds (small, large, small, ...)
   after 3 warm-up requests, each timed; one more request per round with its SQL captured.

The small dataset is the baseline: ratios are large/small, and the number of SQL queries
of each page must be the same in both ("must not grow with the number of rows").
Targets: p95 < 300 ms on the large dataset, queries equal. Pages that miss a target are
profiled (cProfile of the project's code; the slowest statements with EXPLAIN ANALYZE on
PostgreSQL, EXPLAIN QUERY PLAN on SQLite). Results: bench/results/workflow-<time>-<db>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse, urlunparse

if TYPE_CHECKING:  # the app itself is imported inside the dataset processes, after setup
    from django.test import Client
    from django.test.client import _MonkeyPatchedWSGIResponse as Response  # the stubs' name

    from bench.workflow_data import Stats
    from qms.models import User

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
TARGET_P95_MS = 300.0
COORDINATOR = "koordynator"
HEAD_UNIT = "BOK"  # the busiest unit (workflow_data.UNIT_WEIGHTS)
HEAD = "kierownik.bok"

if sys.path and Path(sys.path[0]).resolve() == BENCH:
    sys.path[0] = str(ROOT)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="large dataset size")
    parser.add_argument("--small", type=int, default=200, help="baseline dataset size")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL of the large dataset; it and <name>_small are DROPPED and "
        "re-created (the name must contain 'bench'). Empty: SQLite (embedded default).",
    )
    parser.add_argument("--redis-url", default="", help="Redis URL for the cache (optional)")
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=0.15,
        help="before each round, wait while other processes use this share of the CPU",
    )
    parser.add_argument("--quiet-wait", type=int, default=60, help="... for at most this long")
    parser.add_argument("--keep", action="store_true", help="keep the /tmp run directory")
    # Internal: one dataset's process.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--label", default="", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", default="", help=argparse.SUPPRESS)
    return parser.parse_args()


# =====================================================================================
# The child: one dataset, its checks, and the pages on request.
# =====================================================================================


class Child:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.label = args.label
        self.clients: dict[str, Client] = {}
        self.pages: dict[str, dict[str, Any]] = {}
        self.checks: list[dict[str, Any]] = []

    def log(self, message: str) -> None:
        print(f"[{self.label}] {message}", file=sys.stderr, flush=True)

    # --- setup ------------------------------------------------------------------------

    def prepare(self) -> dict[str, Any]:
        from bench.run_submit import configure_environment, recreate_postgres_database

        configure_environment(self.args, Path(self.args.data_dir))
        if self.args.database_url:
            recreate_postgres_database(self.args.database_url)
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        # The app's code, imported now: both datasets run the code of the same moment even
        # if someone edits the tree during the run (the driver compares versions too).
        from django.urls import get_resolver

        from workflows import forms, records, selectors, services, views  # noqa: F401

        get_resolver().url_patterns  # noqa: B018 - imports every view module

        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("load_demo", verbosity=0, stdout=io.StringIO())
        self.log(f"migrate, collectstatic, load_demo: {time.monotonic() - started:.0f} s")

        from viewflow.workflow.models import Task
        from viewflow.workflow.status import STATUS

        from bench import workflow_data
        from qms.models import User
        from workflows.models import Nonconformity

        references = workflow_data.reference_items()
        head = User.objects.get(username=HEAD)
        open_before = Task.objects.filter(
            owner=head, status=STATUS.ASSIGNED, flow_task_type="HUMAN"
        ).count()
        items_before = Nonconformity.objects.count()

        started = time.monotonic()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if time.monotonic() - last[0] > 15 or done == total:
                last[0] = time.monotonic()
                self.log(f"generated {done}/{total} items ({last[0] - started:.0f} s)")

        stats = workflow_data.generate(self.args.items, self.args.seed, progress)
        generation = time.monotonic() - started
        self.log(f"generation: {generation:.0f} s, rows: {dict(stats.rows)}")

        self.check_signatures(references, stats)
        self.check_pages(stats, head, open_before, items_before)
        self.drive(stats)
        self.define_pages(stats)
        sizes = self.table_sizes()
        return {
            "label": self.label,
            "database": connection.vendor,
            "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
            "items": Nonconformity.objects.count(),
            "generated": sum(stats.items.values()),
            "generation_s": round(generation, 1),
            "by_status": dict(stats.items),
            "overdue": stats.overdue,
            "rows": dict(stats.rows),
            "tables": sizes,
            "head_open_tasks": open_before + stats.assigned[head.pk],
            "coordinator_open_tasks": Task.objects.filter(
                owner__username=COORDINATOR, status=STATUS.ASSIGNED, flow_task_type="HUMAN"
            ).count(),
            "checks": self.checks,
            "pages": self.pages,
        }

    def table_sizes(self) -> dict[str, int]:
        from django.db import connection

        sizes = {}
        with connection.cursor() as cursor:
            for table in (
                "workflows_nonconformity",
                "viewflow_process",
                "viewflow_task",
                "viewflow_task_previous",
                "workflows_action",
                "workflows_event",
            ):
                cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - fixed names
                sizes[table] = cursor.fetchone()[0]
        return sizes

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append({"check": name, "ok": bool(ok), "detail": detail})
        if not ok:
            self.log(f"CHECK FAILED: {name} {detail}")

    # --- checks -----------------------------------------------------------------------

    def check_signatures(self, references: dict, stats: Stats) -> None:
        from bench import workflow_data

        for shape, reference_pk in references.items():
            probe = stats.probes["check_{}_{}_{}".format(*shape)]
            walked = workflow_data.signature(reference_pk)
            generated = workflow_data.signature(probe)
            differences = [key for key in walked if walked[key] != generated[key]]
            detail = ""
            if differences:
                detail = json.dumps(
                    {k: {"walked": walked[k], "generated": generated[k]} for k in differences},
                    default=str,
                )[:3000]
            self.check(
                "generated rows = viewflow's for {} ({} actions, {} done)".format(*shape),
                not differences,
                detail,
            )

    def client(self, username: str) -> Client:
        from django.test import Client

        from qms.models import User

        if username not in self.clients:
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(User.objects.get(username=username))
            self.clients[username] = client
        return self.clients[username]

    def get(self, username: str, path: str) -> Response:
        from django.db import close_old_connections

        reply = self.client(username).get(path)
        close_old_connections()
        return reply

    def check_pages(self, stats: Stats, head: User, open_before: int, items_before: int) -> None:
        from viewflow.workflow.models import Task
        from viewflow.workflow.status import STATUS

        from bench.workflow_data import PROBES
        from qms.models import OrgUnit
        from workflows import selectors
        from workflows.models import Nonconformity

        for name, status, *_ in PROBES:
            if not name.startswith("check_"):
                continue
            nc = Nonconformity.objects.get(pk=stats.probes[name])
            reply = self.get(COORDINATOR, f"/nonconformities/{nc.pk}/")
            body = reply.content.decode()
            self.check(
                f"item page of a generated '{status}' item",
                reply.status_code == 200
                and nc.number in body
                and f'data-status="{status}"' in body,
                f"{reply.status_code} {nc.number}",
            )
            for task in Task.objects.filter(
                process__nonconformity=nc, status=STATUS.ASSIGNED, flow_task_type="HUMAN"
            ):
                owner = task.owner.username if task.owner else COORDINATOR
                reply = self.get(owner, f"/nonconformities/tasks/{task.pk}/")
                body = reply.content.decode()
                self.check(
                    f"task page '{task.flow_task.name}' of a generated item, as its owner",
                    reply.status_code == 200 and nc.number in body and 'method="POST"' in body,
                    f"{reply.status_code} task {task.pk}",
                )

        expected = open_before + stats.assigned[head.pk]
        tasks = list(selectors.open_tasks(head))
        generated = set(
            Task.objects.filter(
                process__nonconformity__in=list(stats.probes.values()),
                owner=head,
                status=STATUS.ASSIGNED,
                flow_task_type="HUMAN",
            ).values_list("pk", flat=True)
        )
        self.check(
            f"selectors.open_tasks({HEAD}) returns the generated tasks",
            len(tasks) == expected and generated <= {t.pk for t in tasks} and len(generated) > 0,
            f"{len(tasks)} tasks, expected {expected}",
        )
        body = self.get(HEAD, "/nonconformities/my-tasks/").content.decode()
        shown = {int(pk) for pk in re.findall(r'data-task="(\d+)"', body)}
        # Every open task, or (a page that shows the first ones only) at least 50 of them
        # and their total.
        self.check(
            f"{HEAD}'s my-tasks page lists them",
            shown <= {t.pk for t in tasks}
            and (
                (len(shown) == expected and generated <= shown)
                or (len(shown) >= min(50, expected) and f"({expected})" in body)
            ),
            f"{len(shown)} rows, expected {expected}",
        )
        total = Nonconformity.objects.count()
        body = self.get(COORDINATOR, "/nonconformities/").content.decode()
        self.check(
            "coordinator's list counts every item",
            total == items_before + sum(stats.items.values()) and f"({total})" in body,
            f"{total} items",
        )
        unit = OrgUnit.objects.get(code=HEAD_UNIT)
        body = self.get(
            COORDINATOR, f"/nonconformities/?status=analysis&unit={unit.pk}"
        ).content.decode()
        count = Nonconformity.objects.filter(status="analysis", unit=unit).count()
        self.check(
            f"filtered list (analysis, {HEAD_UNIT}) counts the generated items",
            count >= stats.by_status_unit["analysis", HEAD_UNIT] and f"({count})" in body,
            f"{count} items",
        )

    def drive(self, stats: Stats) -> None:
        """Generated tasks completed through the real services: viewflow takes over."""
        from viewflow.workflow.models import Task
        from viewflow.workflow.status import STATUS

        from qms.models import User
        from workflows import services
        from workflows.models import CauseCategory, Nonconformity

        coordinator = User.objects.get(username=COORDINATOR)

        def open_steps(pk: int) -> list[Task]:
            return list(
                Task.objects.filter(
                    process__nonconformity=pk, status=STATUS.ASSIGNED, flow_task_type="HUMAN"
                )
                .select_related("owner")
                .order_by("pk")
            )

        def outcome(name: str, pk: int, status: str, step: str) -> None:
            nc = Nonconformity.objects.get(pk=pk)
            steps = [t.flow_task.name for t in open_steps(pk)]
            self.check(
                f"a generated {name} completed through the services",
                nc.status == status and steps == [step],
                f"status {nc.status}, open steps {steps}",
            )

        try:
            pk = stats.probes["drive_triage"]
            services.nonconformity_triage(
                task=open_steps(pk)[0], user=coordinator, decision="accept"
            )
            outcome("triage task", pk, "analysis", "analysis")

            pk = stats.probes["drive_analysis"]
            task = open_steps(pk)[0]
            assert task.owner is not None
            services.nonconformity_analyse(
                task=task,
                user=task.owner,
                immediate_correction="",
                why_chain=["Dlaczego?"],
                root_cause="Przyczyna.",
                cause_category=CauseCategory.objects.order_by("pk").first(),
                occurs_elsewhere="no",
            )
            outcome("analysis task", pk, "planning", "planning")

            pk = stats.probes["drive_implement"]
            task = open_steps(pk)[0]
            assert task.owner is not None
            services.action_complete(task=task, user=task.owner, evidence="Zrobione.")
            outcome("last implementation task", pk, "verification", "verification")
        except Exception as error:  # reported as a failed check, with the reason
            self.check("generated tasks completed through the services", False, repr(error))

    # --- the pages ----------------------------------------------------------------------

    def define_pages(self, stats: Stats) -> None:
        from viewflow.workflow.models import Task
        from viewflow.workflow.status import STATUS

        from qms.models import OrgUnit

        def step(probe: str) -> int:
            return (
                Task.objects.filter(
                    process__nonconformity=stats.probes[probe],
                    status=STATUS.ASSIGNED,
                    flow_task_type="HUMAN",
                )
                .order_by("pk")
                .values_list("pk", flat=True)[0]
            )

        unit = OrgUnit.objects.get(code=HEAD_UNIT).pk
        pages = [
            ("coord_list", COORDINATOR, "/nonconformities/"),
            (
                "coord_list_status_unit",
                COORDINATOR,
                f"/nonconformities/?status=analysis&unit={unit}",
            ),
            ("coord_list_overdue", COORDINATOR, "/nonconformities/?overdue=1"),
            ("head_my_tasks", HEAD, "/nonconformities/my-tasks/"),
            ("head_list", HEAD, "/nonconformities/"),
            ("item", COORDINATOR, f"/nonconformities/{stats.probes['page_item']}/"),
            ("task_analysis", HEAD, f"/nonconformities/tasks/{step('page_analysis')}/"),
            ("task_triage", COORDINATOR, f"/nonconformities/tasks/{step('page_triage')}/"),
            ("coord_my_tasks", COORDINATOR, "/nonconformities/my-tasks/"),
        ]
        self.pages = {key: {"user": user, "path": path} for key, user, path in pages}
        for key, page in self.pages.items():
            reply = self.get(page["user"], page["path"])
            self.check(f"page {key} answers 200", reply.status_code == 200, page["path"])

    def measure(self, key: str, requests: int, warm: int) -> dict[str, Any]:
        from django.db import close_old_connections, connection
        from django.test.utils import CaptureQueriesContext

        page = self.pages[key]
        for _ in range(warm):
            self.get(page["user"], page["path"])
        times: list[float] = []
        statuses: set[int] = set()
        for _ in range(requests):
            started = time.perf_counter()
            reply = self.get(page["user"], page["path"])
            times.append((time.perf_counter() - started) * 1000)
            statuses.add(reply.status_code)
        with CaptureQueriesContext(connection) as captured:
            reply = self.client(page["user"]).get(page["path"])
        # Read before the next request: its request_started signal empties the log.
        queries = captured.captured_queries
        close_old_connections()
        statuses.add(reply.status_code)
        return {
            "ms": times,
            "statuses": sorted(statuses),
            "queries": len(queries),
            "sql_ms": sum(float(q["time"]) for q in queries) * 1000,
            "bytes": len(reply.content),
            "sql": [{"sql": q["sql"], "ms": float(q["time"]) * 1000} for q in queries],
        }

    def profile(self, key: str, requests: int = 10) -> dict[str, Any]:
        """cProfile of the project's code for a page, and the plans of its slowest
        statements."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        page = self.pages[key]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            self.get(page["user"], page["path"])
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(rf"^{ROOT}/(qms|workflows|surveys)/", 15)
        stats.sort_stats("tottime").print_stats(12)
        with CaptureQueriesContext(connection) as captured:
            self.client(page["user"]).get(page["path"])
        slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]
        plans = []
        explain = (
            "EXPLAIN (ANALYZE, BUFFERS) "
            if connection.vendor == "postgresql"
            else "EXPLAIN QUERY PLAN "
        )
        with connection.cursor() as cursor:
            for query in slowest:
                cursor.execute(explain + query["sql"])
                plan = "\n".join(" ".join(map(str, row)) for row in cursor.fetchall())
                plans.append({"ms": float(query["time"]) * 1000, "sql": query["sql"], "plan": plan})
        return {"profile": out.getvalue(), "plans": plans}

    def serve(self) -> int:
        """The line protocol with the driver: JSON in on stdin, JSON out on the real stdout
        (anything else printed goes to stderr)."""
        protocol = os.fdopen(os.dup(1), "w", buffering=1)
        os.dup2(2, 1)
        try:
            info = self.prepare()
        except Exception as error:
            import traceback

            traceback.print_exc()
            protocol.write(json.dumps({"error": repr(error)}) + "\n")
            return 1
        protocol.write(json.dumps(info, default=str) + "\n")
        for line in sys.stdin:
            command = json.loads(line)
            if command["cmd"] == "measure":
                reply = self.measure(command["page"], command["requests"], command["warm"])
            elif command["cmd"] == "profile":
                reply = self.profile(command["page"])
            else:
                break
            protocol.write(json.dumps(reply, default=str) + "\n")
        from django.db import connection

        connection.close()
        return 0


# =====================================================================================
# The driver.
# =====================================================================================


class Dataset:
    def __init__(self, label: str, items: int, args: argparse.Namespace, run_dir: Path):
        self.label = label
        data_dir = run_dir / label
        command = [
            sys.executable,
            "-m",
            "bench.run_workflow",
            "--child",
            "--label",
            label,
            "--items",
            str(items),
            "--seed",
            str(args.seed),
            "--data-dir",
            str(data_dir),
        ]
        if args.database_url:
            command += ["--database-url", database_url(args.database_url, label)]
        if args.redis_url:
            command += ["--redis-url", args.redis_url]
        self.process = subprocess.Popen(  # noqa: S603 - this module, fixed arguments
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.info: dict[str, Any] = {}

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.label}: the dataset process ended (see above)")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"{self.label}: {reply['error']}")
        return reply

    def ask(self, **command: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.process.stdin.close()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()


def database_url(url: str, label: str) -> str:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if label == "small":
        name += "_small"
    return urlunparse(parsed._replace(path="/" + name))


def code_version() -> str:
    """The commit of the tree, with "+changes" if the app's files differ from it (bench/
    excluded: this benchmark may be being edited)."""
    git = shutil.which("git")
    if git is None:
        return "unknown"

    def run(*arguments: str) -> str:
        return subprocess.run(  # noqa: S603 - git with fixed arguments
            [git, *arguments], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = run("rev-parse", "--short", "HEAD")
        changes = run(
            "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench", ":!Makefile"
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+changes" if changes else "")


def busy_share(seconds: float = 1.0) -> float:
    """Share of all CPUs in use over `seconds` (the children are idle meanwhile)."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields) - idle, sum(fields)

    busy1, total1 = sample()
    time.sleep(seconds)
    busy2, total2 = sample()
    return (busy2 - busy1) / max(total2 - total1, 1)


def wait_until_quiet(args: argparse.Namespace) -> float:
    deadline = time.monotonic() + args.quiet_wait
    while True:
        share = busy_share()
        if share < args.quiet_below or time.monotonic() > deadline:
            if share >= args.quiet_below:
                print(f"  machine still busy ({share:.0%} CPU used by others); measuring anyway")
            return share
        print(f"  waiting: other processes use {share:.0%} of the CPU", flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = share * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


LABELS = {
    "coord_list": "coordinator list",
    "coord_list_status_unit": "coordinator list ?status=analysis&unit=BOK",
    "coord_list_overdue": "coordinator list ?overdue=1",
    "head_my_tasks": "head's my tasks (kierownik.bok)",
    "head_list": "head's list (kierownik.bok)",
    "item": "item page (coordinator)",
    "task_analysis": "task page: analysis (head)",
    "task_triage": "task page: triage (coordinator)",
    "coord_my_tasks": "coordinator's my tasks",
}


def summarise(samples: dict[str, dict[str, list[dict]]]) -> dict[str, dict[str, Any]]:
    summary: dict[str, dict[str, Any]] = {}
    for key, by_label in samples.items():
        row: dict[str, Any] = {}
        for label, rounds in by_label.items():
            times = [t for r in rounds for t in r["ms"]]
            row[label] = {
                "p50": percentile(times, 0.5),
                "p95": percentile(times, 0.95),
                "max": max(times),
                "queries": sorted({r["queries"] for r in rounds}),
                "sql_ms": statistics.median(r["sql_ms"] for r in rounds),
                "kb": rounds[-1]["bytes"] / 1024,
                "statuses": sorted({s for r in rounds for s in r["statuses"]}),
            }
        small, large = row["small"], row["large"]
        row["ratio_p50"] = large["p50"] / small["p50"]
        row["ratio_p95"] = large["p95"] / small["p95"]
        row["queries_equal"] = small["queries"] == large["queries"] and len(small["queries"]) == 1
        row["p95_ok"] = large["p95"] < TARGET_P95_MS
        row["ok_status"] = small["statuses"] == [200] and large["statuses"] == [200]
        summary[key] = row
    return summary


def print_report(
    summary: dict[str, dict[str, Any]],
    infos: dict[str, dict],
    args: argparse.Namespace,
    noise: list[float],
) -> None:
    small, large = infos["small"], infos["large"]
    print()
    print(
        f"bench-workflow: {large['database']} + {large['cache']}; in-process (Django test "
        f"client); {args.requests} requests per page and dataset in {args.rounds} interleaved "
        f"rounds after 3 warm-up requests"
    )
    for info in (small, large):
        print(
            f"  {info['label']:>5}: {info['items']} nonconformities ({info['generated']} "
            f"generated in {info['generation_s']} s), {info['tables']['viewflow_task']} tasks; "
            f"open tasks: {HEAD} {info['head_open_tasks']}, {COORDINATOR} "
            f"{info['coordinator_open_tasks']}; overdue {info['overdue']}"
        )
    header = (
        f"{'page':<44}{'queries S/L':>12}{'p50 S':>8}{'p50 L':>8}{'p95 S':>8}{'p95 L':>8}"
        f"{'L/S p50':>8}{'L/S p95':>8}{'sql L':>8}{'KB L':>7}  p95<{TARGET_P95_MS:.0f}  queries"
    )
    print(header)
    print("-" * len(header))
    for key, row in summary.items():
        s, lg = row["small"], row["large"]
        queries = f"{'/'.join(map(str, s['queries']))}/{'/'.join(map(str, lg['queries']))}"
        print(
            f"{LABELS.get(key, key):<44}{queries:>12}{s['p50']:>8.1f}{lg['p50']:>8.1f}"
            f"{s['p95']:>8.1f}{lg['p95']:>8.1f}{row['ratio_p50']:>8.1f}{row['ratio_p95']:>8.1f}"
            f"{lg['sql_ms']:>8.1f}{lg['kb']:>7.0f}  {'PASS' if row['p95_ok'] else 'FAIL':<8}"
            f"{'PASS' if row['queries_equal'] else 'FAIL'}"
            + ("" if row["ok_status"] else f"  statuses {s['statuses']}/{lg['statuses']}")
        )
    print(
        "S = small dataset (the baseline), L = large; times in ms per request (in-process: "
        "view, middleware,\ntemplates and database, no server or network); sql L = time in "
        "SQL of one request, large; KB L = page size, large"
    )
    if noise:
        print(f"other processes before each round: {', '.join(f'{n:.0%}' for n in noise)}")


def main() -> int:
    args = parse_args()
    if args.child:
        return Child(args).serve()

    run_dir = Path(tempfile.mkdtemp(prefix="qms-bench-workflow-"))
    datasets: dict[str, Dataset] = {}
    infos: dict[str, dict] = {}
    samples: dict[str, dict[str, list[dict]]] = {}
    profiles: dict[str, Any] = {}
    noise: list[float] = []
    version = code_version()
    print(f"app code: {version}")
    try:
        # Both at once: they import the app's code at the same moment.
        for label, items in (("small", args.small), ("large", args.items)):
            print(f"preparing the {label} dataset ({items} items) in {run_dir / label} ...")
            datasets[label] = Dataset(label, items, args, run_dir)
        for label, dataset in datasets.items():
            infos[label] = dataset.read()
        failed = [
            (label, c) for label, info in infos.items() for c in info["checks"] if not c["ok"]
        ]
        for label, info in infos.items():
            passed = sum(c["ok"] for c in info["checks"])
            print(f"checks ({label}): {passed}/{len(info['checks'])} passed")
        if failed:
            for label, c in failed:
                print(f"FAIL ({label}): {c['check']}: {c['detail'][:500]}")
            print("the generated data is not what the application would hold: not measuring")
            return 1

        keys = list(infos["large"]["pages"])
        per_round = max(args.requests // args.rounds, 1)
        for number in range(args.rounds):
            noise.append(wait_until_quiet(args))
            print(f"round {number + 1}/{args.rounds}: {per_round} requests per page", flush=True)
            for key in keys:
                for label in ("small", "large"):
                    reply = datasets[label].ask(
                        cmd="measure", page=key, requests=per_round, warm=3 if number == 0 else 0
                    )
                    if number:
                        reply.pop("sql")  # the statements are kept from the first round only
                    samples.setdefault(key, {}).setdefault(label, []).append(reply)
        summary = summarise(samples)
        for key, row in summary.items():
            if not (row["p95_ok"] and row["queries_equal"]):
                profiles[key] = datasets["large"].ask(cmd="profile", page=key)
    finally:
        for dataset in datasets.values():
            dataset.close()

    version_after = code_version()
    print_report(summary, infos, args, noise)
    print(f"app code: {version}" + ("" if version_after == version else f" -> {version_after}"))
    if version_after != version or version.endswith("+changes"):
        print(
            "WARNING: the app's files changed during the run or differ from the commit: "
            "the figures may not belong to one version of the code"
        )
    for key, found in profiles.items():
        print(f"\n=== {LABELS.get(key, key)} (large): where the time goes")
        print("\n".join(found["profile"].strip().splitlines()[:60]))
        for plan in found["plans"][:2]:
            print(f"\n--- {plan['ms']:.1f} ms: {plan['sql'][:600]}")
            print(plan["plan"][:3000])
    if summary and all(
        row["queries_equal"] and row["p95_ok"] and row["ok_status"] for row in summary.values()
    ):
        verdict = "PASS"
    else:
        verdict = "FAIL"
    print(
        f"\nverdict: {verdict} (p95 < {TARGET_P95_MS:.0f} ms on {infos['large']['items']} items "
        "and the same number of queries as on the small dataset, for every page)"
    )

    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"workflow-{stamp}-{infos['large']['database']}.json"
    out.write_text(
        json.dumps(
            {
                "when": stamp,
                "code": version,
                "code_after": version_after,
                "args": {k: v for k, v in vars(args).items() if k != "database_url"},
                "datasets": infos,
                "summary": summary,
                "samples": samples,
                "profiles": profiles,
                "noise": noise,
                "verdict": verdict,
            },
            indent=1,
            default=str,
        )
    )
    print(f"details: {out.relative_to(ROOT)}")
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
