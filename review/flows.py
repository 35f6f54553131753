"""A unit's results pack, as viewflow runs it.

Map: pack delivered → acknowledge (the unit's head: "results considered, catalogue
updates planned") → catalogue updates (the head, until the cycle's catalogue-update
deadline) → end. Each task goes to the head, to the deputy when the head is absent
that day, else to the coordinator (never to nobody). A reminder two working days
before the acknowledgement is due, and an escalation to the coordinator once it is
overdue, repeated every 5 working days while it stays open: viewflow's database-backed
timers, fired by workflows.tasks.fire_timers. Each step names its form and service;
task pages are ours (review/views.py, on workflows.stepkit.TaskPage); the flow's own
URLs are never mounted.
"""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from review import pack_steps
from review.models import Pack, PackProcess
from workflows.stepkit import DeadlineChain, human_step
from workflows.steps import responsible_for


class PackFlow(DeadlineChain, flow.Flow):
    process_class = PackProcess
    deadlines = pack_steps.PackDeadlines()
    lock_impl = lock.select_for_update_lock
    process_title = _("Results pack")

    start = flow.StartHandle(this.start_process).Next(this.acknowledge)

    acknowledge = human_step(
        _("Acknowledge the results pack"),
        assign=this.responsible,
        form="review.forms.AcknowledgeForm",
        service="review.services.pack_acknowledge",
        reminders=1,
    ).Next(this.catalogue)
    catalogue = human_step(
        _("Update the service catalogue"),
        assign=this.responsible,
        form="review.forms.NoteForm",
        service="review.services.pack_catalogue_done",
        reminders=0,
    ).Next(this.end)

    # Reminders and escalation run beside the step they watch (workflows.stepkit).
    first_reminder = flow.Function(this.send_first_reminder).Next(this.end)
    escalate = flow.Function(this.send_escalation).Next(this.escalation_wait)
    escalation_wait = flow.Timer(this.next_escalation_at).Next(this.escalation_check)
    escalation_check = flow.If(this.still_open).Then(this.escalate).Else(this.end)

    end = flow.End()

    def start_process(self, activation, pack: Pack):
        activation.process.artifact = pack
        return activation.process

    def responsible(self, activation):
        return responsible_for(activation.process.artifact.unit)
