"""The one step kit: every flow's human steps name their form and service, reminders
and escalation are named nodes of each flow, and a step completed tells the owners of
the next steps in the same transaction."""

import pytest
from django.db import transaction
from viewflow.workflow.models import Task

from notifications.models import Notification
from review.flows import PackFlow
from tests.workflows.conftest import open_task
from workflows import task_layer
from workflows.flows import NonconformityFlow
from workflows.models import Event, Source
from workflows.services import nonconformity_register, nonconformity_triage
from workflows.stepkit import HumanStep, StepAlreadyDone, StepForm


def _human_steps(flow_class):
    return [node for node in flow_class.instance.nodes() if isinstance(node, HumanStep)]


@pytest.mark.parametrize("flow_class", task_layer.registered_flows(), ids=lambda f: f.__name__)
def test_every_human_step_names_a_form_and_a_service(flow_class):
    steps = _human_steps(flow_class)
    assert steps, "a flow with tasks for people has human steps"
    for step in steps:
        assert issubclass(step.form_class, StepForm), step.name
        assert callable(step.service), step.name
        # every human step has an escalation, and reminders only by the flow's named nodes
        targets = {edge.dst.name for b in step._boundary_events for edge in b._outgoing()}
        assert "escalate" in targets, step.name
        assert targets <= {"first_reminder", "second_reminder", "escalate"}, step.name


def test_the_nonconformity_steps_have_two_reminders_and_the_pack_acknowledgement_one():
    def reminders(flow_class, name):
        node = flow_class.instance.node(name)
        return sorted(
            edge.dst.name
            for b in node._boundary_events
            for edge in b._outgoing()
            if edge.dst.name != "escalate"
        )

    for name in ("triage", "analysis", "planning", "plan_review", "implement", "verification"):
        assert reminders(NonconformityFlow, name) == ["first_reminder", "second_reminder"]
    assert reminders(PackFlow, "acknowledge") == ["first_reminder"]
    assert reminders(PackFlow, "catalogue") == []


@pytest.mark.django_db
def test_a_new_owner_is_told_in_the_same_transaction_as_the_step(coordinator, head_a, card_a):
    """If the step's transaction rolls back, nobody is told; if it commits, the owner is."""
    nc = nonconformity_register(
        user=coordinator, title="T", description="D", source=Source.AUDIT, unit=card_a.unit
    )
    [triage] = open_task(nc, "triage")
    assert Notification.objects.filter(user=coordinator, key__startswith="assigned:").count() == 1

    class Crash(Exception):
        pass

    with pytest.raises(Crash), transaction.atomic():
        nonconformity_triage(task=triage, user=coordinator, decision="accept", severity="minor")
        raise Crash
    assert not Notification.objects.filter(user=head_a).exists()
    assert not nc.events.filter(transition=Event.Transition.ACCEPT).exists()

    triage.refresh_from_db()
    nonconformity_triage(task=triage, user=coordinator, decision="accept", severity="minor")
    [analysis] = open_task(nc, "analysis")
    assert Notification.objects.filter(user=head_a, key=f"assigned:{analysis.pk}:{head_a.pk}")


@pytest.mark.django_db
def test_a_pack_service_refuses_another_flows_task(coordinator, card_a, head_a):
    from review.services import pack_acknowledge

    nc = nonconformity_register(
        user=coordinator, title="T", description="D", source=Source.AUDIT, unit=card_a.unit
    )
    [triage] = open_task(nc, "triage")
    with pytest.raises(StepAlreadyDone):
        pack_acknowledge(task=triage, user=coordinator, note="x")
    assert Task.objects.get(pk=triage.pk).finished is None


@pytest.mark.django_db
def test_every_transition_of_the_history_has_a_label_in_each_language():
    from django.utils import translation

    for value, _label in Event.Transition.choices:
        event = Event(transition=value)
        with translation.override("pl"):
            polish = event.transition_label
        with translation.override("en"):
            english = event.transition_label
        assert polish and english and value not in {polish, english}, value
        assert polish != english, value
