from django.db.models import QuerySet

from notifications.models import Notification
from qms.models import User


def inbox(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)
