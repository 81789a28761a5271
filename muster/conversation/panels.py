"""What conversation adds to the contract page: its whole thread, at the end of the page
(registered by ConversationConfig.ready())."""

from muster.contracts import panels
from muster.reverse_once import address

from . import queries


@panels.register(panels.CONTRACT_END, order=10, template="conversation/panels/contract.html")
def contract_panel(user, contract, today) -> dict | None:
    """Every entry of the contract's thread this person may read, and the form; None for
    whoever reads no thread (a contractor user)."""
    shown = queries.thread(user, contract, None,
                           action=address("conversation:contract", contract.pk))
    return None if shown is None else {"thread": shown}
