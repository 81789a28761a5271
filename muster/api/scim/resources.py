"""Muster's people and contract services as SCIM resources (RFC 7643 §4).

`urls` turns a resource type and id into the resource's absolute URL (meta.location and
the `$ref` of a membership).
"""

from collections.abc import Callable

from scim2_models import Email, Group, GroupMember, GroupMembership, Meta, Name, Reference

from muster.accounts.models import User
from muster.contracts.models import ContractService

from .service import Agency, AgencyUser

Urls = Callable[[str, str], str]


def group_id(contract_id: int, service_slug: str) -> str:
    return f"{contract_id}-{service_slug}"


def group_name(contract_number: str, service_name: str) -> str:
    return f"{contract_number} {service_name}"


def _latest(*moments):
    return max(moment for moment in moments if moment is not None)


def _name(full_name: str) -> Name:
    """The name as typed (formatted), and split as Muster addresses people (its first
    word, like `User.get_short_name`), since identity systems ask for both halves."""
    given, _, family = full_name.partition(" ")
    return Name(formatted=full_name, given_name=given or None, family_name=family or None)


def user(person: User, urls: Urls) -> AgencyUser:
    """`person`, read with `queries.with_their_access`."""
    grants = person.active_grants  # type: ignore[attr-defined]
    resource = AgencyUser(
        id=str(person.pk),
        external_id=person.harp_id or None,
        user_name=person.email,
        name=_name(person.full_name),
        display_name=person.full_name,
        active=person.is_active,
        emails=[Email(value=person.email, type=Email.Type.work, primary=True)],
        groups=[GroupMembership(
            value=(gid := group_id(g.contract_id, g.service.slug)),
            ref=Reference[Group](urls("Groups", gid)),
            display=group_name(g.contract.contract_number, g.service.name),
            type="direct") for g in grants] or None,
        meta=Meta(
            resource_type="User",
            created=person.date_joined,
            # Access is what this feed is about: the resource changes when a grant does.
            last_modified=_latest(person.date_joined,
                                  person.access_changed_at),  # type: ignore[attr-defined]
            location=urls("Users", str(person.pk)),
        ),
    )
    resource[Agency] = Agency(
        harp_id=person.harp_id or None,
        eua_id=person.eua_id or None,
        eua_job_codes=sorted({g.eua_job_code for g in grants if g.eua_job_code}) or None,
    )
    return resource


def _member(person: User, urls: Urls) -> GroupMember:
    ref = Reference[AgencyUser | Group](urls("Users", str(person.pk)))
    return GroupMember(value=str(person.pk), ref=ref, display=person.full_name, type="User")


def group(row: ContractService, members: list[User] | None, urls: Urls) -> Group:
    """An approved service of a contract (read with `queries.with_changes`); `members`
    None leaves them out (the client excluded them)."""
    gid = group_id(row.contract_id, row.service.slug)
    created = row.decided_at or row.contract.created_at
    return Group(
        id=gid,
        display_name=group_name(row.contract.contract_number, row.service.name),
        members=None if members is None else [_member(m, urls) for m in members],
        meta=Meta(
            resource_type="Group",
            created=created,
            last_modified=_latest(created, row.access_changed_at),  # type: ignore[attr-defined]
            location=urls("Groups", gid),
        ),
    )
