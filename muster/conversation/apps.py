from django.apps import AppConfig


class ConversationConfig(AppConfig):
    """The thread on each contract and request: comments shared with the COR, POC and SO,
    internal notes only the team sees, mentions that email a person, PDF attachments; every
    entry on the audit record. Below onboarding and access, whose request pages show their
    request's thread; above notifications, which it emails through. The contract's page
    shows the whole thread (a panel, registered here)."""

    name = "muster.conversation"
    verbose_name = "Conversation"

    def ready(self) -> None:
        from . import panels  # noqa: F401  (registers the contract page's thread)
