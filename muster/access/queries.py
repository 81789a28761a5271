"""Reads that pages share about access grants."""

from django.db.models import QuerySet
from django.db.models.functions import Lower

from .models import AccessGrant


def grants_of(user) -> QuerySet:
    """A person's own grants, every state, by contract then service: one query."""
    return (AccessGrant.objects.filter(user=user).select_related("contract", "service")
            .order_by(Lower("contract__name"), "service__order", "-requested_at"))


def grants_by_contract(user) -> dict[int, list[AccessGrant]]:
    """A person's own grants grouped by contract id (one query)."""
    grouped: dict[int, list[AccessGrant]] = {}
    for grant in grants_of(user):
        grouped.setdefault(grant.contract_id, []).append(grant)
    return grouped
