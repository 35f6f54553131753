from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "review"
    label = "review"
    verbose_name = _("Annual review")

    def ready(self) -> None:
        from review import task_kind
        from review.flows import PackFlow
        from workflows import task_layer

        task_layer.register(
            task_layer.TaskKind(
                flow_class=PackFlow,
                url_name="review:task",
                due_dates=task_kind.due_dates,
                subjects=task_kind.task_subjects,
            )
        )
