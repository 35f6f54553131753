"""Benchmarking pages: export this office's file, import peers' files, compare.

The coordinator and the auditor see them (export, compare); only the coordinator
imports. Heads and staff get 403: the figures are the whole office's, and comparing
offices is part of the management review, not of a unit's work. The schema is open to
anyone logged in — it holds no data.
"""

import json

import pandas as pd
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import cache_control

from qms.models import Office
from qms.views import AuthedRequest, apply_service_errors, require
from review import benchmarking, selectors
from review.models import Cycle, Indicator, PeerFile, PeerIndicator
from surveys.models import Question


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Benchmarking file (JSON)"),
        help_text=gettext_lazy("Another office's export, in the format described by the schema."),
    )
    replace = forms.BooleanField(
        label=gettext_lazy("Replace the file imported before"),
        help_text=gettext_lazy("Tick it only to replace the same office's file for the same year."),
        required=False,
    )


def _labels(cycle: Cycle | None, keys) -> dict[str, str]:
    """Question texts by stable key, from the questionnaire version the cycle surveyed."""
    if cycle is None:
        return {}
    return {q.key: q.text for q in Question.objects.filter(version=cycle.version, key__in=keys)}


def benchmark_schema(request: AuthedRequest) -> JsonResponse:
    return JsonResponse(benchmarking.SCHEMA, json_dumps_params={"ensure_ascii": False, "indent": 2})


def benchmark_index(request: AuthedRequest, year: int | None = None) -> HttpResponse:
    """The indicators of a year: ours (exportable ones) and how many peers have each."""
    require(selectors.can_read_cycles(request.user))
    cycles = list(Cycle.objects.order_by("-year"))
    years = sorted(c.year for c in cycles)  # peer files exist only for years with a cycle
    if year is None:
        year = cycles[0].year if cycles else None
    cycle = next((c for c in cycles if c.year == year), None)
    if year is not None and cycle is None:
        raise Http404
    rows: list[dict] = []
    if cycle is not None:
        own = benchmarking.exportable(selectors.indicator_frame(cycle))
        mine = {(r.key, r.measure): r for r in own.itertuples(index=False)}
        peers = {
            (p["key"], p["measure"]): p["offices"]
            for p in PeerIndicator.objects.filter(file__year=cycle.year)
            .values("key", "measure")
            .annotate(offices=Count("file"))
        }
        labels = _labels(cycle, {key for key, _m in mine | peers})
        for key, measure in sorted(mine.keys() | peers.keys()):
            row = mine.get((key, measure))
            rows.append(
                {
                    "key": key,
                    "measure": measure,
                    "measure_label": Indicator.Measure(measure).label,
                    "label": labels.get(key, ""),
                    "n": row.n if row else None,
                    "value": row.value if row else None,
                    "shown": (row.value * (100 if measure == "share" else 1)) if row else None,
                    "peers": peers.get((key, measure), 0),
                }
            )
    files = (
        (PeerFile.objects.filter(year=cycle.year) if cycle else PeerFile.objects.none())
        .select_related("imported_by")
        .annotate(indicator_count=Count("indicators"))
        .order_by("office_name")
    )
    return render(
        request,
        "review/benchmark_index.html",
        {
            "year": year,
            "years": years,
            "cycle": cycle,
            "rows": rows,
            "files": files,
            "can_import": selectors.can_run_cycles(request.user),
        },
    )


def benchmark_export(request: AuthedRequest, year: int) -> HttpResponse:
    require(selectors.can_read_cycles(request.user))
    cycle = get_object_or_404(Cycle, year=year)
    try:
        document = benchmarking.export_document(cycle)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("review:benchmark_year", year=year)
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="benchmark-{year}.json"'
    return response


def benchmark_import(request: AuthedRequest) -> HttpResponse:
    require(selectors.can_run_cycles(request.user))
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    already = False
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(benchmarking.MAX_BYTES + 1)  # enough to tell "too large"
        try:
            peer = benchmarking.import_document(
                data=data, user=request.user, replace=form.cleaned_data["replace"]
            )
        except ValidationError as error:
            already = isinstance(error, benchmarking.AlreadyImported)
            apply_service_errors(form, error)
        else:
            rows = list(peer.indicators.order_by("key", "measure").values_list("key", "measure"))
            messages.success(
                request,
                ngettext(
                    "Imported %(office)s, %(year)s: %(n)d indicator (%(list)s).",
                    "Imported %(office)s, %(year)s: %(n)d indicators (%(list)s).",
                    len(rows),
                )
                % {
                    "office": peer.office_name,
                    "year": peer.year,
                    "n": len(rows),
                    "list": ", ".join(f"{key} {measure}" for key, measure in rows),
                },
            )
            return redirect("review:benchmark_year", year=peer.year)
    return render(
        request,
        "review/benchmark_import.html",
        {"form": form, "already": already},
        status=422 if form.errors else 200,
    )


def _points(year: int, key: str, measure: str) -> tuple[Cycle, pd.DataFrame, Indicator | None]:
    """This office's figure (kept out when suppressed) and every peer's, as compare() wants."""
    if measure not in benchmarking.MEASURES:
        raise Http404
    cycle = get_object_or_404(Cycle, year=year)
    own = Indicator.objects.filter(
        cycle=cycle, scope=Indicator.Scope.OFFICE, key=key, measure=measure
    ).first()
    records = [
        {"office": office, "n": n, "value": value, "own": False}
        for office, n, value in PeerIndicator.objects.filter(
            file__year=year, key=key, measure=measure
        )
        .order_by("file__office_name")
        .values_list("file__office_name", "n", "value")
    ]
    if own is not None and benchmarking.shown(own):
        office = Office.current()
        name = office.name if office else _("This office")
        records.append({"office": name, "n": own.n, "value": own.value, "own": True})
    if own is None and not records:
        raise Http404
    frame = pd.DataFrame.from_records(records, columns=["office", "n", "value", "own"])
    return cycle, frame, own


def _levels() -> dict[str, str]:
    """The funnel's levels as the user's locale writes them ("99,8" in Polish)."""
    narrow, wide = (
        number_format(level * 100, 1 if level * 100 % 1 else 0) for level in benchmarking.LEVELS
    )
    return {"narrow": narrow, "wide": wide}


def _zone_label(zone: str | None, side: str | None) -> str:
    if zone is None:
        return ""
    if zone == "inside":
        return _("within the %(narrow)s %% limits") % _levels()
    above = side == "above"
    if zone == "warning":
        return (
            _("above the %(narrow)s %% limit, within the %(wide)s %% one")
            if above
            else _("below the %(narrow)s %% limit, within the %(wide)s %% one")
        ) % _levels()
    return (
        _("above the %(wide)s %% limit") if above else _("below the %(wide)s %% limit")
    ) % _levels()


def benchmark_indicator(request: AuthedRequest, year: int, key: str, measure: str) -> HttpResponse:
    require(selectors.can_read_cycles(request.user))
    cycle, points, own = _points(year, key, measure)
    percent = measure == Indicator.Measure.SHARE
    rows = []
    if not points.empty:
        scale = 100 if percent else 1
        rows = [
            {
                **row,
                "shown_value": row["value"] * scale,
                "shown_gap": row["gap"] * scale,
                "zone_label": _zone_label(row["zone"], row["side"]),
            }
            for row in benchmarking.compare(points, measure=measure).to_dict("records")
        ]
    return render(
        request,
        "review/benchmark_indicator.html",
        {
            "cycle": cycle,
            "key": key,
            "measure": measure,
            "measure_label": Indicator.Measure(measure).label,
            "label": _labels(cycle, [key]).get(key, ""),
            "rows": rows,
            "percent": percent,
            "own_suppressed": own is not None and not benchmarking.shown(own),
            "own_missing": own is None,
            "peer_count": int((~points["own"].astype(bool)).sum()),
            "funnel": percent and bool(rows),
            "p0": benchmarking.pooled_share(points["n"], points["value"]) * 100
            if percent and rows
            else None,
        },
    )


@cache_control(private=True, max_age=300)
def benchmark_funnel(request: AuthedRequest, year: int, key: str, measure: str) -> HttpResponse:
    require(selectors.can_read_cycles(request.user))
    if measure != Indicator.Measure.SHARE:
        raise Http404
    _cycle, points, _own = _points(year, key, measure)
    if points.empty:
        raise Http404
    svg = benchmarking.funnel_plot(
        points,
        x_label=_("Number of answers (n)"),
        y_label=_("Share of positive answers (%)"),
        own_label=_("This office"),
        peers_label=_("Other offices"),
        centre_label=_("All offices together: %(share)s %%")
        % {
            "share": number_format(benchmarking.pooled_share(points["n"], points["value"]) * 100, 1)
        },
        limit_labels=[_("%(level)s %% limits") % {"level": level} for level in _levels().values()],
        title=key,
    )
    return HttpResponse(svg, content_type="image/svg+xml")
