"""Every route of the project, as every member of the cast, against one access policy.

The routes come from Django's resolver (the admin's, viewflow's site and `accounts/`
included), so a route added tomorrow is requested tomorrow: a route missing from
`POLICY` fails the test (fail closed). Each route is filled with real ids of unit A's
and unit B's objects (tests/route_dataset.py), requested with GET and with an empty
POST as anonymous, staff of A, head of A, deputy of A, head of B, coordinator and
auditor, and checked for:

- no server error (an exception raised through the test client is a failure too);
- the outcome the policy states for that role and that object (own unit or other);
- no other unit's item in the body: unit B's numbers, titles, links, pack heading,
  free-text answers and observations for A's people (and A's for head of B), in HTML,
  JSON, CSV, XLSX (unzipped) and PDF (inflated) alike;
- no change in the database from a refused POST, a POST to a page that only reads, or
  any GET.

Every request runs in a savepoint rolled back afterwards, so a permitted POST (the
coordinator running the cycle) leaves the dataset as it was for the next request.
Mismatches are collected and reported all at once, one test per role.

To add a route: add its line to `POLICY` (and, if it has parameters, a line to
`tests.route_dataset.ROUTE_ARGS` naming the objects that fill them).
"""

import base64
import copy
import html
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError, connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from qms import health
from tests.route_dataset import CAST, Target, World, admin_model_of, build

pytestmark = pytest.mark.django_db  # the test database; the data is the module's own

ROLES = tuple(CAST)  # anonymous, staff_a, head_a, deputy_a, head_b, coordinator, auditor

# --- outcomes ----------------------------------------------------------------------------

OK = "OK"  # let through: 2xx, a redirect that is not to a login page, or a form's 400/422
LOGIN = "LOGIN"  # sent to a login page (the API: 401/403 to an anonymous client)
DENIED = "DENIED"  # 403 or 404
NOT_FOUND = "NOT_FOUND"  # 404: the object is not there for anybody
NOT_ALLOWED = "NOT_ALLOWED"  # 405
READ_ONLY = "READ_ONLY"  # a POST to a page that only reads: OK or 405, and nothing changes
REFUSED = "REFUSED"  # any refusal (login, 403, 404, 405)
BOUNCED = "BOUNCED"  # redirected elsewhere, nothing done

ACCEPTS = {
    OK: {"2xx", "redirect", "invalid"},
    LOGIN: {"login"},
    DENIED: {"403", "404"},
    NOT_FOUND: {"404"},
    NOT_ALLOWED: {"405"},
    READ_ONLY: {"2xx", "redirect", "invalid", "405"},
    REFUSED: {"login", "403", "404", "405"},
    BOUNCED: {"redirect", "login"},
}

# Per object: the role's own unit, another unit; "mine" = assigned to / typed by / written
# by this user (falls back to "own").
OWN = {"own": OK, "other": DENIED}
MINE = {"mine": OK, "own": DENIED, "other": DENIED}


def who(default: str | dict = DENIED, *, anonymous: str = LOGIN, **roles) -> dict:
    """One outcome per role: `default` for every signed-in role not named."""
    unknown = set(roles) - set(ROLES)
    assert not unknown, unknown
    return dict.fromkeys(ROLES, default) | {"anonymous": anonymous} | roles


@dataclass(frozen=True)
class Rule:
    """A route's outcomes per role, for GET and for an empty POST.

    `post=None` says the route only reads: a POST gets what the GET gets (or a 405) and
    must change nothing. Ids nobody may open through the route (another flow's task, an
    id that does not exist) are derived: what "other" gets, a 404 where "other" is OK.
    """

    get: dict
    post: dict | None = None


def post_only(post: dict, *, anonymous_get: str = LOGIN) -> Rule:
    return Rule(get=who(NOT_ALLOWED, anonymous=anonymous_get), post=post)


# Who is who (DESIGN.md §2): clients fill surveys without an account; staff type paper
# forms and record observations for their unit; heads (and deputies) see and act on their
# own unit's items, tasks and packs only; the coordinator manages everything; the auditor
# reads everything and changes nothing. A client's single response (row-level answers)
# is the coordinator's only; staff see the sheets they typed themselves.
PUBLIC = who(OK, anonymous=OK)  # clients: no account
SIGNED_IN = who(OK)  # any employee; lists and dashboards are filtered, never refused
COORDINATOR = who(coordinator=OK)
READERS = who(coordinator=OK, auditor=OK)  # office-wide figures: coordinator and auditor
HEADS_OWN: dict[str, Any] = {"head_a": OWN, "deputy_a": OWN, "head_b": OWN}
UNIT_READERS = who(coordinator=OK, auditor=OK, **HEADS_OWN)  # an item, a pack: its unit's
UNIT_STAFF = who(coordinator=OK, auditor=OK, staff_a=OWN, **HEADS_OWN)  # a desk: its unit's
PUBLISHERS = who(coordinator=OK, **HEADS_OWN)  # a card's next revision: its unit's head
ENTRY = who(OK, auditor=DENIED)  # typing surveys, recording observations: not the auditor
ENTRY_OWN = who(coordinator=OK, staff_a=OWN, **HEADS_OWN)  # …at their own unit's desks
RAISERS = who(coordinator=OK, staff_a=OWN, **HEADS_OWN)  # (filled with an observation)
TASK_OWNER = who(MINE)  # a step is completed by its owner only
OWN_WORK = who(coordinator=OK, staff_a=MINE, head_a=MINE, deputy_a=MINE, head_b=MINE)
NO_SUCH_PAGE = who(NOT_FOUND, anonymous=NOT_FOUND)
NO_SUCH_METHOD = who(NOT_ALLOWED, anonymous=NOT_ALLOWED)  # e.g. a POST to a GET-only API

POLICY: dict[str, Rule] = {
    # --- wiring and accounts ----------------------------------------------------------
    "healthz": Rule(PUBLIC, post=NO_SUCH_METHOD),
    "favicon": Rule(PUBLIC, post=NO_SUCH_METHOD),  # /favicon.ico, for every browser
    "set_language": Rule(NO_SUCH_METHOD, post=PUBLIC),
    "home": Rule(SIGNED_IN),
    "index": Rule(SIGNED_IN),  # viewflow's site index: see SHADOWED
    "dashboard:index": Rule(SIGNED_IN),
    "login": Rule(PUBLIC, post=PUBLIC),
    "logout": Rule(who(NOT_ALLOWED), post=who(LOGIN)),  # logging out ends on the login page
    "password_change": Rule(SIGNED_IN, post=SIGNED_IN),
    "password_change_done": Rule(SIGNED_IN),
    "password_reset": Rule(PUBLIC, post=PUBLIC),
    "password_reset_done": Rule(PUBLIC),
    "password_reset_confirm": Rule(PUBLIC),
    "password_reset_complete": Rule(PUBLIC),
    "profile": Rule(SIGNED_IN),
    "dashboard:lockouts": Rule(COORDINATOR, post=COORDINATOR),  # lifting a sign-in lockout
    # --- the public survey and the API ------------------------------------------------
    "ankieta:form": Rule(PUBLIC, post=PUBLIC),
    "ankieta:pilot": Rule(PUBLIC, post=PUBLIC),
    "ankieta:kiosk": Rule(PUBLIC, post=PUBLIC),  # the desk's secret link is the key
    "ankieta:thanks": Rule(PUBLIC),
    "ankieta:kiosk_thanks": Rule(PUBLIC),
    "api:questionnaire": Rule(PUBLIC, post=NO_SUCH_METHOD),
    "api:submit": Rule(NO_SUCH_METHOD, post=PUBLIC),
    "api:schema": Rule(PUBLIC, post=NO_SUCH_METHOD),  # describes the API, holds no data
    "api:responses": Rule(COORDINATOR),  # single responses
    "api:export": Rule(COORDINATOR),
    "api:not_found": Rule(NO_SUCH_PAGE, post=NO_SUCH_PAGE),
    # --- the service catalogue: public information, published by the card's unit -------
    "catalogue:index": Rule(SIGNED_IN),
    "catalogue:unit_detail": Rule(SIGNED_IN),
    "catalogue:card_list": Rule(SIGNED_IN),
    "catalogue:card_detail": Rule(SIGNED_IN),
    "catalogue:revision_detail": Rule(SIGNED_IN),
    "catalogue:revision_publish": Rule(PUBLISHERS, post=PUBLISHERS),
    # --- nonconformities ----------------------------------------------------------------
    "nonconformities:index": Rule(SIGNED_IN),
    "nonconformities:export": Rule(SIGNED_IN),
    "nonconformities:my_tasks": Rule(SIGNED_IN),
    "nonconformities:inbox": Rule(SIGNED_IN, post=who(NOT_FOUND)),  # no notification named
    # The coordinator registers from any source; staff and heads from their unit's observation.
    "nonconformities:register": Rule(RAISERS, post=RAISERS),
    "nonconformities:detail": Rule(UNIT_READERS),
    "nonconformities:record": Rule(UNIT_READERS),
    "nonconformities:evidence": Rule(UNIT_READERS),
    "nonconformities:action_evidence": Rule(UNIT_READERS),
    "nonconformities:reopen": post_only(COORDINATOR),
    "nonconformities:task": Rule(UNIT_READERS, post=TASK_OWNER),
    "nonconformities:reassign": post_only(COORDINATOR),
    # --- surveys: the staff side -------------------------------------------------------
    "surveys_staff:index": Rule(SIGNED_IN),
    "surveys_staff:version_list": Rule(READERS),
    "surveys_staff:version_detail": Rule(READERS),
    "surveys_staff:version_preview": Rule(READERS),  # a preview stores nothing
    "surveys_staff:version_compare": Rule(READERS),
    "surveys_staff:suggestion_list": Rule(COORDINATOR),  # clients' own words: free text
    "surveys_staff:questionnaire_create": Rule(COORDINATOR, post=COORDINATOR),
    "surveys_staff:version_edit": Rule(COORDINATOR, post=COORDINATOR),
    "surveys_staff:question_create": Rule(COORDINATOR, post=COORDINATOR),
    "surveys_staff:question_edit": Rule(COORDINATOR, post=COORDINATOR),
    "surveys_staff:version_create": post_only(COORDINATOR),
    "surveys_staff:version_transition": post_only(COORDINATOR),
    "surveys_staff:question_action": post_only(COORDINATOR),
    "surveys_staff:desk_list": Rule(SIGNED_IN),
    "surveys_staff:qr_all": Rule(SIGNED_IN),
    "surveys_staff:qr_sheet": Rule(UNIT_STAFF),
    "surveys_staff:desk_kiosk_key": post_only(COORDINATOR),
    "surveys_staff:interview_start": Rule(ENTRY),
    "surveys_staff:interview_form": Rule(ENTRY_OWN, post=ENTRY_OWN),
    "surveys_staff:batch_list": Rule(SIGNED_IN, post=ENTRY),
    # A paper batch and its sheets: whoever typed it in (and the coordinator), nobody else.
    "surveys_staff:batch_detail": Rule(OWN_WORK, post=OWN_WORK),
    "surveys_staff:batch_enter": Rule(OWN_WORK, post=OWN_WORK),
    "surveys_staff:batch_verify": Rule(OWN_WORK, post=OWN_WORK),
    "surveys_staff:batch_resolve": post_only(OWN_WORK),
    "surveys_staff:observation_list": Rule(SIGNED_IN, post=ENTRY),
    "surveys_staff:observation_delete": post_only(OWN_WORK),  # its author, or the coordinator
    "surveys_staff:round_list": Rule(READERS, post=COORDINATOR),
    "surveys_staff:round_detail": Rule(READERS, post=COORDINATOR),
    "surveys_staff:round_nothing": post_only(who(OK, coordinator=DENIED, auditor=DENIED)),
    "surveys_staff:response_list": Rule(COORDINATOR),  # single responses
    "surveys_staff:response_export": Rule(COORDINATOR),
    # --- the annual review -------------------------------------------------------------
    "review:index": Rule(SIGNED_IN),
    "review:cycle": Rule(READERS),
    "review:cycle_new": Rule(COORDINATOR, post=COORDINATOR),
    "review:cycle_edit": Rule(COORDINATOR, post=COORDINATOR),
    "review:free_text": Rule(COORDINATOR),  # single answers, before they are masked
    "review:free_text_mask": Rule(COORDINATOR, post=COORDINATOR),
    "review:free_text_release": post_only(COORDINATOR),
    "review:run": post_only(COORDINATOR),
    "review:remeasure": post_only(COORDINATOR),
    "review:standards": Rule(READERS),
    "review:standard_new": Rule(COORDINATOR, post=COORDINATOR),
    "review:standard_edit": Rule(COORDINATOR, post=COORDINATOR),
    "review:task": Rule(UNIT_READERS, post=TASK_OWNER),
    "review:packs": Rule(SIGNED_IN),
    "review:pack_file": Rule(UNIT_READERS),  # the management-review pack: no unit's
    "review:benchmark": Rule(READERS),
    "review:benchmark_year": Rule(READERS),
    "review:benchmark_export": Rule(READERS),
    "review:benchmark_indicator": Rule(READERS),
    "review:benchmark_funnel": Rule(READERS),
    "review:benchmark_schema": Rule(SIGNED_IN),  # the file format, no figures
    "review:benchmark_import": Rule(COORDINATOR, post=COORDINATOR),
}

# The admin (DESIGN.md §2: the administrator's users, org chart and settings). Heads,
# staff and anonymous visitors are sent to its login page; the coordinator maintains the
# catalogues below; the auditor only views. v = view, a = add, c = change, d = delete.
# The administrator (a superuser) may do everything and is not part of the cast.
ADMIN_MODELS = {
    # app_model: (coordinator, auditor)
    "auth_group": ("", ""),  # roles and permissions: the administrator's
    "viewflow_process": ("", ""),  # the workflow engine's rows: the administrator's
    "viewflow_task": ("", ""),
    "qms_user": ("v", "v"),  # accounts: the administrator's; others look people up
    "qms_office": ("vc", "v"),
    "qms_orgunit": ("vac", "v"),
    "qms_servicecard": ("vac", "v"),
    "qms_servicecardrevision": ("v", "v"),  # published text never changes
    "qms_auditentry": ("", "v"),  # who read single responses: the auditor's to check
    "surveys_desk": ("vac", "v"),
    "surveys_questionnaire": ("v", "v"),  # written in the survey editor
    "surveys_questionnaireversion": ("v", "v"),
    "surveys_response": ("v", ""),  # a single response: the coordinator's only
    "surveys_suggestion": ("v", ""),  # clients' own words: the coordinator's only
    "workflows_causecategory": ("vac", "v"),
    "workflows_deadlinepolicy": ("vc", "v"),
    "workflows_absence": ("vacd", "v"),
    "workflows_nonconformity": ("v", "v"),  # changed only through its process
    "review_cycle": ("vac", "v"),
    "review_standard": ("vac", "v"),
    "review_finding": ("v", "v"),
    "review_pack": ("v", "v"),
    "review_peerfile": ("v", "v"),
    "axes_accessattempt": ("", ""),  # sign-in records: the administrator's (the
    "axes_accesslog": ("", ""),  # coordinator lifts lockouts at /dashboard/lockouts/)
    "axes_accessfailurelog": ("", ""),
}
ADMIN = who(LOGIN, coordinator=OK, auditor=OK)  # the admin's own pages
ADMIN_ELSE = who(LOGIN, coordinator=DENIED, auditor=DENIED)
ADMIN_PAGES = {
    "admin:index": Rule(ADMIN),
    "admin:login": Rule(PUBLIC, post=PUBLIC),
    # Others are sent to the admin's index (and on to its login page), not logged out.
    "admin:logout": Rule(
        who(BOUNCED, anonymous=BOUNCED, coordinator=NOT_ALLOWED, auditor=NOT_ALLOWED),
        post=who(BOUNCED, anonymous=BOUNCED, coordinator=LOGIN, auditor=LOGIN),
    ),
    "admin:password_change": Rule(ADMIN, post=ADMIN),
    "admin:password_change_done": Rule(ADMIN),
    "admin:autocomplete": Rule(ADMIN_ELSE),  # refused without a field to complete
    "admin:jsi18n": Rule(ADMIN),
    "admin:view_on_site": Rule(who(LOGIN, coordinator=NOT_FOUND, auditor=NOT_FOUND)),
    "admin:app_list": Rule(ADMIN),
    "admin:auth_user_password_change": Rule(ADMIN_ELSE, post=ADMIN_ELSE),  # administrator's
    "admin/(?P<url>.*)$": Rule(who(LOGIN, coordinator=NOT_FOUND, auditor=NOT_FOUND)),
}


def admin_rule(route: str) -> Rule | None:
    """The rule of an admin route: its own line, or its model's line in ADMIN_MODELS."""
    if route in ADMIN_PAGES:
        return ADMIN_PAGES[route]
    model = admin_model_of(route)
    if model not in ADMIN_MODELS:
        return None
    rights = dict(zip(("coordinator", "auditor"), ADMIN_MODELS[model], strict=True))

    def may(letter: str) -> dict:
        return who(LOGIN, **{r: OK if letter in rights[r] else DENIED for r in rights})

    if not route.startswith("admin:"):  # <object_id>/: a redirect to the change page
        return Rule(ADMIN)
    view = route.rsplit("_", 1)[1]
    if view in ("changelist", "history"):
        return Rule(may("v"))
    if view == "change":
        return Rule(may("v"), post=may("c"))
    if view in ("add", "delete"):  # an empty POST deletes nothing: a confirmation page
        return Rule(may(view[0]), post=may(view[0]))
    return None


def rule_for(route: str) -> Rule | None:
    if route.startswith("admin"):
        return admin_rule(route)
    return POLICY.get(route)


# --- the routes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the pattern when the route has no name
    pattern: str  # the full pattern, prefixes included
    params: tuple[str, ...]


def _params(pattern) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return list(pattern.converters)
    if isinstance(pattern, RegexPattern):
        return list(pattern.regex.groupindex)
    return []


def all_routes() -> list[Route]:
    """Every URL pattern of the project, walked from Django's resolver."""

    def descend(patterns, prefix, namespaces, params):
        for entry in patterns:
            full = prefix + str(entry.pattern)
            found = params + _params(entry.pattern)
            if isinstance(entry, URLResolver):
                spaces = [*namespaces, entry.namespace] if entry.namespace else namespaces
                yield from descend(entry.url_patterns, full, spaces, found)
            elif isinstance(entry, URLPattern):
                key = ":".join([*namespaces, entry.name]) if entry.name else full
                yield Route(key, full, tuple(found))

    return list(descend(get_resolver().url_patterns, "", [], []))


_ROUTE_PARAM = re.compile(r"<(?:[^>:]+:)?(?P<name>\w+)>")
_REGEX_PARAM = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def url_of(route: Route, target: Target) -> str:
    """The route's address with this filling, built from the pattern (unnamed routes too)."""

    def value(match: re.Match) -> str:
        return str(target.kwargs[match.group("name")])

    path = _ROUTE_PARAM.sub(value, _REGEX_PARAM.sub(value, route.pattern))
    path = "/" + path.replace("^", "").replace("$", "")
    return f"{path}?{target.query}" if target.query else path


# Routes that an earlier pattern answers for: requested all the same, at the same address.
SHADOWED = {"index": "home"}  # viewflow's site index; "/" redirects to the dashboard first


def route_key_of(match) -> str:
    if match.url_name:
        return ":".join([*match.namespaces, match.url_name])
    return match.route


# --- checks --------------------------------------------------------------------------------

LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


def observe(response, route: str, role: str) -> str:
    status = response.status_code
    if 300 <= status < 400:
        path = urlsplit(response.get("Location", "")).path
        return "login" if path in LOGIN_PATHS else "redirect"
    if status == 401 or (status == 403 and role == "anonymous" and route.startswith("api:")):
        return "login"
    if 200 <= status < 300:
        return "2xx"
    if status in (400, 422):
        return "invalid"
    return str(status)


def shown(response) -> str:
    status = response.status_code
    if 300 <= status < 400:
        return f"{status}→{urlsplit(response.get('Location', '')).path}"
    return str(status)


def relation(world: World, role: str, target: Target) -> str:
    user = world.users[role]
    if user is not None and target.owner == user.pk:
        return "mine"
    if target.unit is not None and target.unit == world.unit_of(role):
        return "own"
    return "other"


def outcome(spec: dict, world: World, role: str, target: Target) -> str:
    value = spec[role]
    if target.extra:  # another flow's task, an id nobody has: never found
        value = value["other"] if isinstance(value, dict) else value
        return NOT_FOUND if value == OK else value
    if isinstance(value, str):
        return value
    kind = relation(world, role, target)
    if kind == "mine" and "mine" in value:
        return value["mine"]
    if kind in ("mine", "own") and "own" in value:
        return value["own"]
    return value["other"]


READ_ONLY_POST = {OK: READ_ONLY, DENIED: REFUSED, NOT_FOUND: REFUSED}


def expected(rule: Rule, method: str, world: World, role: str, target: Target) -> str:
    if method == "GET":
        return outcome(rule.get, world, role, target)
    if rule.post is not None:
        return outcome(rule.post, world, role, target)
    got = outcome(rule.get, world, role, target)
    return READ_ONLY_POST.get(got, got)


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        # The test client closes the response once its content is read (never close it
        # again here: a second close would close the database connection, mid-transaction).
        return b"".join(response.streaming_content)
    return response.content


def texts_of(data: bytes) -> list[bytes]:
    """The body and what it carries: a workbook's XML parts, a PDF's inflated streams."""
    parts = [data]
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            parts += [book.read(name) for name in book.namelist() if name.endswith(".xml")]
    elif data.startswith(b"%PDF"):
        for match in _PDF_STREAM.finditer(data):
            if re.search(rb"/Image|/Length1", match.group("header")):
                continue  # a picture or an embedded font: no text in it
            stream = data[match.end() : data.find(b"endstream", match.end())].strip()
            try:
                if b"/ASCII85Decode" in match.group("header"):
                    stream = base64.a85decode(stream.removesuffix(b"~>"))
                parts.append(zlib.decompressobj().decompress(stream))
            except (ValueError, zlib.error):
                continue  # not a compressed stream (nor text): skip it
    return parts


# A PDF stream's dictionary and the start of its data. Text in ReportLab's content streams
# keeps ASCII as is (letters outside it become font codes), so numbers and ASCII titles
# are found once the stream is inflated.
_PDF_STREAM = re.compile(rb"<<(?P<header>(?:(?!>>).)*?)>>\s*stream\r?\n", re.S)


def spellings(needle: str) -> set[bytes]:
    """How a string may be written in HTML, JSON, XML or a PDF's text."""
    forms = {needle, html.escape(needle), json.dumps(needle)[1:-1]}
    forms.add(needle.replace("(", r"\(").replace(")", r"\)"))
    return {form.encode() for form in forms}


def leaks(data: bytes, needles: list[str], url: str) -> list[str]:
    parts = texts_of(data)
    found = []
    for needle in needles:
        if needle in url:  # a page may echo its own address (the language switch does)
            continue
        if any(form in part for part in parts for form in spellings(needle)):
            found.append(needle)
    return found


# The database's fingerprint: row count and sum of ids of each table, and of each value of
# the columns that hold state. One query; compared before and after a request that must
# change nothing. Sessions and the audit log of reads are left out on purpose.
FINGERPRINT = {
    "qms.User": ["is_active", "is_superuser", "unit_id", "password", "language"],
    "qms.OrgUnit": ["head_id", "deputy_id", "is_active"],
    "qms.Office": ["name"],
    "qms.ServiceCard": ["is_active", "unit_id"],
    "qms.ServiceCardRevision": [],
    "qms.FormKey": [],
    "auth.Group": [],
    "workflows.Nonconformity": ["status", "responsible_id", "plan_round", "verdict", "unit_id"],
    "workflows.Action": ["owner_id", "done_on"],
    "workflows.Event": [],
    "notifications.Notification": ["read_at"],
    "workflows.CauseCategory": ["is_active"],
    "workflows.DeadlinePolicy": ["triage_days"],
    "workflows.Absence": [],
    "viewflow.Process": ["status"],
    "viewflow.Task": ["status", "owner_id"],
    "review.Cycle": ["closed_on", "analysis_due_on", "free_text_released_at"],
    "review.FreeTextMask": ["withheld", "text"],
    "review.Step": ["done_at"],
    "review.Standard": ["is_active", "target"],
    "review.Finding": ["nonconformity_id"],
    "review.Remeasurement": ["decided_at"],
    "review.Pack": ["acknowledged_at", "catalogue_done_at"],
    "review.PeerFile": [],
    "surveys.Questionnaire": [],
    "surveys.QuestionnaireVersion": ["status"],
    "surveys.Question": ["position"],
    "surveys.Desk": ["kiosk_key"],
    "surveys.Response": [],
    "surveys.Answer": [],
    "surveys.Suggestion": [],
    "surveys.UsedSubmissionToken": [],
    "surveys.PaperBatch": ["status"],
    "surveys.PaperSecondEntry": ["resolution"],
    "surveys.ObservationRound": ["closed_on"],
    "surveys.RoundParticipant": ["completed_on"],
    "surveys.StaffObservation": [],
    "axes.AccessAttempt": [],
}


def fingerprint_sql() -> str:
    from django.apps import apps

    quote = connection.ops.quote_name
    parts = []
    for label, columns in FINGERPRINT.items():
        if label.startswith("axes.") and not apps.is_installed("axes"):
            continue  # login throttling is optional
        model = apps.get_model(label)
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        # Names come from the models' metadata; there are no values in this query.
        parts.append(
            f"SELECT '{label}', CAST(NULL AS VARCHAR(300)), COUNT(*), SUM({pk}) FROM {table}"  # noqa: S608
        )
        for name in columns:
            column = quote(model._meta.get_field(name.removesuffix("_id")).column)
            parts.append(
                f"SELECT '{label}.{name}', CAST({column} AS VARCHAR(300)), COUNT(*), SUM({pk}) "  # noqa: S608
                f"FROM {table} GROUP BY {column}"
            )
    return " UNION ALL ".join(parts)


def fingerprint(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return sorted(cursor.fetchall(), key=repr)


def changes(before: list[tuple], after: list[tuple]) -> str:
    gone, new = set(before) - set(after), set(after) - set(before)
    tables = sorted({row[0] for row in gone | new})
    return ", ".join(tables)


# --- the module's world ------------------------------------------------------------------------


@dataclass
class Walk:
    world: World
    media: str
    sql: str  # the fingerprint's query
    baseline: list[tuple] = field(default_factory=list)  # the state before each request


@pytest.fixture(scope="module")
def walk(django_db_setup, django_db_blocker, tmp_path_factory):
    """The dataset, built once in a transaction rolled back when the module ends."""
    from surveys.selectors import forget_open_versions

    media = str(tmp_path_factory.mktemp("route-walk-media"))
    quick = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        MEDIA_ROOT=media,
        # Pages render without collectstatic (tests/conftest.py does the same per test).
        STORAGES={
            **django_settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    )
    quick.enable()
    forget_open_versions()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build()
            yield Walk(world=world, media=media, sql=fingerprint_sql())
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            forget_open_versions()
            quick.disable()


@dataclass
class Mismatch:
    route: str
    target: str
    method: str
    expected: str
    got: str
    url: str

    def line(self) -> str:
        return (
            f"{self.route:42} {self.target:18} {self.method:4} "
            f"{self.expected:11} {self.got:30} {self.url}"
        )


def request(walk: Walk, client: Client, role: str, route: Route, target: Target, method: str):
    """One request in a savepoint rolled back afterwards; returns the mismatches."""
    rule = rule_for(route.key)
    url = url_of(route, target)
    if rule is None:
        return [Mismatch(route.key, target.label, method, "(no policy)", "-", url)]
    want = expected(rule, method, walk.world, role, target)
    found = []
    cookies = copy.deepcopy(client.cookies)  # logging out must not end this role's session
    with transaction.atomic():
        try:
            response = client.get(url) if method == "GET" else client.post(url)
        except Exception as error:  # raised through the client: a server error
            response, got = None, f"EXCEPTION {type(error).__name__}: {error}"[:200]
        else:
            got = shown(response)
            if observe(response, route.key, role) not in ACCEPTS[want]:
                found.append(Mismatch(route.key, target.label, method, want, got, url))
            needles = walk.world.needles.get(other_unit(walk.world, role) or "", [])
            leaked = leaks(body_of(response), needles, url)
            if leaked:
                what = "LEAK " + " | ".join(leaked)
                found.append(Mismatch(route.key, target.label, method, want, what, url))
        if response is None:
            found.append(Mismatch(route.key, target.label, method, want, got, url))
        # Every request starts from the same state (each one is rolled back), so only the
        # state after it is read: anything but a permitted POST must leave it as it was.
        elif not (method == "POST" and want == OK):
            try:
                after = fingerprint(walk.sql)
            except DatabaseError as error:  # e.g. PostgreSQL: the view broke the transaction
                after = [("database unusable after the request", str(error)[:80], 0, 0)]
            if after != walk.baseline:
                what = f"CHANGED {changes(walk.baseline, after)} ({got})"
                found.append(Mismatch(route.key, target.label, method, want, what, url))
        transaction.set_rollback(True)
    client.cookies = cookies
    return found


def methods_for(route: Route) -> tuple[str, ...]:
    """GET and an empty POST; the admin's lists, histories and redirects to an object are
    sampled with GET only (an empty POST there selects no action and changes nothing)."""
    key = route.key
    if key in ADMIN_PAGES or not key.startswith("admin"):
        return ("GET", "POST")
    redirect = not key.startswith("admin:")  # admin/<app>/<model>/<object_id>/
    return ("GET",) if redirect or key.endswith(("_changelist", "_history")) else ("GET", "POST")


def other_unit(world: World, role: str) -> str | None:
    """Whose items this role must never see: A's people never B's, B's head never A's."""
    unit = world.unit_of(role)
    return {"A": "B", "B": "A"}.get(unit or "")


# --- the tests ---------------------------------------------------------------------------------


def test_every_route_has_a_policy_and_its_parameters_can_be_filled(walk):
    """Fail closed: a new route needs its policy line (and its fillings) before it ships;
    a line for a route that is gone is reported too, so the table stays the truth."""
    problems = []
    routes = all_routes()
    for route in routes:
        if rule_for(route.key) is None:
            problems.append(f"no policy: {route.key} ({route.pattern})")
            continue
        try:
            targets = walk.world.targets(route.key, list(route.params))
        except KeyError as error:
            problems.append(f"cannot fill {route.key} ({route.pattern}): {error}")
            continue
        for target in targets:
            url = url_of(route, target)
            try:
                found = route_key_of(resolve(urlsplit(url).path))
            except Exception as error:
                problems.append(f"{route.key}: {url} does not resolve ({error})")
                continue
            if found != SHADOWED.get(route.key, route.key):
                problems.append(f"{route.key}: {url} resolves to {found}")
    keys = {route.key for route in routes}
    models = {admin_model_of(k) for k in keys if k.startswith("admin") and k not in ADMIN_PAGES}
    stale = sorted(set(POLICY) - keys) + sorted(set(ADMIN_PAGES) - keys)
    stale += sorted(set(ADMIN_MODELS) - models)
    problems += [f"policy for a route that no longer exists: {key}" for key in stale]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_route_access(walk, role, settings):
    """Every route, GET and an empty POST, as this role: see the module docstring."""
    settings.MEDIA_ROOT = walk.media  # the dataset's files (conftest gives each test its own)
    # /healthz judges worker and beat by their heartbeats; no worker or beat runs here.
    health.stamp(health.WORKER_HEARTBEAT_KEY)
    health.stamp(health.BEAT_HEARTBEAT_KEY)
    client = Client(raise_request_exception=True)
    user = walk.world.users[role]
    if user is not None:
        client.force_login(user)
    walk.baseline = fingerprint(walk.sql)
    mismatches = []
    for route in all_routes():
        try:
            targets = walk.world.targets(route.key, list(route.params))
        except KeyError as error:  # fail closed: a route nobody can fill is not checked
            mismatches.append(Mismatch(route.key, "?", "-", "-", f"CANNOT FILL {error}", "-"))
            continue
        for target in targets:
            for method in methods_for(route):
                mismatches += request(walk, client, role, route, target, method)
    header = f"{'route':42} {'object':18} {'':4} {'expected':11} {'got':30} url"
    report = "\n".join([header, *(m.line() for m in mismatches)])
    assert not mismatches, f"{len(mismatches)} mismatches for {role}:\n{report}"
