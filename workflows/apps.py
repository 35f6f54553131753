from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self) -> None:
        from workflows import records, steps, task_layer
        from workflows.flows import NonconformityFlow

        task_layer.register(
            task_layer.TaskKind(
                flow_class=NonconformityFlow,
                url_name="nonconformities:task",
                due_dates=steps.due_dates,
                subjects=records.task_subjects,
            )
        )
