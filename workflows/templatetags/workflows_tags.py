from django import template

from workflows.selectors import open_tasks

register = template.Library()


@register.simple_tag
def open_task_count(user) -> int:
    return open_tasks(user).count()
