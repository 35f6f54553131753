"""The annual review moved out of `qms/` into its own app `review/`: results-pack processes
started before the move keep working, because the migration rewrites viewflow's stored
flow paths (processes and tasks) from `qms/review/…` to `review/…`."""

import importlib

from django.db import connection
from viewflow.workflow.models import Process, Task

from review.flows import PackFlow

move = importlib.import_module("review.migrations.0006_flow_paths")


class _Editor:
    """The part of a schema editor the migration uses (SQLite's own cannot run inside
    the test's transaction)."""

    def __init__(self, cursor):
        self.cursor = cursor

    def execute(self, sql, params):
        self.cursor.execute(sql, params)


def test_stored_flow_paths_follow_the_app(db):
    process = Process.objects.create(flow_class=PackFlow)
    task = Task.objects.create(process=process, flow_task=PackFlow.acknowledge)
    with connection.cursor() as cursor:  # as a process started before the move stored it
        cursor.execute(
            "UPDATE viewflow_process SET flow_class = %s WHERE id = %s",
            ["qms/review/flows.PackFlow", process.pk],
        )
        cursor.execute(
            "UPDATE viewflow_task SET flow_task = %s WHERE id = %s",
            ["qms/review/flows.PackFlow.acknowledge", task.pk],
        )
        move.forwards(None, _Editor(cursor))
    assert Process.objects.get(pk=process.pk).flow_class is PackFlow
    assert Task.objects.get(pk=task.pk).flow_task.name == "acknowledge"
    assert Task.objects.get(pk=task.pk).flow_task.flow_class is PackFlow
