"""The footer's help contacts, shown on every page: read once a minute per server process.

They change a few times a year, and every page would otherwise read them (a query per
page, about the cost of the rest of the page's layout). A change saved in this process
shows on its next page (the signals below); one saved in another server process shows
here within FOOTER_SECONDS.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from muster import clock

from .models import HelpContact

FOOTER_SECONDS = 60

# (read at, a POSIX timestamp; the contacts). One per process; a worker's threads may both
# read them at once, which costs a query, not a wrong answer.
_footer: tuple[float, list[HelpContact]] | None = None


def footer_contacts() -> list[HelpContact]:
    global _footer
    now = clock.now().timestamp()
    if _footer is None or not 0 <= now - _footer[0] < FOOTER_SECONDS:
        _footer = (now, list(HelpContact.objects.all()))
    return _footer[1]


@receiver([post_save, post_delete], sender=HelpContact, dispatch_uid="catalog.forget_footer")
def forget_footer_contacts(**kwargs) -> None:
    global _footer
    _footer = None


def help_contacts(request):
    # Lazy: evaluated only by templates that show the contacts (the footer).
    return {"help_contacts": footer_contacts}
