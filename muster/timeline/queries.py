"""The timeline as a page shows it: steps grouped by process and phase, each with a state."""

import datetime
from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import QuerySet

from .models import ContractStep, Process


@dataclass
class Phase:
    name: str
    steps: list[ContractStep] = field(default_factory=list)


@dataclass
class ProcessTimeline:
    process: str
    label: str
    phases: list[Phase]


def timeline(steps, today) -> list[ProcessTimeline]:
    """Steps (already loaded, e.g. prefetched) → processes → phases, in template order."""
    ordered = sorted(steps, key=lambda s: (s.process != Process.ONBOARDING, s.order))
    result = []
    for process, process_steps in groupby(ordered, key=lambda s: s.process):
        phases = []
        for phase_name, phase_steps in groupby(process_steps, key=lambda s: s.phase):
            phase = Phase(phase_name, list(phase_steps))
            for step in phase.steps:
                step.current_state = step.state(today)
            phases.append(phase)
        result.append(ProcessTimeline(process, Process(process).label, phases))
    return result


def next_open_step(steps) -> ContractStep | None:
    open_steps = [s for s in steps if s.is_open and s.due_date]
    return min(open_steps, key=lambda s: (s.due_date, s.order), default=None)


def overdue(today: datetime.date) -> QuerySet[ContractStep]:
    """The steps whose state is "overdue" on `today` (ContractStep.state): open (neither
    done nor cancelled) and due before today. Through the open steps' due-date index."""
    return ContractStep.objects.filter(
        completed_at__isnull=True, cancelled_at__isnull=True, due_date__lt=today
    )
