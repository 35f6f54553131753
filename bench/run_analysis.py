"""`make bench-analysis`: the annual review's analysis stage on 1,000,000 answers.

One run = one database configuration (SQLite by default; PostgreSQL with
--database-url, whose database is DROPPED and re-created: its name must contain
'bench'). Two child processes share the database; the driver imports no Django:

1. **generate** — `migrate`, `load_demo` (12 units, 80 cards, the default
   questionnaire), 70 more cards (`analysis_data.add_cards`), three review cycles
   (the last three years whose analysis date has passed, created with
   `review.services.cycle_save`), then `analysis_data.generate`: ~--answers answer rows
   (about a third per year, ~9 per response) and the staff observations, in bulk.
   Checks, before anything is timed: sampled generated responses and one observation
   equal their twins sent through the real write path (`response_submit`,
   `observation_record`), the answer frame included;
2. **measure** — a fresh process (so that its memory is the analysis's, not the
   generator's). Per measured cycle, --rounds interleaved rounds of
   - **load**: `surveys.selectors.answer_frame(period=..., questionnaire=...)` for the
     cycle — the same rows the analysis reads, into the same DataFrame — and
   - **stage**: what the sweep runs for the cycle's `analyse` and `findings` steps
     (`review.services._run_step` for both, in one transaction that is rolled back
     afterwards, so every round does the same work): load, indicators, stored
     indicators, standards evaluated, findings created, nonconformities registered
     (or linked), re-measurements;
   the first cycle (nothing earlier: every breach registers a nonconformity) and the
   last (after the first two were committed: breaches recur and are linked). Then
   the last cycle is committed, the findings are checked against breaches computed
   straight from SQL (`analysis_data.expected_breaches`), and the results pack of
   each of the 12 units is built (`review.packs.pack_store`) and timed, then the
   management-review pack.

Peak memory: before each measured operation the process's peak RSS is reset (Linux
`/proc/self/clear_refs`, 5); after it, `VmHWM` is the highest resident size reached
during the operation — Python objects, numpy/pandas buffers and the database driver
alike. Reported as that peak (the whole process: Django, pandas, scipy loaded) and as
its growth over the RSS just before. Targets: stage / load ≤ 3 (medians), stage peak
< 1 GiB. Results: bench/results/analysis-<time>-<database>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from review.models import Cycle

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
TARGET_RATIO = 3.0
TARGET_PEAK_MB = 1024.0
STAGE_STEPS = ("analyse", "findings")
# Committing a cycle (to build the next cycles' history) also registers its findings.
COMMIT_STEPS = (*STAGE_STEPS, "nonconformities")

if sys.path and Path(sys.path[0]).resolve() == BENCH:
    sys.path[0] = str(ROOT)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1_000_000, help="answer rows, ~")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per cycle")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL; the database is DROPPED and re-created (its name must "
        "contain 'bench'). Empty: SQLite (embedded default) in a fresh /tmp directory.",
    )
    parser.add_argument("--redis-url", default="", help="Redis URL for the cache (optional)")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one stage even if the targets are met"
    )
    parser.add_argument("--keep", action="store_true", help="keep the /tmp run directory")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", default="", help=argparse.SUPPRESS)
    parser.add_argument("--rare-cards", nargs="*", default=[], help=argparse.SUPPRESS)
    return parser.parse_args()


def log(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def setup_django(args: argparse.Namespace, *, recreate: bool) -> None:
    from bench.run_submit import configure_environment, recreate_postgres_database

    configure_environment(args, Path(args.run_dir) / "data")
    if recreate and args.database_url:
        recreate_postgres_database(args.database_url)
    import django

    django.setup()


def review_years(today: date) -> list[int]:
    """The last three years whose analysis date (30 August) has passed."""
    from review.models import default_analysis_due_on

    last = today.year if today >= default_analysis_due_on(today.year) else today.year - 1
    return [last - 2, last - 1, last]


# =====================================================================================
# Child 1: the data and the checks.
# =====================================================================================


def child_generate(args: argparse.Namespace) -> dict[str, Any]:
    setup_django(args, recreate=True)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench import analysis_data
    from qms.models import ServiceCard, User
    from review import services
    from review.models import Cycle
    from surveys.models import Answer, Response, StaffObservation

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_demo", no_history=True, verbosity=0, stdout=io.StringIO())
    added = analysis_data.add_cards()
    coordinator = User.objects.get(username="koordynator")
    years = review_years(timezone.localdate())
    cycles = []
    for year in years:
        values = services.cycle_defaults(year)
        cycles.append(services.cycle_save(cycle=Cycle(**values), user=coordinator))
    version_id = cycles[0].version_id
    assert all(c.version_id == version_id for c in cycles)
    log(f"migrate, load_demo, {added} cards, cycles {years}: {time.monotonic() - started:.0f} s")

    started = time.monotonic()
    stats, profiles = analysis_data.generate(
        years=years,
        answers_total=args.answers,
        seed=args.seed,
        version_id=version_id,
        progress=log,
    )
    generation = time.monotonic() - started
    log(f"generated in {generation:.0f} s")

    checks: list[dict[str, Any]] = []

    def check(name: str, ok: bool, detail: str = "") -> None:
        checks.append({"check": name, "ok": bool(ok), "detail": detail})
        if not ok:
            log(f"CHECK FAILED: {name} {detail}")

    check_twins(stats.plans, version_id, check)

    return {
        "database": connection.vendor,
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "years": years,
        "cards": ServiceCard.objects.filter(is_active=True).count(),
        "generation_s": round(generation, 1),
        "responses": {str(y): stats.responses[y] for y in years},
        "answers": {str(y): stats.answers[y] for y in years},
        "observations": {str(y): stats.observations[y] for y in years},
        "by_tier": {f"{y}:{t}": n for (y, t), n in sorted(stats.by_tier.items())},
        "weak_cards": {
            key: sum(1 for p in profiles if p.rates[key] < (0.7 if key == "waiting_time" else 0.8))
            for key in analysis_data.WEAK
        },
        "error_prone_cards": sum(1 for p in profiles if p.errors_per_month > 10),
        "rare_cards": sorted(p.code for p in profiles if p.tier == "rare"),
        "rows": {
            "responses": Response.objects.count(),
            "answers": Answer.objects.count(),
            "observations": StaffObservation.objects.count(),
        },
        "checks": checks,
    }


def check_twins(plans: list, version_id: int, check: Callable[[str, bool, str], None]) -> None:
    """Generated responses (and an observation) = the same plans sent through the real
    services; done in a transaction that is rolled back."""
    import pandas as pd
    from django.db import transaction

    from bench import analysis_data
    from surveys.models import StaffObservation
    from surveys.selectors import answer_frame

    # Cover every channel and the conditional branches.
    chosen: dict[tuple, Any] = {}
    for plan in plans:
        shape = (
            plan.channel,
            plan.answers.get("card_read") == "no",
            "card_missing" in plan.answers,
            "comments" in plan.answers,
            "na" in plan.answers.values(),
        )
        chosen.setdefault(shape, plan)
    compared = 0
    with transaction.atomic():
        for plan in chosen.values():
            generated = analysis_data.find_generated(plan)
            if generated is None:
                check(f"generated response found ({plan.channel}, {plan.card})", False, repr(plan))
                continue
            submitted = analysis_data.submit_plan(plan, version_id)
            a = analysis_data.response_signature(generated)
            b = analysis_data.response_signature(submitted)
            frame = answer_frame(period=(plan.day, plan.day))
            rows = {}
            for pk in (generated, submitted):
                part = frame[frame["response"] == pk].drop(columns="response")
                rows[pk] = part.sort_values(list(part.columns)).reset_index(drop=True)
            same_frame = len(rows[generated]) > 0 and rows[generated].equals(rows[submitted])
            check(
                f"generated response = response_submit's ({plan.channel}, "
                f"{len(b['answers'])} answers"
                f"{', card not read' if plan.answers.get('card_read') == 'no' else ''}"
                f"{', missing' if 'card_missing' in plan.answers else ''})",
                a == b and same_frame,
                ""
                if a == b and same_frame
                else json.dumps({"generated": a, "submitted": b}, default=str)[:2000],
            )
            compared += 1
        observation = analysis_data.ObservationPlan(
            card=plans[0].card,
            kind="document_error",
            summary="Brak podpisu na wniosku",
            frequency=3,
            period="week",
            example="",
            recorded_by=analysis_data.Office.load().interviewers[
                analysis_data.Office.load().unit_of_card[plans[0].card]
            ],
            recorded_on=plans[0].day,
        )
        [row] = analysis_data.observation_rows([observation])
        StaffObservation.objects.bulk_create([row])
        a = analysis_data.observation_signature(row.pk)
        b = analysis_data.observation_signature(analysis_data.submit_observation(observation))
        check("generated observation = observation_record's", a == b, f"{a} / {b}")
        transaction.set_rollback(True)
    check(f"{compared} response shapes compared", compared >= 8, str(compared))
    del pd


# =====================================================================================
# Child 2: the measurements.
# =====================================================================================


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def measured(operation: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    gc.collect()
    reset_peak()
    before = rss_mb()
    started = time.perf_counter()
    result = operation()
    seconds = time.perf_counter() - started
    peak = rss_mb("VmHWM")
    return result, {
        "s": round(seconds, 3),
        "peak_mb": round(peak, 1),
        "growth_mb": round(peak - before, 1),
        "before_mb": round(before, 1),
    }


def child_measure(args: argparse.Namespace) -> dict[str, Any]:
    import warnings

    # t intervals of one-answer groups (suppressed anyway) warn; not this run's business.
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="scipy")
    setup_django(args, recreate=False)
    from django.db import connection, transaction

    from qms.models import OrgUnit
    from review import packs, services
    from review.models import Cycle, Finding, Indicator, Pack, Step
    from surveys.selectors import answer_frame
    from workflows.models import Nonconformity

    cycles = list(Cycle.objects.select_related("version").order_by("year"))
    today = {c.pk: c.analysis_due_on for c in cycles}

    def load(cycle: Cycle) -> int:
        frame = answer_frame(
            period=(cycle.survey_opens_on, cycle.survey_closes_on),
            questionnaire=cycle.version.questionnaire_id,
        )
        return len(frame)

    def stage(cycle: Cycle, commit: bool) -> dict[str, Any]:
        with transaction.atomic():
            steps = COMMIT_STEPS if commit else STAGE_STEPS
            for spec in services.steps_for(cycle):
                if spec.name in steps:
                    services._run_step(cycle, spec, spec.due(cycle), today[cycle.pk])
            details = dict(
                Step.objects.filter(cycle=cycle, name__in=steps).values_list("name", "detail")
            )
            counts = {
                "indicators": cycle.indicators.count(),
                "findings": cycle.findings.count(),
                "nonconformities": Nonconformity.objects.count(),
            }
            if not commit:
                transaction.set_rollback(True)
        return {"details": details, **counts}

    result: dict[str, Any] = {"cycles": {}, "rss_start_mb": round(rss_mb(), 1)}
    _, warm = measured(lambda: load(cycles[0]))
    result["warm_up_load"] = warm
    log(f"warm-up load: {warm['s']:.1f} s")

    def rounds(cycle: Cycle, label: str) -> dict[str, Any]:
        samples: dict[str, list[dict[str, float]]] = {"load": [], "stage": []}
        rows = 0
        outcome: dict[str, Any] = {}
        for number in range(args.rounds):
            order = ("load", "stage") if number % 2 == 0 else ("stage", "load")
            for what in order:
                if what == "load":
                    rows, sample = measured(lambda: load(cycle))
                else:
                    outcome, sample = measured(lambda: stage(cycle, commit=False))
                samples[what].append(sample)
                log(
                    f"{cycle.year} ({label}) round {number + 1}: {what} {sample['s']:.2f} s, "
                    f"peak {sample['peak_mb']:.0f} MB"
                )
        load_s = statistics.median(s["s"] for s in samples["load"])
        stage_s = statistics.median(s["s"] for s in samples["stage"])
        ratio = stage_s / load_s
        summary: dict[str, Any] = {
            "year": cycle.year,
            "label": label,
            "answers": rows,
            "load_s": load_s,
            "stage_s": stage_s,
            "ratio": ratio,
            "stage_peak_mb": max(s["peak_mb"] for s in samples["stage"]),
            "stage_growth_mb": max(s["growth_mb"] for s in samples["stage"]),
            "load_peak_mb": max(s["peak_mb"] for s in samples["load"]),
            "load_growth_mb": max(s["growth_mb"] for s in samples["load"]),
            "samples": samples,
            "outcome": outcome,
        }
        if args.profile or ratio > TARGET_RATIO:
            summary["profile"] = profile_stage(lambda: stage(cycle, commit=False))
        return summary

    first, *middle, last = cycles
    result["cycles"]["first"] = rounds(first, "first: every breach registers")
    committed = []
    for cycle in [first, *middle]:

        def commit(cycle: Cycle = cycle) -> dict[str, Any]:
            return stage(cycle, commit=True)

        outcome, sample = measured(commit)
        committed.append({"year": cycle.year, **sample, **outcome})
        log(f"{cycle.year} committed: {sample['s']:.1f} s; {outcome['details']}")
    result["cycles"]["last"] = rounds(last, "last: breaches recur")
    outcome, sample = measured(lambda: stage(last, commit=True))
    committed.append({"year": last.year, **sample, **outcome})
    log(f"{last.year} committed: {sample['s']:.1f} s; {outcome['details']}")
    result["committed"] = committed

    # --- sanity of the results -------------------------------------------------------
    from bench import analysis_data

    checks: list[dict[str, Any]] = []
    for cycle in cycles:
        expected = analysis_data.expected_breaches(cycle.pk)
        found = set(cycle.findings.values_list("standard_id", "card__code"))
        checks.append(
            {
                "check": f"{cycle.year}: findings = breaches computed from SQL",
                "ok": found == expected and len(found) > 0,
                "detail": f"{len(found)} findings, {len(expected)} expected; "
                f"missing {sorted(expected - found)[:5]}, extra {sorted(found - expected)[:5]}",
            }
        )
        suppressed = set(
            Indicator.objects.filter(
                cycle=cycle, scope=Indicator.Scope.CARD, status="suppressed"
            ).values_list("subject", flat=True)
        )
        firm = set(
            Indicator.objects.filter(
                cycle=cycle, scope=Indicator.Scope.CARD, status="firm"
            ).values_list("subject", flat=True)
        )
        rare = set(args.rare_cards)
        checks.append(
            {
                "check": f"{cycle.year}: the rare cards' cells are suppressed, other cards shown",
                "ok": bool(rare) and rare <= suppressed and len(firm) > len(rare),
                "detail": f"{len(suppressed)} cards with a suppressed cell, {len(firm)} with a "
                f"firm one; rare cards not suppressed: {sorted(rare - suppressed)}",
            }
        )
    registered = Nonconformity.objects.filter(findings__isnull=False).distinct().count()
    first_findings = first.findings.count()
    checks.append(
        {
            "check": "first cycle: one nonconformity per finding; later ones link recurrences",
            "ok": first.findings.filter(nonconformity__isnull=True).count() == 0
            and registered >= first_findings
            and not Finding.objects.filter(nonconformity__isnull=True).exists(),
            "detail": f"{registered} nonconformities from {Finding.objects.count()} findings "
            f"({first_findings} in {first.year})",
        }
    )
    result["checks"] = checks
    result["findings"] = {
        str(c.year): {
            "findings": c.findings.count(),
            "by_standard": dict(Counter(c.findings.values_list("standard__key", "standard__kind"))),
            "indicators": c.indicators.count(),
        }
        for c in cycles
    }
    result["findings"] = {
        year: {**v, "by_standard": {f"{k[1]}:{k[0]}": n for k, n in v["by_standard"].items()}}
        for year, v in result["findings"].items()
    }

    # --- packs -------------------------------------------------------------------------
    pack_times = []
    for unit in OrgUnit.objects.filter(is_active=True).order_by("code"):

        def build(unit: OrgUnit = unit) -> int:
            with transaction.atomic():
                return packs.pack_store(cycle=last, unit=unit)

        built, sample = measured(build)
        pack_times.append({"unit": unit.code, "built": built, **sample})
        log(f"pack {unit.code}: {sample['s']:.2f} s")

    def build_management() -> int:
        with transaction.atomic():
            return packs.pack_store(cycle=last, unit=None)

    built, sample = measured(build_management)
    result["packs"] = pack_times
    result["management_pack"] = {"built": built, **sample}
    stored = list(Pack.objects.filter(cycle=last))
    sizes = [(p.pdf.size, p.xlsx.size) for p in stored]
    result["checks"].append(
        {
            "check": "13 packs stored (12 units + management review), files not empty",
            "ok": len(stored) == 13 and all(a > 0 and b > 0 for a, b in sizes),
            "detail": f"{len(stored)} packs, PDF {min(a for a, _ in sizes) // 1024}-"
            f"{max(a for a, _ in sizes) // 1024} KB",
        }
    )
    if args.profile:
        unit = OrgUnit.objects.get(code="BOK")

        def again() -> None:
            with transaction.atomic():
                Pack.objects.filter(cycle=last, unit=unit).delete()
                packs.pack_store(cycle=last, unit=unit)
                transaction.set_rollback(True)

        result["pack_profile"] = profile_stage(again)
    result["database"] = connection.vendor
    return result


def profile_stage(operation: Callable[[], Any]) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    operation()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(rf"^{ROOT}/(qms|surveys|workflows)/", 25)
    stats.sort_stats("tottime").print_stats(15)
    return out.getvalue()


def child_main(args: argparse.Namespace) -> int:
    out = Path(args.run_dir) / f"{args.child}.json"
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


def run_child(name: str, args: argparse.Namespace, run_dir: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "bench.run_analysis",
        "--child",
        name,
        "--run-dir",
        str(run_dir),
        "--answers",
        str(args.answers),
        "--rounds",
        str(args.rounds),
        "--seed",
        str(args.seed),
    ]
    if args.database_url:
        command += ["--database-url", args.database_url]
    if args.redis_url:
        command += ["--redis-url", args.redis_url]
    if args.profile:
        command.append("--profile")
    if name == "measure":
        command += ["--rare-cards", *args.rare_cards]
    subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603 - this module, fixed args
    out = run_dir / f"{name}.json"
    if not out.exists():
        raise RuntimeError(f"the {name} process wrote no result (see above)")
    reply: dict[str, Any] = json.loads(out.read_text())
    if "error" in reply:
        raise RuntimeError(f"{name}: {reply['error']}")
    return reply


def print_report(data: dict[str, Any], measure: dict[str, Any], version: str) -> str:
    lines = []
    total_answers = sum(data["answers"].values())
    total_responses = sum(data["responses"].values())
    lines.append(
        f"bench-analysis: {data['database']}; {total_answers} answers in {total_responses} "
        f"responses ({data['cards']} cards, cycles {', '.join(map(str, data['years']))}), "
        f"{sum(data['observations'].values())} staff observations; generated in "
        f"{data['generation_s']} s; app code {version}"
    )
    for year in data["years"]:
        y = str(year)
        lines.append(
            f"  {year}: {data['responses'][y]} responses, {data['answers'][y]} answers, "
            f"{data['observations'][y]} observations; {measure['findings'][y]['indicators']} "
            f"indicators, {measure['findings'][y]['findings']} findings "
            f"{measure['findings'][y]['by_standard']}"
        )
    header = (
        f"{'cycle':<38}{'answers':>9}{'load s':>8}{'stage s':>9}{'ratio':>7}"
        f"{'stage peak MB':>15}{'(+growth)':>10}{'load peak MB':>14}  ratio<={TARGET_RATIO:g}"
        f"  peak<{TARGET_PEAK_MB:.0f}"
    )
    lines.append(header)
    lines.append("-" * len(header))
    for row in measure["cycles"].values():
        lines.append(
            f"{str(row['year']) + ' ' + row['label']:<38}{row['answers']:>9}{row['load_s']:>8.2f}"
            f"{row['stage_s']:>9.2f}{row['ratio']:>7.2f}{row['stage_peak_mb']:>15.0f}"
            f"{'+' + format(row['stage_growth_mb'], '.0f'):>10}{row['load_peak_mb']:>14.0f}"
            f"  {'PASS' if row['ratio'] <= TARGET_RATIO else 'FAIL':<9}"
            f"{'PASS' if row['stage_peak_mb'] < TARGET_PEAK_MB else 'FAIL'}"
        )
        lines.append(f"    outcome: {row['outcome']['details'].get('findings', '')}")
    lines.append(
        "load = answer_frame of the cycle; stage = the sweep's analyse + findings steps "
        "(rolled back after each round);\nmedians of "
        f"{len(next(iter(measure['cycles'].values()))['samples']['load'])} interleaved rounds; "
        "peak = the process's peak RSS during the operation (VmHWM after clear_refs)"
    )
    for row in measure["committed"]:
        lines.append(
            f"  committed {row['year']}: {row['s']:.2f} s, peak {row['peak_mb']:.0f} MB; "
            f"{row['details'].get('analyse', '')} {row['details'].get('findings', '')}"
        )
    packs = measure["packs"]
    lines.append(
        "packs of the last cycle (pack_store, one transaction each): "
        + ", ".join(f"{p['unit']} {p['s']:.2f}" for p in packs)
    )
    lines.append(
        f"  12 units: {sum(p['s'] for p in packs):.1f} s in all (median "
        f"{statistics.median(p['s'] for p in packs):.2f} s, max {max(p['s'] for p in packs):.2f} "
        f"s, peak {max(p['peak_mb'] for p in packs):.0f} MB); management review: "
        f"{measure['management_pack']['s']:.2f} s, "
        f"peak {measure['management_pack']['peak_mb']:.0f} MB"
    )
    return "\n".join(lines)


def main() -> int:
    args = parse_args()
    if args.child:
        return child_main(args)
    from bench.run_workflow import code_version

    run_dir = Path(tempfile.mkdtemp(prefix="qms-bench-analysis-"))
    args.run_dir = str(run_dir)
    version = code_version()
    print(f"app code: {version}; run directory {run_dir}", flush=True)
    try:
        print("generating (migrate, load_demo, cards, cycles, responses, checks) ...", flush=True)
        data = run_child("generate", args, run_dir)
        passed = sum(c["ok"] for c in data["checks"])
        print(f"checks (generated = real write path): {passed}/{len(data['checks'])} passed")
        failed = [c for c in data["checks"] if not c["ok"]]
        for c in failed:
            print(f"FAIL: {c['check']}: {c['detail'][:800]}")
        if failed:
            print("the generated data is not what the application would hold: not measuring")
            return 1
        args.rare_cards = data["rare_cards"]
        print("measuring (a fresh process) ...", flush=True)
        measure = run_child("measure", args, run_dir)
    finally:
        if not args.keep:
            shutil.rmtree(run_dir / "data", ignore_errors=True)
    version_after = code_version()
    report = print_report(data, measure, version)
    print()
    print(report)
    for c in measure["checks"]:
        print(f"check: {'PASS' if c['ok'] else 'FAIL'} {c['check']} ({c['detail']})")
    for row in measure["cycles"].values():
        if "profile" in row:
            print(f"\n=== {row['year']} stage: where the time goes")
            print("\n".join(row["profile"].strip().splitlines()[:80]))
    if "pack_profile" in measure:
        print("\n=== one unit's pack (BOK): where the time goes")
        print("\n".join(measure["pack_profile"].strip().splitlines()[:60]))
    ratio_ok = all(r["ratio"] <= TARGET_RATIO for r in measure["cycles"].values())
    peak_ok = all(r["stage_peak_mb"] < TARGET_PEAK_MB for r in measure["cycles"].values())
    checks_ok = all(c["ok"] for c in measure["checks"])
    verdict = "PASS" if ratio_ok and peak_ok and checks_ok else "FAIL"
    print(
        f"\nverdict: {verdict} (stage/load <= {TARGET_RATIO:g}: "
        f"{'met' if ratio_ok else 'NOT met'}; "
        f"stage peak < {TARGET_PEAK_MB:.0f} MB: {'met' if peak_ok else 'NOT met'}; "
        f"result checks: {'passed' if checks_ok else 'FAILED'})"
    )
    print(f"app code: {version}" + ("" if version_after == version else f" -> {version_after}"))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"analysis-{stamp}-{data['database']}.json"
    out.write_text(
        json.dumps(
            {
                "when": stamp,
                "code": version,
                "code_after": version_after,
                "args": {k: v for k, v in vars(args).items() if k != "database_url"},
                "data": data,
                "measure": measure,
                "report": report,
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
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
