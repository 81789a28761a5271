"""The timeline as a page shows it: steps grouped by process and phase, each with a state."""

from dataclasses import dataclass, field
from itertools import groupby

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
