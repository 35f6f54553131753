"""Benchmarking between offices: the exchange file, its import, and the comparisons.

An office exports its office-level indicators of one review cycle as a JSON file
(`SCHEMA`, documented in docs/benchmarking.md): shares of positive answers and mean
ratings with their sample sizes, nothing else — no unit or card rows, no free text, no
staff observations, and no cell below `MIN_N` answers or marked suppressed. Peer
offices' files are imported whole or not at all (`import_document`).

The comparisons are pure functions: `percentile_rank`, `gap_to_best`, `funnel_limits`,
`compare` (the benchmark table) and `funnel_plot` (SVG). Every exchanged measure is
"higher is better", so the best office is the one with the highest value.
"""

import datetime
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from jsonschema import Draft202012Validator
from jsonschema import ValidationError as SchemaError
from scipy import stats

from qms.models import Office, User
from review.models import Cycle, Indicator, PeerFile, PeerIndicator
from review.selectors import indicator_frame
from surveys import analysis

FORMAT = "qms-urzad/benchmark"
SCHEMA_VERSION = "1"
MAX_BYTES = 1_000_000
MAX_ROWS = 5000
# The same threshold as on every screen: fewer answers are never shown, nor exchanged.
MIN_N = analysis.MIN_SHOWN
MEASURES = (Indicator.Measure.SHARE.value, Indicator.Measure.MEAN.value)
# Means are of 1–5 ratings or 0–10 scales.
MEAN_MAX = 10
# A question's stable key (a slug). Observation keys ("observations:…") cannot match.
KEY_PATTERN = r"^[A-Za-z0-9_-]{1,50}$"
LEVELS = (0.95, 0.998)

Values = Sequence[float] | np.ndarray

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:qms-urzad:benchmark:1",
    "title": "Benchmarking file: one office's aggregate indicators for one review cycle",
    "description": (
        "Office-level aggregates only: shares of positive answers (0–1) and mean ratings "
        f"(0–{MEAN_MAX}) per survey question, each with its number of answers n ≥ {MIN_N}. "
        "Smaller or suppressed cells, free text, units, service cards and staff "
        "observations are never included. See docs/benchmarking.md."
    ),
    "type": "object",
    "additionalProperties": False,
    "required": ["format", "schema_version", "office", "year", "generated_on", "indicators"],
    "properties": {
        "format": {"const": FORMAT},
        "schema_version": {"const": SCHEMA_VERSION},
        "office": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "city"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                "city": {"type": "string", "minLength": 1, "maxLength": 100},
            },
        },
        "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
        "generated_on": {"type": "string", "format": "date"},
        "indicators": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_ROWS,
            "items": {"$ref": "#/$defs/indicator"},
        },
    },
    "$defs": {
        "indicator": {
            "type": "object",
            "additionalProperties": False,
            "required": ["key", "measure", "n", "value"],
            "properties": {
                "key": {
                    "type": "string",
                    "pattern": KEY_PATTERN,
                    "description": "The survey question's stable key.",
                },
                "measure": {"enum": list(MEASURES)},
                "n": {
                    "type": "integer",
                    "minimum": MIN_N,
                    "maximum": 10_000_000,
                    "description": "Answers in the denominator ('not applicable' excluded).",
                },
                "value": {"type": "number", "minimum": 0, "maximum": MEAN_MAX},
            },
            "if": {"properties": {"measure": {"const": "share"}}, "required": ["measure"]},
            "then": {"properties": {"value": {"maximum": 1}}},
        }
    },
}

_validator = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


class AlreadyImported(ValidationError):
    """The same office's file for the same year is in already; replacing is explicit."""


# --- export -----------------------------------------------------------------------------


def exportable(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of an indicator frame that may leave the office (key, measure, n, value)."""
    if frame.empty:
        return pd.DataFrame(columns=["key", "measure", "n", "value"])
    keep = (
        (frame["scope"] == Indicator.Scope.OFFICE)
        & frame["measure"].isin(MEASURES)
        & (frame["status"] != analysis.SUPPRESSED)
        & (frame["n"] >= MIN_N)
        & frame["value"].notna()
        & frame["key"].astype(str).str.fullmatch(KEY_PATTERN)
    )
    rows = frame.loc[keep, ["key", "measure", "n", "value"]]
    return rows.sort_values(["key", "measure"]).reset_index(drop=True)


def shown(indicator: Indicator) -> bool:
    """Whether one office-level figure may be shown and exchanged (see `exportable`)."""
    return (
        indicator.status != analysis.SUPPRESSED
        and indicator.n >= MIN_N
        and indicator.value is not None
    )


def export_document(cycle: Cycle, *, today: datetime.date | None = None) -> dict[str, Any]:
    """The cycle's exchange file, from its frozen office-level indicators."""
    office = Office.current()
    if office is None:
        raise ValidationError(_("Enter the office's name and city first."))
    rows = exportable(indicator_frame(cycle))
    if rows.empty:
        raise ValidationError(
            _("The %(year)s cycle has no office-level indicators to export yet.")
            % {"year": cycle.year}
        )
    document = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "office": {"name": office.name, "city": office.city},
        "year": cycle.year,
        "generated_on": (today or timezone.localdate()).isoformat(),
        "indicators": [
            {"key": key, "measure": measure, "n": int(n), "value": round(float(value), 6)}
            for key, measure, n, value in rows.itertuples(index=False)
        ],
    }
    _validator.validate(document)  # what we publish must pass our own schema
    return document


# --- import -----------------------------------------------------------------------------


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def _reject_constant(name: str) -> float:
    raise ValueError(name)  # NaN and Infinity are not JSON


def _load(data: bytes) -> Any:
    if len(data) > MAX_BYTES:
        raise ValidationError(
            _("The file is too large (%(size)s); a benchmarking file has at most %(max)s.")
            % {"size": filesizeformat(len(data)), "max": filesizeformat(MAX_BYTES)}
        )
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ValidationError(
            _("The file is not valid JSON (line %(line)d, column %(column)d).")
            % {"line": error.lineno, "column": error.colno}
        ) from error
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationError(_("The file is not valid JSON.")) from error


def _place(path: Sequence[Any], document: Any) -> str:
    """Where in the file: the file itself, the office, or an indicator row."""
    if not path:
        return pgettext("benchmark file place", "the file")
    if path[0] == "office":
        return pgettext("benchmark file place", "the office details")
    if path[0] == "indicators" and len(path) > 1:
        row = document["indicators"][path[1]]
        key = row.get("key") if isinstance(row, dict) else None
        if isinstance(key, str) and re.fullmatch(KEY_PATTERN, key):
            return pgettext("benchmark file place", "indicator no. %(row)d (“%(key)s”)") % {
                "row": path[1] + 1,
                "key": key,
            }
        return pgettext("benchmark file place", "indicator no. %(row)d") % {"row": path[1] + 1}
    return pgettext("benchmark file place", "the file")


def _range_rule(field: str, path: Sequence[Any], document: Any) -> str:
    if field == "n":
        return _("a whole number of at least %(min)d (smaller samples are never exchanged)") % {
            "min": MIN_N
        }
    if field == "value":
        row = document["indicators"][path[1]]
        if row.get("measure") == Indicator.Measure.SHARE:
            return _("a share must be between 0 and 1")
        return _("a mean must be between 0 and %(max)d") % {"max": MEAN_MAX}
    if field == "year":
        return _("a year between 2000 and 2100")
    if field == "indicators":
        return _("at most %(max)d indicators") % {"max": MAX_ROWS}
    return _("see the schema")


TYPE_NAMES = {
    "string": lambda: pgettext("benchmark field type", "text"),
    "integer": lambda: pgettext("benchmark field type", "a whole number"),
    "number": lambda: pgettext("benchmark field type", "a number"),
    "object": lambda: pgettext("benchmark field type", "an object"),
    "array": lambda: pgettext("benchmark field type", "a list"),
}


def _message(error: SchemaError, document: Any) -> str:
    """One schema violation, said in the user's language."""
    path = list(error.absolute_path)
    fields = [part for part in path if isinstance(part, str)]
    field = fields[-1] if fields else ""
    owner = path if error.validator in ("required", "additionalProperties") else path[:-1]
    place = _place(owner, document)
    kind = error.validator
    if kind == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return _("Missing field “%(field)s” in %(place)s.") % {
            "field": ", ".join(missing),
            "place": place,
        }
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return _(
            "Unexpected field “%(field)s” in %(place)s: the file may hold only the "
            "documented aggregate fields."
        ) % {"field": ", ".join(extra), "place": place}
    if kind == "type":
        wanted = TYPE_NAMES.get(str(error.validator_value), lambda: str(error.validator_value))
        return _("“%(field)s” in %(place)s must be %(type)s.") % {
            "field": field,
            "place": place,
            "type": wanted(),
        }
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "maxItems"):
        return _("“%(field)s” in %(place)s is out of range: %(rule)s.") % {
            "field": field,
            "place": place,
            "rule": _range_rule(field, path, document),
        }
    if kind == "minItems":
        return _("The file holds no indicators.")
    if kind == "enum":
        return _("“measure” in %(place)s must be “share” or “mean”.") % {"place": place}
    if kind == "pattern":
        return _(
            "“key” in %(place)s is not a question's stable key (letters, digits, hyphens "
            "and underscores; staff observations are not exchanged)."
        ) % {"place": place}
    if kind == "format":
        return _("“%(field)s” must be a date (YYYY-MM-DD).") % {"field": field}
    if kind in ("minLength", "maxLength"):
        return _("“%(field)s” in %(place)s must be 1 to %(max)d characters long.") % {
            "field": field,
            "place": place,
            "max": error.schema.get("maxLength", 200),
        }
    return _("%(place)s does not match the schema: %(detail)s") % {
        "place": place,
        "detail": error.message,
    }


def _duplicates(rows: Iterable[dict[str, Any]]) -> list[str]:
    seen: dict[tuple[str, str], list[int]] = {}
    for number, row in enumerate(rows, start=1):
        seen.setdefault((row["key"], row["measure"]), []).append(number)
    return [
        _("Indicator “%(key)s” (%(measure)s) appears more than once: rows %(rows)s.")
        % {"key": key, "measure": measure, "rows": ", ".join(map(str, numbers))}
        for (key, measure), numbers in seen.items()
        if len(numbers) > 1
    ]


def existing_file(office_name: str, year: int) -> PeerFile | None:
    return PeerFile.objects.filter(office_name__iexact=office_name, year=year).first()


def parse_document(data: bytes, *, replace: bool = False) -> dict[str, Any]:
    """The peer file, validated; raises ValidationError with every problem found.

    Checks, in order: size and JSON; the format id and schema version (so a file of
    another kind or version gets one clear sentence, not a list of schema errors); the
    schema; duplicated rows; then against this office: not our own file, a cycle for
    its year, and not imported before unless `replace` (AlreadyImported).
    """
    document = _load(data)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else None
        raise ValidationError(
            _("This is not a benchmarking file (format “%(found)s”; expected “%(format)s”).")
            % {"found": found if isinstance(found, str) else "—", "format": FORMAT}
        )
    if document.get("schema_version") != SCHEMA_VERSION:
        raise ValidationError(
            _(
                "Schema version “%(found)s” is not supported; this system reads version "
                "%(supported)s. Ask the office for a file in version %(supported)s."
            )
            % {"found": document.get("schema_version", "—"), "supported": SCHEMA_VERSION}
        )
    problems = [_message(error, document) for error in _validator.iter_errors(document)]
    if problems:
        shown = problems[:10]
        if len(problems) > len(shown):
            rest = len(problems) - len(shown)
            shown.append(
                ngettext("…and %(n)d more problem.", "…and %(n)d more problems.", rest)
                % {"n": rest}
            )
        raise ValidationError(shown)
    duplicates = _duplicates(document["indicators"])
    if duplicates:
        raise ValidationError(duplicates)

    office = document["office"]
    office["name"], office["city"] = (" ".join(office[f].split()) for f in ("name", "city"))
    ours = Office.current()
    if ours and (_normal(ours.name), _normal(ours.city)) == (
        _normal(office["name"]),
        _normal(office["city"]),
    ):
        raise ValidationError(
            _("This is this office's own file (%(office)s); import files of other offices.")
            % {"office": office["name"]}
        )
    year = document["year"]
    if not Cycle.objects.filter(year=year).exists():
        raise ValidationError(
            _(
                "The file is for %(year)s, and this office has no review cycle for %(year)s: "
                "there is nothing to compare it with."
            )
            % {"year": year}
        )
    previous = existing_file(office["name"], year)
    if previous and not replace:
        raise AlreadyImported(
            _(
                "A file of %(office)s for %(year)s was imported on %(date)s. Tick “Replace "
                "the file imported before” to replace it."
            )
            % {
                "office": previous.office_name,
                "year": year,
                "date": formats.date_format(timezone.localtime(previous.imported_at)),
            }
        )
    return document


@transaction.atomic
def import_document(*, data: bytes, user: User, replace: bool = False) -> PeerFile:
    """Store a peer office's file, all of it or nothing; `replace` swaps an earlier one."""
    document = parse_document(data, replace=replace)
    name, year = document["office"]["name"], document["year"]
    if replace:
        PeerFile.objects.filter(office_name__iexact=name, year=year).delete()
    try:
        with transaction.atomic():
            peer = PeerFile.objects.create(
                office_name=name,
                year=year,
                schema_version=document["schema_version"],
                imported_by=user,
            )
    except IntegrityError as error:  # imported by someone else this very moment
        raise AlreadyImported(
            _("A file of %(office)s for %(year)s was imported just now.")
            % {"office": name, "year": year}
        ) from error
    PeerIndicator.objects.bulk_create(
        PeerIndicator(
            file=peer,
            key=row["key"],
            measure=row["measure"],
            n=row["n"],
            value=float(row["value"]),
        )
        for row in document["indicators"]
    )
    return peer


# --- comparisons (pure) -----------------------------------------------------------------


def percentile_rank(own: float, peers: Values) -> float | None:
    """Percent of peers below `own`, ties counted half (scipy's "mean" kind); None alone."""
    if len(peers) == 0:
        return None
    return float(stats.percentileofscore(np.asarray(peers, dtype=float), own, kind="mean"))


def gap_to_best(own: float, peers: Values) -> float:
    """How far `own` is below the best of all offices (0 when it is the best)."""
    return float(max(np.max(np.asarray(peers, dtype=float), initial=own), own) - own)


def pooled_share(n: Values | pd.Series, value: Values | pd.Series) -> float:
    """The funnel's centre line: all offices' positive answers over all their answers."""
    weights = np.asarray(n, dtype=float)
    return float(np.average(np.asarray(value, dtype=float), weights=weights))


def _level_name(level: float) -> str:
    return f"{level * 100:g}"


def funnel_limits(
    p0: float, n_grid: Iterable[int], levels: Sequence[float] = LEVELS
) -> pd.DataFrame:
    """Control limits of a share around `p0` for each sample size (exact binomial).

    For each n and level the limits are the binomial quantiles
    `scipy.stats.binom.ppf((1 ± level) / 2, n, p0) / n` — what an office with the
    common rate `p0` would show, that often, by chance alone. Columns: n, then
    low_95, high_95, low_99.8, high_99.8 (one pair per level). The quantiles step with
    n (counts are whole), so the funnel's edges are slightly jagged for small n.
    """
    n = np.asarray(list(n_grid), dtype=int)
    table = pd.DataFrame({"n": n})
    for level in levels:
        tail = (1 - level) / 2
        name = _level_name(level)
        table[f"low_{name}"] = stats.binom.ppf(tail, n, p0) / n
        table[f"high_{name}"] = stats.binom.ppf(1 - tail, n, p0) / n
    return table


def compare(points: pd.DataFrame, *, measure: str) -> pd.DataFrame:
    """The benchmark table: each office against the others.

    `points` has columns office, n, value, own (bool). Adds percentile_rank and gap
    (to the best office), and for shares the funnel zone: "inside" the 95 % limits,
    "warning" between 95 % and 99.8 %, "outside" beyond 99.8 %, and "above"/"below".
    """
    table = points.reset_index(drop=True).copy()
    values = table["value"].astype(float).to_numpy()
    others = [np.delete(values, index) for index in range(len(values))]
    table["percentile_rank"] = [percentile_rank(v, o) for v, o in zip(values, others, strict=True)]
    table["gap"] = [gap_to_best(v, o) for v, o in zip(values, others, strict=True)]
    table["zone"] = None
    table["side"] = None
    if measure == Indicator.Measure.SHARE and not table.empty:
        p0 = pooled_share(table["n"], table["value"])
        limits = funnel_limits(p0, table["n"].astype(int))
        wide, narrow = _level_name(LEVELS[1]), _level_name(LEVELS[0])
        outside = (values < limits[f"low_{wide}"]) | (values > limits[f"high_{wide}"])
        warning = (values < limits[f"low_{narrow}"]) | (values > limits[f"high_{narrow}"])
        table["zone"] = np.where(outside, "outside", np.where(warning, "warning", "inside"))
        table["side"] = np.where(values >= p0, "above", "below")
    return table.sort_values(["value", "n"], ascending=False).reset_index(drop=True)


def funnel_plot(
    points: pd.DataFrame,
    *,
    x_label: str,
    y_label: str,
    own_label: str,
    peers_label: str,
    centre_label: str,
    limit_labels: Sequence[str],
    title: str = "",
) -> bytes:
    """A funnel plot (SVG): each office's share against its n, with 95 % and 99.8 % limits.

    `points` as for `compare`. Labels come translated (and numbers in them localised)
    from the caller, one limit label per level of `LEVELS`. Text stays text
    in the SVG (readable, searchable), and the output is deterministic (no date, fixed ids).
    """
    import matplotlib
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in threads

    p0 = pooled_share(points["n"], points["value"])
    top = max(int(points["n"].max() * 1.15), MIN_N + 10)
    grid = np.unique(np.geomspace(MIN_N, top, 160).astype(int))
    limits = funnel_limits(p0, grid)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "qms-benchmark"}):
        figure = Figure(figsize=(7.5, 4.5), layout="constrained")
        axes = figure.add_subplot()
        axes.axhline(p0 * 100, color="#444444", linewidth=1, label=centre_label)
        for level, style, label in zip(LEVELS, ("--", ":"), limit_labels, strict=True):
            name = _level_name(level)
            for side in ("low", "high"):
                axes.plot(
                    limits["n"],
                    limits[f"{side}_{name}"] * 100,
                    linestyle=style,
                    color="#1a4d8f",
                    linewidth=1.2,
                    drawstyle="steps-post",
                    label=label if side == "low" else None,
                )
        peers = points[~points["own"].astype(bool)]
        own = points[points["own"].astype(bool)]
        axes.scatter(
            peers["n"], peers["value"] * 100, s=28, color="#7a7a7a", marker="o", label=peers_label
        )
        if not own.empty:
            axes.scatter(
                own["n"],
                own["value"] * 100,
                s=110,
                color="#c8102e",
                marker="D",
                edgecolors="black",
                zorder=5,
                label=own_label,
            )
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        if title:
            axes.set_title(title)
        axes.set_xlim(0, top)
        axes.set_ylim(
            max(0, min(limits.filter(like="low_").min().min(), points["value"].min()) * 100 - 5),
            min(100, max(limits.filter(like="high_").max().max(), points["value"].max()) * 100 + 5),
        )
        axes.grid(True, color="#e0e0e0", linewidth=0.6)
        axes.legend(loc="lower right", fontsize="small")
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue().encode()
