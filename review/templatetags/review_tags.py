from django import template

from review import selectors

register = template.Library()


@register.simple_tag
def open_review_tasks(user) -> list:
    """The user's open results-pack steps, for the dashboard."""
    return selectors.open_pack_tasks(user)
