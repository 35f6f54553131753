from django.utils.functional import SimpleLazyObject

from qms.models import Office
from qms.roles import can_use_admin, is_coordinator


def office(request):
    """The office's name for page headers, and whether to show the admin link."""
    user = getattr(request, "user", None)
    return {
        "office": SimpleLazyObject(Office.current),
        "show_admin_link": bool(user and user.is_authenticated and can_use_admin(user)),
        "show_lockouts_link": bool(user and is_coordinator(user)),
    }
