"""The IT services a contract can be onboarded to, and where people get help."""

from django.db import models

from muster.validators import LONG_TEXT_MAX


class Service(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(max_length=LONG_TEXT_MAX)
    requires_dua = models.BooleanField(
        "requires a Data Use Agreement",
        default=False,
        help_text="Access is usable only while the contract's DUA is valid.",
    )
    eua_job_code = models.CharField(
        "EUA job code",
        max_length=40,
        blank=True,
        help_text="The EUA job code a user needs for this service, e.g. CONFL_User.",
    )
    help_text = models.TextField(
        blank=True, max_length=LONG_TEXT_MAX,
        help_text="Where a contractor gets help with this service."
    )
    is_active = models.BooleanField(default=True, help_text="Offered to new requests.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class HelpContact(models.Model):
    """A place to get help, shown in the footer and wherever a person may be stuck."""

    title = models.CharField(max_length=120)
    audience = models.CharField(
        max_length=200, help_text="Who should use it and for what, e.g. 'Contract services'."
    )
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    slack_channel = models.CharField(max_length=80, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title
