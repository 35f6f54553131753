"""A unit's results pack, as viewflow runs it.

Map: pack delivered → acknowledge (the unit's head: "results considered, catalogue
updates planned") → catalogue updates (the head, until the cycle's catalogue-update
deadline) → end. Each task goes to the head, to the deputy when the head is absent
that day, else to the coordinator (never to nobody). A reminder two working days
before the acknowledgement is due, and an escalation to the coordinator once it is
overdue, repeated every 5 working days while it stays open: viewflow's database-backed
timers, fired by workflows.tasks.fire_timers. Task pages are ours (review/views.py);
the flow's own URLs are never mounted.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from review import pack_steps
from review.models import Pack, PackProcess
from workflows.flows import _not_routed
from workflows.steps import responsible_for
from workflows.workdays import add_working_days, at_morning

ESCALATE_EVERY = 5  # working days


class PackFlow(flow.Flow):
    process_class = PackProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("Results pack")

    start = flow.StartHandle(this.start_process).Next(this.acknowledge)

    acknowledge = (
        flow.View(_not_routed)
        .Annotation(title=_("Acknowledge the results pack"))
        .Assign(this.responsible)
        .OnTimeout(this.reminder_at, this.remind, interrupting=False)
        .OnTimeout(this.escalation_at, this.escalate, interrupting=False)
        .Next(this.catalogue)
    )
    catalogue = (
        flow.View(_not_routed)
        .Annotation(title=_("Update the service catalogue"))
        .Assign(this.responsible)
        .OnTimeout(this.escalation_at, this.escalate, interrupting=False)
        .Next(this.end)
    )

    remind = flow.Function(this.send_reminder).Next(this.end)
    escalate = flow.Function(this.send_escalation).Next(this.escalation_wait)
    escalation_wait = flow.Timer(this.next_escalation_at).Next(this.escalation_check)
    escalation_check = flow.If(this.still_open).Then(this.escalate).Else(this.end)

    end = flow.End()

    def start_process(self, activation, pack: Pack):
        activation.process.artifact = pack
        return activation.process

    def responsible(self, activation):
        return responsible_for(activation.process.artifact.unit)

    # --- deadlines (see review.pack_steps) -----------------------------------------

    def reminder_at(self, activation) -> datetime.datetime:
        return pack_steps.pack_reminder_moment(activation.task.previous.get())

    def escalation_at(self, activation) -> datetime.datetime:
        return pack_steps.pack_escalation_moment(activation.task.previous.get())

    def next_escalation_at(self, activation) -> datetime.datetime:
        return at_morning(add_working_days(timezone.localdate(), ESCALATE_EVERY))

    def send_reminder(self, activation) -> None:
        pack_steps.pack_remind(host=activation.task.previous.get().previous.get())

    def send_escalation(self, activation) -> None:
        pack_steps.pack_escalate(host=pack_steps.watched_task(activation.task))

    def still_open(self, activation) -> bool:
        return pack_steps.watched_task(activation.task).finished is None
