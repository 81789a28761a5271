"""Data Use Agreements and the access that depends on them."""

import datetime

from muster.contracts.models import Contract, DataUseAgreement


def valid_dua(contract: Contract, day: datetime.date, service=None) -> DataUseAgreement | None:
    """The contract's DUA valid on `day` (covering `service`, when the DUA names the
    services it covers), or None."""
    for dua in contract.duas.filter(invalidated_at__isnull=True, expiry_date__gte=day).order_by(
        "-expiry_date"
    ):
        if not dua.is_valid_on(day):
            continue
        covered = set(dua.services.values_list("pk", flat=True))
        if service is None or not covered or service.pk in covered:
            return dua
    return None
