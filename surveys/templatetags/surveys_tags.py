from django import template

register = template.Library()


@register.filter
def as_list(value) -> list:
    """A bound field's value as a list (multiple choice gives a list already)."""
    if value in (None, ""):
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
