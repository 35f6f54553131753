from django import template

from surveys import selectors

register = template.Library()


@register.filter
def as_list(value) -> list:
    """A bound field's value as a list (multiple choice gives a list already)."""
    if value in (None, ""):
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


@register.simple_tag
def survey_access(user) -> dict[str, bool]:
    """What the survey menu may offer this user (pages check again themselves)."""
    return {
        "manage": selectors.can_manage_surveys(user),
        "read": selectors.can_read_survey_data(user),
        "enter": selectors.can_enter_responses(user),
        "responses": selectors.can_read_responses(user),
    }
