"""An item's history in the reader's language.

What the system says about a change (how many actions were planned, whose step was
handed to whom, which step is overdue) is stored on the Event as a key and plain
parameters, and put into words here when the history is read: a coordinator reading
in English sees English, whatever language the change was made in. What a person wrote
(`Event.note`) is shown as written.
"""

import datetime
from collections.abc import Callable

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from workflows.flows import NonconformityFlow
from workflows.models import Action, Event

Note = Event.NoteKey


def step_title(name: str) -> str:
    node = NonconformityFlow.instance.node(name, no_obsolete=True)
    return str(node.task_title) if node is not None else name


def _date(value: str) -> str:
    return date_format(datetime.date.fromisoformat(value)) if value else "—"


TEXTS: dict[str, Callable[[dict], str]] = {
    Note.ACTIONS_PLANNED: lambda p: (
        ngettext("%(n)s action planned", "%(n)s actions planned", p["n"]) % {"n": p["n"]}
    ),
    Note.ACTION_DONE: lambda p: (
        _("%(kind)s done") % {"kind": str(Action.Kind(p["kind"]).label).capitalize()}
    ),
    Note.MERGED_INTO: lambda p: _("Merged into %(number)s") % p,
    Note.DUPLICATE_MERGED: lambda p: _("%(number)s merged into this item as a duplicate") % p,
    Note.HANDED_OVER: lambda p: (
        _("%(step)s handed from %(from)s to %(to)s")
        % {"step": step_title(p["step"]), "from": p["from"] or "—", "to": p["to"]}
    ),
    Note.OVERDUE: lambda p: (
        _("%(step)s overdue since %(due)s (%(owner)s)")
        % {"step": step_title(p["step"]), "due": _date(p["due"]), "owner": p["owner"] or "—"}
    ),
    Note.RECURRED: lambda p: (
        _("Breached again in the %(year)s cycle (first found in %(first)s)") % p
    ),
}


def note_text(event: Event) -> str:
    """The event's note in the current language: what the system says, then what the
    person wrote."""
    render = TEXTS.get(event.note_key)
    generated = render(event.note_params) if render is not None else ""
    return "\n".join(part for part in (generated, event.note) if part)


def entries(events) -> list[tuple[Event, str]]:
    return [(event, note_text(event)) for event in events]
