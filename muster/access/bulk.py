"""Bulk grant actions: confirm several requested grants at once (the access waiting for
confirmation), revoke several at once (the SO's roster).

Each item goes through the very service the single action calls (`grants.confirm`,
`grants.revoke`): the same checks, the same audit record, the same email, in the same
transaction of its own. One transaction per item, not one for all, on purpose:
- a refused item (another service's grant, a lapsed DUA, already confirmed) must not stop
  the others, and all-or-nothing would either refuse every item for one or need the rest
  to be re-checked after a rollback;
- each item's change, audit row and email belong together and to no other item: a
  contract's SO hears of what happened to their grants, whatever happened elsewhere;
- each item locks only its own row, for as long as its own change takes, not every row
  selected for the whole batch.
So when the batch stops half way (a crash, a lost connection), what was done stays done,
as it would after as many single confirmations: the person sees the list as it is and
confirms the rest again.

The answer is an `Outcome` per item, in the order the person selected them: what was done
and what was refused, with the service's reason."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from muster.accounts import permissions
from muster.contracts.models import Contract
from muster.errors import DomainError, NotAllowed

from . import grants, queries
from .guards import AccessError
from .models import AccessGrant

# The most grants one request acts on: a page of the lists these actions come from (50
# rows), and a bound on what one request may keep the server and the database busy with.
MAX_ITEMS = 50


@dataclass(frozen=True)
class Outcome:
    """What happened to one selected grant: `done`, or refused for `reason`."""

    label: str  # whose access to what (and on which contract), as the person reads it
    done: bool
    reason: str = ""


def selected_ids(values: Iterable[str]) -> list[int]:
    """The grants the person selected (the form's checkboxes: grant ids), in their order,
    each once. Refused as a whole (nothing is done) when there is none, one is not an id,
    or there are more than MAX_ITEMS."""
    ids: list[int] = []
    for value in values:
        value = value.strip()
        if not value.isdigit():
            raise AccessError("That selection is not a list of access grants. Nothing was "
                              "changed: select the rows again.")
        if int(value) not in ids:
            ids.append(int(value))
    if not ids:
        raise AccessError("Select at least one access grant first. Nothing was changed.")
    if len(ids) > MAX_ITEMS:
        raise AccessError(f"You selected {len(ids)} access grants: at most {MAX_ITEMS} can "
                          "be changed at once. Nothing was changed: select fewer and try "
                          "again.")
    return ids


def confirm_many(actor, ids: list[int]) -> list[Outcome]:
    """Confirm each grant as `grants.confirm` would, one by one. A grant on a contract the
    person cannot see is refused without naming it (as the single action's 404 does)."""
    found = queries.grants_for_bulk(ids, permissions.visible_contracts(actor).values("pk"))
    return [_each(grants.confirm, actor, found.get(pk), pk, on_contract=True) for pk in ids]


def revoke_many(actor, contract: Contract, ids: list[int]) -> list[Outcome]:
    """Revoke each of the contract's grants as `grants.revoke` would, one by one."""
    found = queries.grants_for_bulk(ids, [contract.pk])
    return [_each(grants.revoke, actor, found.get(pk), pk, on_contract=False) for pk in ids]


def _each(call: Callable[..., AccessGrant], actor, item: AccessGrant | None, pk: int, *,
          on_contract: bool) -> Outcome:
    if item is None:
        return Outcome(f"Access grant {pk}", False,
                       "There is no such access grant among those you can act on.")
    label = f"{item.user.full_name}'s {item.service.name} access"
    if on_contract:
        label += f" on {item.contract.name}"
    try:
        call(actor, item)  # its own transaction: a refusal rolled back this item only
    except (DomainError, NotAllowed) as error:
        return Outcome(label, False, str(error))
    return Outcome(label, True)


def summary(verb: str, outcomes: list[Outcome]) -> dict:
    """The outcomes as the page after the action shows them (kept in the session until
    then: plain data)."""
    done = [o.label for o in outcomes if o.done]
    return {
        "verb": verb,
        "selected": len(outcomes),
        "done": done,
        "refused": [[o.label, o.reason] for o in outcomes if not o.done],
    }
