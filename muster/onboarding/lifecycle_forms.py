"""Moved to `muster.onboarding.forms.reasons`. After the merge, access/views/additional.py
imports from there and this module goes."""

from .forms.reasons import CancelForm, ReopenForm, WithdrawForm

__all__ = ["CancelForm", "ReopenForm", "WithdrawForm"]
