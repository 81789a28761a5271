"""Forms for a request's changes of status that need a reason: withdraw, cancel, reopen,
and the team lead's "send back" or "reject". Shared by onboarding and additional-service
requests."""

from django import forms

from ..models import REASON_MAX_LENGTH
from .review import VersionedForm

TOO_LONG = (f"Keep the reason to {REASON_MAX_LENGTH:,} characters or fewer "
            "(it has %(show_value)s).")


def reason_field(label: str, help_text: str, required: str) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=REASON_MAX_LENGTH, help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": required, "max_length": TOO_LONG},
    )


class ReasonForm(VersionedForm):
    """A change of status with its reason (the subclass's `reason` field), refused when
    the reason is only white space."""

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(self.fields["reason"].error_messages["required"])
        return reason


LIMIT = f"Up to {REASON_MAX_LENGTH:,} characters."


class WithdrawForm(ReasonForm):
    reason = reason_field(
        "Why are you withdrawing the request?",
        f"The onboarding team and the contractor read it. {LIMIT}",
        "Say why you are withdrawing the request.",
    )


class CancelForm(ReasonForm):
    reason = reason_field(
        "Why is the request cancelled?",
        f"The COR, the contractor and everyone involved read it. {LIMIT}",
        "Say why the request is cancelled.",
    )


class ReopenForm(ReasonForm):
    reason = reason_field(
        "Why is the request reopened?",
        f"The COR and the contractor read it, and it is on the request's record. {LIMIT}",
        "Say why the request is reopened.",
    )


class LeadReturnForm(ReasonForm):
    """The team lead's other answers to a reviewed request."""

    decision = forms.ChoiceField(
        label="Instead of approving", widget=forms.RadioSelect,
        choices=[("send_back", "Send it back to the onboarding team's review"),
                 ("reject", "Reject it: final, no later step proceeds")],
        error_messages={"required": "Choose to send the request back or to reject it."},
    )
    reason = reason_field(
        "Reason",
        f"The onboarding team, the COR and the contractor's POC read it. {LIMIT}",
        "Give the reason for sending the request back or rejecting it.",
    )
