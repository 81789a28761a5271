"""What a thread can be about besides the contract: its requests.

This app sits below onboarding and access and imports neither, so it names their request
models by label (as accounts.permissions names their statuses by plain value) and their
pages by URL name (as the email templates do). Each subject says how an entry names it on
the contract's page and where its page is."""

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

ONBOARDING_REQUEST = "onboarding.onboardingrequest"
SERVICE_REQUEST = "access.additionalservicerequest"


@dataclass(frozen=True)
class Subject:
    label: str  # the model's label_lower
    url_name: str  # the request's page
    by_contract: bool  # the page's URL takes the contract's pk (else the request's)

    def model(self) -> Any:
        app_label, model = self.label.split(".")
        return ContentType.objects.get_by_natural_key(app_label, model).model_class()

    def content_type(self) -> ContentType:
        app_label, model = self.label.split(".")
        return ContentType.objects.get_by_natural_key(app_label, model)

    def page(self, contract_id: int, about_id: int) -> str:
        return reverse(self.url_name, args=[contract_id if self.by_contract else about_id])

    def describe(self, about) -> str:
        if self.label == SERVICE_REQUEST:
            return f"the additional-service request for {about.service}"
        return "the onboarding request"


SUBJECTS = {
    ONBOARDING_REQUEST: Subject(ONBOARDING_REQUEST, "onboarding:request", by_contract=True),
    SERVICE_REQUEST: Subject(SERVICE_REQUEST, "access:service_request", by_contract=False),
}


def subject_of(about) -> Subject:
    """The subject of a request object; a ValueError for anything else."""
    try:
        return SUBJECTS[about._meta.label_lower]
    except (KeyError, AttributeError) as error:
        raise ValueError(f"A thread cannot be about {about!r}.") from error


def page_of_entry(entry) -> str:
    """Where an entry is read: its request's page, or the contract's, at the entry."""
    if entry.about_type_id is not None:
        label = ContentType.objects.get_for_id(entry.about_type_id)
        subject = SUBJECTS.get(f"{label.app_label}.{label.model}")
        if subject is not None:
            return f"{subject.page(entry.contract_id, entry.about_id)}#entry-{entry.pk}"
    return f"{reverse('contracts:detail', args=[entry.contract_id])}#entry-{entry.pk}"
