"""Results packs on screen: the list of packs a user may open, and their files.

The files live in the default storage but are never linked by a media URL: every
download goes through `pack_file`, after the same access check as the list
(selectors.visible_packs). Someone else's pack is a 404, never a 403 that confirms it
exists.
"""

from django.db.models import F
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from qms.roles import can_read_everything
from qms.views import AuthedRequest
from review import selectors

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def pack_list(request: AuthedRequest) -> HttpResponse:
    """A head: their units' packs across cycles; coordinator and auditor: every pack."""
    packs = (
        selectors.visible_packs(request.user)
        .select_related("acknowledged_by")
        .order_by("-cycle__year", F("unit__code").asc(nulls_first=True))
    )
    return render(
        request,
        "review/packs.html",
        {"packs": packs, "reads_everything": can_read_everything(request.user)},
    )


def pack_file(request: AuthedRequest, pk: int, fmt: str) -> FileResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    pack = get_object_or_404(selectors.visible_packs(request.user), pk=pk)
    field = pack.pdf if fmt == "pdf" else pack.xlsx
    if not field.name or not field.storage.exists(field.name):
        raise Http404
    who = f"komorka-{pack.unit.code}" if pack.unit else "przeglad-zarzadzania"
    return FileResponse(
        field.open("rb"),
        as_attachment=fmt == "xlsx",
        filename=f"wyniki-{pack.cycle.year}-{who}.{fmt}",
        content_type=CONTENT_TYPES[fmt],
    )
