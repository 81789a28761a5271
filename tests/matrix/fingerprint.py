"""What a request could have changed, in one comparable value: if a GET, a refused POST or a
POST without a CSRF token leaves this equal, it changed nothing a person would notice."""

from django.db import connection

from muster.access.models import AccessGrant, AdditionalServiceRequest, RosterImport
from muster.accounts.models import ContractRole, TeamRole, User
from muster.audit.models import AuditEvent
from muster.closeout.models import CalendarFeed, Closeout
from muster.contracts.models import Contract, ContractService, DataUseAgreement
from muster.notifications.models import OutboxEmail
from muster.onboarding.models import (
    CallDocument,
    EligibilityMeeting,
    OnboardingRequest,
    Question,
    SurveyResponse,
    TouchPointCall,
    WelcomePackage,
)
from muster.timeline.models import ContractStep

# (label, model, the column whose values are counted, or None for the row count). Every
# service write is audited, so the audit count alone catches most changes; the rest catch a
# change that forgot its audit record.
WATCHED = [
    ("audit events", AuditEvent, None),
    ("outbox", OutboxEmail, "status"),
    ("outbox attempts", OutboxEmail, "attempts"),
    ("grants", AccessGrant, "status"),
    ("grant changes", AccessGrant, "updated_at"),
    ("completed steps", ContractStep, "completed_at"),
    ("step due dates", ContractStep, "due_date"),
    ("requests", OnboardingRequest, "status"),
    ("request versions", OnboardingRequest, "version"),
    ("contracts", Contract, "stage"),
    ("contract changes", Contract, "updated_at"),
    ("roles", ContractRole, "role"),
    ("team roles", TeamRole, "role"),
    ("users", User, "is_active"),
    ("closeouts", Closeout, "status"),
    ("removals confirmed", Closeout, "removal_confirmed_at"),
    ("archives", Closeout, "data_archived_at"),
    ("calendar feeds", CalendarFeed, "revoked_at"),
    ("service requests", AdditionalServiceRequest, "status"),
    ("service request versions", AdditionalServiceRequest, "version"),
    ("duas", DataUseAgreement, "invalidated_at"),
    ("services", ContractService, "status"),
    ("packages", WelcomePackage, None),
    ("calls", TouchPointCall, None),
    ("call documents", CallDocument, None),
    ("surveys", SurveyResponse, "answered_at"),
    ("imports", RosterImport, "status"),
    ("questions", Question, "answered_at"),
    ("meetings", EligibilityMeeting, None),
]


def _sql() -> str:
    parts = []
    for label, model, column in WATCHED:
        table = connection.ops.quote_name(model._meta.db_table)
        if column is None:
            parts.append(f"SELECT '{label}', '', COUNT(*) FROM {table}")
        else:
            col = connection.ops.quote_name(model._meta.get_field(column).column)
            parts.append(f"SELECT '{label}', CAST({col} AS TEXT), COUNT(*) FROM {table} "
                         f"GROUP BY {col}")
    return " UNION ALL ".join(parts)


def fingerprint() -> dict:
    """One query: for each watched table, how many rows hold each value of its column."""
    with connection.cursor() as cursor:
        cursor.execute(_sql())
        rows = cursor.fetchall()
    found: dict[str, set] = {label: set() for label, _, _ in WATCHED}
    for label, value, count in rows:
        found[label].add((value, count))
    return found


def changes(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]
