"""Forms for additional-service requests: the request, the COR's decision, the service
lead's decision, and the onboarding team's "send the addendum"."""

from django import forms

from muster.forms import USWDSMixin
from muster.validators import NAME_MAX, SHORT_TEXT_MAX, VISIBLE_ONLY

from .additional import MAX_USERS
from .queries import requestable_services

STALE = "This page is out of date: open the request again and retry."


class ServiceRequestForm(USWDSMixin, forms.Form):
    organization_name = forms.CharField(
        label="Organization", max_length=NAME_MAX, validators=VISIBLE_ONLY,
        help_text="The contractor's HARP organization name, if it has one.",
        error_messages={"required": "Give the organization's name."},
    )
    service: forms.ModelChoiceField = forms.ModelChoiceField(
        label="Service", queryset=None, empty_label="- Select a service -",
        help_text="Services this contract does not have yet.",
        error_messages={
            "required": "Choose the service the contract needs.",
            "invalid_choice": "Choose a service from the list: that one is already on the "
            "contract, already requested, or no longer offered.",
        },
    )
    justification = forms.CharField(
        label="Business justification", max_length=SHORT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What the contractor's staff will use the service for, and why the "
        "contract needs it.",
        error_messages={"required": "Give the business justification."},
    )
    estimated_users = forms.IntegerField(
        label="Estimated number of users", min_value=1, max_value=MAX_USERS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"required": "Give the estimated number of users (at least 1)."},
    )

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.service_field.queryset = requestable_services(contract)

    @property
    def service_field(self) -> forms.ModelChoiceField:
        field = self.fields["service"]
        assert isinstance(field, forms.ModelChoiceField)
        return field

    def clean_organization_name(self):
        value = self.cleaned_data["organization_name"].strip()
        if not value:
            raise forms.ValidationError("Give the organization's name.")
        return value

    def clean_justification(self):
        value = self.cleaned_data["justification"].strip()
        if not value:
            raise forms.ValidationError("Give the business justification.")
        return value


class VersionedForm(USWDSMixin, forms.Form):
    """Carries the request version the person saw, to refuse a stale action."""

    version = forms.IntegerField(
        label="Request version", widget=forms.HiddenInput, min_value=1,
        error_messages={"required": STALE, "invalid": STALE, "min_value": STALE},
    )


class CorDecisionForm(VersionedForm):
    decision = forms.ChoiceField(
        label="Your decision as COR", widget=forms.RadioSelect,
        choices=[("approve", "Approve: send it to the service leads"),
                 ("decline", "Decline")],
    )
    note = forms.CharField(
        label="Note", required=False, max_length=SHORT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required to decline: the person who asked reads it.",
    )

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "decline" and not (cleaned.get("note") or "").strip():
            self.add_error("note", "Say why you decline the request.")
        return cleaned


class LeadDecisionForm(VersionedForm):
    decision = forms.ChoiceField(
        label="Decision", widget=forms.RadioSelect,
        choices=[("approve", "Approve"), ("deny", "Deny")],
    )
    reason = forms.CharField(
        label="Reason", required=False, max_length=SHORT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required for a denial; the COR and the requester see it.",
    )

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "deny" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Give the reason for the denial.")
        return cleaned
