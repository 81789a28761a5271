"""The contract's roster: the SO adds a person (one by one; a file goes through
`imports`) or takes them off, revoking their access; the SO or the onboarding team records
a member's EUA background check. One transaction per action, with its guard, audit record
and email to the SO."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from muster import workflow
from muster.accounts.models import ContractRole, User
from muster.accounts.permissions import Action
from muster.audit import services as audit
from muster.contracts.models import Contract
from muster.identity import invitations

from . import emails
from .checking import check_rows
from .grants import membership, revoke_held
from .guards import AccessError, InvalidMember, roster_open
from .models import UNREVOKED, AccessGrant
from .queries import MEMBER


def _user_for(actor, row: dict) -> User:
    """The existing person with this email (HARP ID filled in if they had none), or a new
    one without a password."""
    user = User.objects.filter(email=row["email"]).first()
    if user is None:
        user = User(email=row["email"], full_name=row["full_name"], harp_id=row["harp_id"])
        user.set_unusable_password()
        user.save()
        audit.record(actor, "accounts.user_created", user, f"Created {user.full_name}",
                     after={"email": user.email, "harp_id": user.harp_id})
    elif not user.harp_id:
        user.harp_id = row["harp_id"]
        user.save(update_fields=["harp_id"])
        audit.record(actor, "accounts.harp_id_set", user, f"Recorded {user}'s HARP ID",
                     before={"harp_id": ""}, after={"harp_id": user.harp_id})
    return user


@transaction.atomic
def add_user(actor, contract: Contract, *, full_name: str, email: str,
             harp_id: str) -> ContractRole:
    """Put one person on the contract's roster (the ContractRole 'contractor_user')."""
    workflow.require(actor, Action.MANAGE_ROSTER, contract)
    roster_open(contract)
    row: dict = {"line": 1, "full_name": full_name, "email": email, "harp_id": harp_id,
                 "services": []}
    check_rows(contract, [row])
    if row["field_errors"]:
        raise InvalidMember(row["field_errors"])
    user = _user_for(actor, row)
    try:
        with transaction.atomic():
            role = ContractRole.objects.create(user=user, contract=contract, role=MEMBER)
    except IntegrityError as error:  # added by someone else a moment ago
        raise InvalidMember({"email": ["This person is already on the contract's roster."]}
                            ) from error
    audit.record(actor, "access.user_added", role, f"Added {user.full_name} to the roster",
                 contract=contract, after={"user": user.email, "harp_id": user.harp_id})
    invitations.person_named(actor, user, contract=contract, as_what=invitations.as_role(MEMBER))
    emails.users_added(actor, contract, f"roster-added:{role.pk}",
                       members=[user], count=1, grants=0)
    return role


@transaction.atomic
def remove_user(actor, contract: Contract, user) -> list[AccessGrant]:
    """Revoke every grant the person holds on the contract (not yet revoked) and take them
    off the roster (their grants stay, revoked, as history)."""
    workflow.require(actor, Action.MANAGE_ROSTER, contract)
    role = membership(contract, user, lock=True)
    if role is None:
        raise AccessError(f"{user.full_name} is not on this contract's roster.")
    grants = list(AccessGrant.objects.select_for_update().filter(
        contract=contract, user=user, status__in=UNREVOKED
    ).select_related("user", "service", "contract"))
    for grant in grants:
        revoke_held(actor, grant)
    audit.record(actor, "access.user_removed", role,
                 f"Removed {user.full_name} from the roster", contract=contract,
                 before={"user": user.email, "role": MEMBER},
                 after={"revoked_grants": [g.pk for g in grants]})
    role_pk = role.pk
    role.delete()
    if grants:
        emails.access_changed(actor, contract, grants, key=f"roster-removed:{role_pk}")
    return grants


@dataclass(frozen=True)
class EuaCheckRecorded:
    role: ContractRole
    changed: bool  # False: it already had that status, nothing was written


EUA_STALE = ("{name}'s EUA background check changed since you opened the page: it is now "
             "“{now}”. Check it and choose again.")


@transaction.atomic
def record_eua_check(actor, contract: Contract, user, status: str, *,
                     seen: str | None = None) -> EuaCheckRecorded:
    """Record a roster member's EUA background check (their contractor user role's
    `eua_check`), as the intake form records the SO's and SPOC's: the same audit action
    and summary. `seen`, the status the person's page showed: a check someone else changed
    since is not overwritten."""
    workflow.require(actor, Action.RECORD_EUA_CHECK, contract)
    if status not in ContractRole.EuaCheck.values:
        raise AccessError("Choose one of the EUA background check's statuses.")
    status = ContractRole.EuaCheck(status)
    role = membership(contract, user, lock=True)
    if role is None:
        raise AccessError(f"{user.full_name} is not on this contract's roster.")
    roster_open(contract)
    if role.eua_check == status:
        return EuaCheckRecorded(role, changed=False)
    if seen and role.eua_check != seen:
        raise AccessError(EUA_STALE.format(name=user.full_name,
                                           now=role.get_eua_check_display()))
    before = {"eua_check": role.eua_check}
    role.eua_check = status
    role.save(update_fields=["eua_check"])
    audit.record(actor, "contract.eua_check", role,
                 f"{user}'s EUA background check: {role.get_eua_check_display()}",
                 contract=contract, before=before, after={"eua_check": status.value})
    return EuaCheckRecorded(role, changed=True)
