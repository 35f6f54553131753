"""`make bench-qr`: the all-desks QR sheet (A4 PDF) of a large office against a baseline.

One run, one process, one fresh database (SQLite in a fresh DATA_DIR under /tmp, removed
afterwards unless --keep; or the PostgreSQL database named in --database-url, dropped and
re-created): `migrate`, `load_demo --no-history` (12 units, 80 service cards, 7 desks),
then desks added round-robin over the 12 units up to --desks (default 200), so the sheet
holds a code per desk and per active service of its unit (~1,500 codes on ~300 pages).

Two targets, each the coordinator's GET of `/surveys/desks/qr.pdf` through Django's test
client (the real view, middleware, queries and response; no server):

- (a) the sheet, as the app makes it;
- (b) the baseline: the same request and the same pages, texts, captions and fonts, with
  every code drawn as an empty square instead of encoded and drawn (`surveys.qr.qr_codes`,
  `_module_paths` and `_draw_code` replaced in this process). It is what any way of making
  this sheet has to pay, so (a)/(b) is the price of the codes themselves, and (a) - (b) per
  code their cost.

Order: Django's URL conf loaded; one cold request of (a), the first sheet of the process:
it builds the per-version QR tables and registers the fonts, as a server worker's first
sheet does; checks (status, content type, page count, SQL statements the same in (a) and
(b), a sample of the sheet's codes equal to what reportlab's QR widget draws); one
warm-up of (b); then --rounds × ((b), (a)), each timed, wall clock and CPU of this
process (the machine may be shared: CPU is the steadier figure). Target: (a) < 2 s wall
clock (tracker issue 14); the ratio is reported, not judged. With --reference-sample K, K
of the sheet's codes are also drawn with reportlab's QrCodeWidget as before issue 14, to
estimate what the old sheet would take. `--desks 7` is the demo office as it is.
Results: bench/results/qr-<time>-<database>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
TARGET_SECONDS = 2.0
COORDINATOR = "koordynator"  # sees every desk
URL = "/surveys/desks/qr.pdf"

if sys.path and Path(sys.path[0]).resolve() == BENCH:
    sys.path[0] = str(ROOT)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--desks", type=int, default=200, help="desks on the sheet")
    parser.add_argument("--rounds", type=int, default=5, help="timed (b),(a) pairs")
    parser.add_argument("--language", choices=["pl", "en"], default="pl")
    parser.add_argument(
        "--reference-sample",
        type=int,
        default=10,
        help="codes drawn with reportlab's QrCodeWidget to estimate the old sheet (0: none)",
    )
    parser.add_argument("--database-url", default="", help="PostgreSQL (DROPPED, re-created)")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite DATA_DIR")
    return parser.parse_args()


def add_desks(total: int) -> int:
    """Desks round-robin over the units until there are `total`; returns how many were added."""
    from qms.models import OrgUnit
    from surveys.models import Desk

    units = list(OrgUnit.objects.filter(service_cards__is_active=True).distinct().order_by("code"))
    missing = max(total - Desk.objects.count(), 0)
    Desk.objects.bulk_create(
        Desk(
            code=f"{units[i % len(units)].code}-S{i + 1:03d}",
            name=f"{units[i % len(units)].name_pl} – stanowisko {i + 1}",
            unit=units[i % len(units)],
        )
        for i in range(missing)
    )
    return missing


def expected_sheet() -> dict[str, int]:
    from django.db.models import Count, Q

    from qms.models import OrgUnit
    from surveys import qr
    from surveys.models import Desk

    cards = dict(
        OrgUnit.objects.annotate(
            n=Count("service_cards", filter=Q(service_cards__is_active=True))
        ).values_list("pk", "n")
    )
    per_page = qr.COLUMNS * qr.ROWS
    codes = pages = 0
    for unit_id in Desk.objects.values_list("unit_id", flat=True):
        codes += 1 + cards.get(unit_id, 0)
        pages += math.ceil((1 + cards.get(unit_id, 0)) / per_page)
    return {"desks": Desk.objects.count(), "codes": codes, "pages": pages}


def sheet_urls(language: str) -> list[str]:
    from surveys import qr
    from surveys.models import Desk, Questionnaire

    questionnaire = Questionnaire.objects.filter(versions__status="active").order_by("slug")[0]
    return [
        url
        for desk in Desk.objects.order_by("code")
        for _caption, url in qr.desk_cells(questionnaire, desk, language)
    ]


def empty_boxes() -> Any:
    """(b): each code an empty square of the code's size; no encoding, no modules."""
    from surveys import qr

    def box(canvas: Any, code: Any, x: float, y: float) -> None:
        canvas.rect(x, y, qr.CODE_SIZE, qr.CODE_SIZE, stroke=1, fill=0)

    return mock.patch.multiple(
        qr,
        qr_codes=lambda texts: [None] * len(texts),
        _module_paths=lambda codes: [None] * len(codes),
        _draw_code=box,
    )


class Sheet:
    def __init__(self, language: str):
        from django.test import Client

        from qms.models import User

        self.client = Client(SERVER_NAME="127.0.0.1")
        self.client.force_login(User.objects.get(username=COORDINATOR))
        self.language = language

    def warm_up(self) -> None:
        """Django's own first-request work (URL conf and the views it imports), so that the
        first sheet measures only what is the sheet's."""
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 - imports every view module

    def get(self) -> tuple[float, float, bytes, int]:
        """Wall and CPU seconds, body and SQL statements of one request."""
        from django.db import close_old_connections, connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            started, cpu = time.perf_counter(), time.process_time()
            response = self.client.get(URL, {"jezyk": self.language})
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        close_old_connections()
        if response.status_code != 200 or response["Content-Type"] != "application/pdf":
            sys.exit(f"{URL}: {response.status_code} {response.get('Content-Type')}")
        return seconds, cpu, response.content, len(queries.captured_queries)


def page_count(pdf: bytes) -> int:
    import re

    return len(re.findall(rb"/Type /Page\b", pdf))


def widget_modules(url: str) -> Any:
    """The module matrix reportlab's QrCodeWidget draws (the sheet's code before issue 14)."""
    import numpy as np
    from reportlab.graphics.barcode.qr import QrCodeWidget

    widget = QrCodeWidget(url, barLevel="M")
    widget.qr.make()
    return np.array(widget.qr.modules, dtype=bool)


def reference_ms_per_code(urls: list[str]) -> float:
    """ms per code with the pre-issue-14 drawing: reportlab's widget, rendered to a canvas."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.pdfgen.canvas import Canvas

    from surveys.qr import CODE_SIZE

    canvas = Canvas(io.BytesIO())
    started = time.perf_counter()
    for url in urls:
        widget = QrCodeWidget(url, barLevel="M")
        x1, y1, x2, y2 = widget.getBounds()
        transform = [CODE_SIZE / (x2 - x1), 0, 0, CODE_SIZE / (y2 - y1), 0, 0]
        drawing = Drawing(CODE_SIZE, CODE_SIZE, transform=transform)
        drawing.add(widget)
        renderPDF.draw(drawing, canvas, 0, 0)
    return (time.perf_counter() - started) / len(urls) * 1000


def main() -> int:
    args = parse_args()
    from bench.run_submit import configure_environment, recreate_postgres_database
    from bench.run_workflow import busy_share, code_version

    data_dir = Path(tempfile.mkdtemp(prefix="qms-bench-qr-"))
    try:
        configure_environment(args, data_dir)
        if args.database_url:
            recreate_postgres_database(args.database_url)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_demo", "--no-history", verbosity=0, stdout=io.StringIO())
        added = add_desks(args.desks)
        setup_seconds = time.monotonic() - started
        expected = expected_sheet()
        database = connection.vendor
        print(
            f"bench-qr: {database}; {expected['desks']} desks ({added} added), "
            f"{expected['codes']} codes on {expected['pages']} pages, language "
            f"{args.language}; set up in {setup_seconds:.0f} s; app code {code_version()}",
            flush=True,
        )

        from surveys import qr

        sheet = Sheet(args.language)
        sheet.warm_up()
        cold, cold_cpu, pdf, queries = sheet.get()  # before anything else encodes a code
        urls = sheet_urls(args.language)
        checks = {
            "pages": page_count(pdf) == expected["pages"],
            "codes": len(urls) == expected["codes"],
            "sample equals reportlab's widget": all(
                (qr.qr_modules(url) == widget_modules(url)).all()
                for url in urls[:: max(len(urls) // 20, 1)]
            ),
        }
        with empty_boxes():
            _wall, _cpu, baseline_pdf, baseline_queries = sheet.get()  # warm-up
        checks["baseline pages"] = page_count(baseline_pdf) == expected["pages"]
        checks["same queries"] = queries == baseline_queries

        samples: dict[str, list[float]] = {"a": [], "b": []}
        cpu: dict[str, list[float]] = {"a": [], "b": []}
        others = []
        for _round in range(args.rounds):
            others.append(busy_share(0.5))
            for key in ("b", "a"):
                with empty_boxes() if key == "b" else contextlib.nullcontext():
                    wall, used, _body, _queries = sheet.get()
                samples[key].append(wall)
                cpu[key].append(used)

        reference = (
            reference_ms_per_code(urls[: args.reference_sample]) if args.reference_sample else None
        )
    finally:
        if args.keep and not args.database_url:
            print(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)

    a, b = statistics.median(samples["a"]), statistics.median(samples["b"])
    a_cpu, b_cpu = statistics.median(cpu["a"]), statistics.median(cpu["b"])
    per_code = (a_cpu - b_cpu) / expected["codes"] * 1000
    print(
        f"{'target':<40}{'median s':>9}{'min s':>7}{'max s':>7}{'cpu s':>7}"
        f"{'pages':>7}{'KB':>7}{'SQL':>5}"
    )
    print("-" * 89)
    rows = [
        ("(b) baseline: same sheet, empty boxes", "b", baseline_pdf, baseline_queries),
        ("(a) QR sheet of all desks", "a", pdf, queries),
    ]
    for label, key, body, sql in rows:
        times = samples[key]
        print(
            f"{label:<40}{statistics.median(times):>9.3f}{min(times):>7.3f}{max(times):>7.3f}"
            f"{statistics.median(cpu[key]):>7.3f}{page_count(body):>7}{len(body) // 1024:>7}"
            f"{sql:>5}"
        )
    print(f"{'(a) cold: first sheet of the process':<40}{cold:>9.3f}{'':>14}{cold_cpu:>7.3f}")
    print(
        f"ratio (a)/(b) = {a / b:.2f} (CPU: {a_cpu / b_cpu:.2f}); the codes cost "
        f"{per_code:.2f} ms of CPU each ({expected['codes']} codes); other processes used "
        f"up to {max(others):.0%} of the CPU"
    )
    if reference is not None:
        print(
            f"before (reportlab's QrCodeWidget, {args.reference_sample} codes): {reference:.0f} ms "
            f"a code, i.e. ~{b + reference * expected['codes'] / 1000:.0f} s for this sheet"
        )
    failed = [name for name, ok in checks.items() if not ok]
    print(
        f"verdict: (a) median {a:.2f} s ({a_cpu:.2f} s CPU), target < {TARGET_SECONDS:.0f} s: "
        f"{'MET' if a < TARGET_SECONDS else 'NOT MET'}; checks: "
        + ("passed" if not failed else "FAILED: " + ", ".join(failed))
    )

    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result: dict[str, Any] = {
        "database": database,
        "code": code_version(),
        "args": vars(args),
        "expected": expected,
        "checks": checks,
        "seconds": samples,
        "cpu_seconds": cpu,
        "cold_seconds": cold,
        "cold_cpu_seconds": cold_cpu,
        "queries": queries,
        "pdf_bytes": len(pdf),
        "ratio": a / b,
        "ms_per_code": per_code,
        "reference_ms_per_code": reference,
        "others_cpu": others,
    }
    (RESULTS / f"qr-{stamp}-{database}.json").write_text(json.dumps(result, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
