"""Panels the apps above contracts add to its pages.

The contract page shows onboarding, access and closeout, but contracts sits below those
apps and may not import them. So each of them registers its panels here from its
`AppConfig.ready()` (in its own `panels.py`), as NetBox's template extensions let a plugin
add to an object's page, and the page renders what is registered for its slot, in order.

A panel is a template and a function giving its context: `context(user, obj, today)`,
where `obj` is the page's object (the contract; None on the home page). The function
answers None when the panel has nothing to show this person. The template is included
with that context as `panel`, beside the page's own context (`contract`, `request`, ...).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The slots pages offer. An app may offer a slot of its own inside its panel (its name
# says whose), filled the same way.
CONTRACT = "contract"  # the contract page, between its next step and its facts
HOME = "home"  # the home page, after the open contracts
# The contract page's table of its people: a panel here replaces the plain table (identity
# shows the team each person's account and a button to invite them again).
PARTIES = "contract.parties"
# The contract page's end, after its timeline (conversation's thread).
CONTRACT_END = "contract.end"

PanelContext = Callable[[Any, Any, datetime.date], dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    slot: str
    order: int
    template: str
    context: PanelContext


@dataclass(frozen=True)
class Shown:
    """A panel as one page shows it: its template and this person's context."""

    template: str
    context: dict[str, Any]


_registry: dict[str, list[Panel]] = {}


def register(slot: str, *, order: int, template: str) -> Callable[[PanelContext], PanelContext]:
    """Decorate a panel's context function: `@panels.register(panels.CONTRACT, order=10,
    template="onboarding/_contract_panel.html")`. Registering the same template in the
    same slot again replaces it (an app's ready() may run more than once in tests)."""

    def decorator(context: PanelContext) -> PanelContext:
        others = [p for p in _registry.get(slot, []) if p.template != template]
        panel = Panel(slot, order, template, context)
        _registry[slot] = sorted([*others, panel], key=lambda p: (p.order, p.template))
        return context

    return decorator


def registered(slot: str) -> list[Panel]:
    return list(_registry.get(slot, []))


def shown(slot: str, user, obj, today: datetime.date) -> list[Shown]:
    """The slot's panels that have something for this person, in order."""
    result = []
    for panel in _registry.get(slot, []):
        context = panel.context(user, obj, today)
        if context is not None:
            result.append(Shown(panel.template, context))
    return result
