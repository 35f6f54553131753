"""A notification is stored as its template and parameters, and put into words in the
reader's language when read (the inbox) or sent (the e-mail, in the recipient's).

Parameters are frozen to plain JSON: a model instance as its label and key, a date as
its ISO form, a step of a flow as the flow and the step's name (shown by its title in
the reader's language). A translated sentence is never a parameter: that is the point.
"""

import datetime
from collections import defaultdict
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.module_loading import import_string
from viewflow.workflow.base import Node


def freeze(context: dict[str, Any]) -> dict[str, Any]:
    return {name: _freeze(value) for name, value in context.items()}


def _freeze(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        if isinstance(value, str) and type(value) is not str:
            raise TypeError("a notification parameter must not be a translated text")
        return value
    if isinstance(value, models.Model):
        return {"$model": value._meta.label, "pk": value.pk}
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, Node):
        flow = value.flow_class
        return {"$step": f"{flow.__module__}.{flow.__qualname__}", "name": value.name}
    raise TypeError(f"cannot store {type(value).__name__} as a notification parameter")


def thaw_many(frozen: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Thaw many parameter sets with one query per model, whatever their number."""
    wanted: dict[str, set] = defaultdict(set)
    for params in frozen:
        for value in params.values():
            if isinstance(value, dict) and "$model" in value:
                wanted[value["$model"]].add(value["pk"])
    loaded = {
        label: apps.get_model(label)._default_manager.in_bulk(pks) for label, pks in wanted.items()
    }
    return [{k: _thaw(v, loaded) for k, v in params.items()} for params in frozen]


def _thaw(value: Any, loaded: dict[str, dict]) -> Any:
    if not isinstance(value, dict):
        return value
    if "$model" in value:
        return loaded[value["$model"]].get(value["pk"])
    if "$datetime" in value:
        return datetime.datetime.fromisoformat(value["$datetime"])
    if "$date" in value:
        return datetime.date.fromisoformat(value["$date"])
    if "$step" in value:
        node = import_string(value["$step"]).instance.node(value["name"], no_obsolete=True)
        return node.task_title if node is not None else value["name"]
    return value


def render(template: str, context: dict[str, Any], *, user, language: str | None = None):
    """(subject, body) of `notifications/<template>…txt` in `language` (else the user's)."""
    with translation.override(language or user.language or settings.LANGUAGE_CODE):
        context = {**context, "user": user, "site_url": settings.SITE_URL}
        subject = " ".join(
            render_to_string(f"notifications/{template}_subject.txt", context).split()
        )
        body = render_to_string(f"notifications/{template}.txt", context)
    return subject[:200], body


def subjects(notifications: list, *, language: str) -> dict[int, str]:
    """{pk: subject in `language`} for inbox entries; entries stored before templates
    were kept (no template) show their stored subject."""
    keyed = [n for n in notifications if n.template]
    thawed = thaw_many([n.params for n in keyed])
    shown = {n.pk: n.subject for n in notifications}
    for notification, context in zip(keyed, thawed, strict=True):
        if all(value is not None for value in context.values()):  # nothing deleted since
            shown[notification.pk] = render(
                notification.template, context, user=notification.user, language=language
            )[0]
    return shown
