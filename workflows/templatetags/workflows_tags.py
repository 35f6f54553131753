from django import template

register = template.Library()


@register.simple_tag
def open_task_count(user) -> int:
    from workflows.selectors import open_tasks

    return open_tasks(user).count()
