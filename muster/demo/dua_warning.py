"""The demo's DUA inside its warning window (issue 16)."""


def show(created: dict) -> None:
    """Placeholder until the DUA warnings land."""
