"""The demo's recertification campaign, half done (issue 16)."""


def show(created: dict) -> None:
    """Placeholder until recertification lands."""
