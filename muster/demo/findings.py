"""The demo's reconciliation findings (issue 16)."""


def show(created: dict) -> None:
    """Placeholder until reconciliation lands."""
