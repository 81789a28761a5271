"""A copy of one of a contract's step due dates on an upper app's row, chosen by the row's
status: an onboarding request is due with its contract's "eligibility-meeting" step until
the meeting, then with "complete-onboarding"; a closeout with "closeout-scenario", then
"remove-access". Lists sort open rows by that date (My work, the review queue): stored on
the row and indexed, a page reads its first rows instead of joining every open row to two
steps to sort them.

The copy changes with the row's status (the model's save) and with the step's due date
(services.next_step_kept calls `refresh` through register_due_copy), each in the same
transaction; `mismatches` compares every row with a recomputation (manage.py
check_work_dues) and `repair` rewrites those that differ (after a bulk load).
"""

import datetime

from django.db.models import Case, DateField, F, OuterRef, Q, QuerySet, Subquery, Value, When

from .models import ContractStep


class DueCopy:
    def __init__(self, step_by_status: dict[str, str], field: str = "due"):
        self.step_by_status = dict(step_by_status)
        self.field = field

    def step_key(self, status: str) -> str | None:
        """The step whose due date a row in `status` stores (None: nothing is due)."""
        return self.step_by_status.get(status)

    def for_row(self, contract_id: int | None, status: str) -> datetime.date | None:
        """The due date a row of the contract in `status` stores: one query, or none."""
        key = self.step_key(status)
        if key is None or contract_id is None:
            return None
        return (ContractStep.objects.filter(contract_id=contract_id, key=key)
                .values_list("due_date", flat=True).first())

    def before_save(self, row, save_kwargs: dict) -> None:
        """Called by the row's save(): store the due date of the step its status waits on
        (one query when open). A save that names its fields and not the status leaves it
        as it is."""
        fields = save_kwargs.get("update_fields")
        if fields is None or "status" in fields:
            setattr(row, self.field, self.for_row(row.contract_id, row.status))
            if fields is not None:
                save_kwargs["update_fields"] = {*fields, self.field}

    def expression(self, step_model=ContractStep) -> Case:
        """SQL: the due date each row should store (a migration passes its step model)."""
        keys: dict[str, list[str]] = {}
        for status, key in self.step_by_status.items():
            keys.setdefault(key, []).append(status)
        return Case(
            *[When(status__in=statuses, then=Subquery(
                step_model._default_manager.filter(contract_id=OuterRef("contract_id"), key=key)
                .values("due_date")[:1]))
              for key, statuses in keys.items()],
            default=Value(None), output_field=DateField())

    def refresh(self, rows: QuerySet, contract_id: int) -> int:
        """Recompute the stored copy of the contract's open rows (one UPDATE; a row that is
        not open stores None, set by its save())."""
        return (rows.filter(contract_id=contract_id, status__in=list(self.step_by_status))
                .update(**{self.field: self.expression()}))

    def mismatches(self, rows: QuerySet) -> QuerySet:
        """The rows whose stored copy differs from a recomputation: (pk, stored, expected)."""
        stored = self.field
        return (rows.annotate(expected_due=self.expression())
                .filter(Q(**{f"{stored}__isnull": True}, expected_due__isnull=False)
                        | Q(**{f"{stored}__isnull": False}, expected_due__isnull=True)
                        | (Q(**{f"{stored}__isnull": False}, expected_due__isnull=False)
                           & ~Q(**{stored: F("expected_due")})))
                .order_by("pk").values_list("pk", stored, "expected_due"))

    def repair(self, rows: QuerySet) -> int:
        """Rewrite every row whose copy differs; how many were rewritten."""
        wrong = list(self.mismatches(rows).values_list("pk", flat=True))
        if wrong:
            rows.filter(pk__in=wrong).update(**{self.field: self.expression()})
        return len(wrong)

