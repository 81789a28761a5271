from django.apps import AppConfig


class ConversationConfig(AppConfig):
    """The thread on each contract and request: comments shared with the COR, POC and SO,
    internal notes only the team sees, mentions that email a person, PDF attachments; every
    entry on the audit record. Below onboarding and access, which show their requests'
    threads (panels); above notifications, which it emails through."""

    name = "muster.conversation"
    verbose_name = "Conversation"
