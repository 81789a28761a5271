"""The contract list's COR filter: who a person may filter by, and what they typed.

A text field rather than a select of every COR (issue 17: that select read the whole
users table on every list page). Its value is one of:

- a COR's id: what saved views hold (the select made them), an exact choice;
- "Name <email>": a suggestion picked (the combobox fills the field with its `value`),
  exactly that COR;
- anything else: words, every COR of the person's contracts whose name or email contains
  them.

Every read starts from the COR roles (the people holding one on a contract the person may
see: hundreds, where users are a hundred thousand) and the suggestions read at most
SUGGESTIONS rows.
"""

import re

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Lower

from muster.accounts import permissions
from muster.accounts.models import ContractRole, User
from muster.compiled import Compiled

SUGGESTIONS = 10
TYPED_MAX = 100  # words longer than any name or email part anyone types
_LABELLED = re.compile(r"<([^<>\s]+@[^<>\s]+)>\s*$")


def words(text: str) -> str:
    return " ".join((text or "").split())


class AmongIds(Func):
    """`id IN (subquery)`, on PostgreSQL `id = ANY(ARRAY(subquery))`: the subquery (here
    the COR roles, found by their partial index; a contract's roster in access.queries)
    runs first, once, and the people are then read by primary key. With IN, PostgreSQL's
    estimate of `icontains` sends it through the whole users table instead (130,000 rows;
    5 of them matched, in 250 ms). `field`, another column holding such ids (a foreign
    key): the contract search's organizations, where an IN inside an OR kept PostgreSQL
    from using the other terms' indexes."""

    output_field = BooleanField()
    template = "%(expressions)s"
    arg_joiner = " IN "

    def __init__(self, ids: QuerySet, field: str = "pk"):
        super().__init__(F(field), Subquery(ids))

    def as_postgresql(self, compiler, connection, **extra_context):
        # "pk = ANY(ARRAY(SELECT …))": the subquery compiles with its own parentheses.
        sql, params = self.as_sql(compiler, connection, arg_joiner=" = ANY(ARRAY", **extra_context)
        return f"{sql})", params


def _cor_roles(user) -> QuerySet:
    """The COR roles on the contracts this person may see (every one for None)."""
    roles = ContractRole.objects.filter(role=ContractRole.Role.COR)
    if user is not None and not (user.is_authenticated and permissions.sees_every_contract(user)):
        roles = roles.filter(contract__in=permissions.visible_contracts(user))
    return roles.order_by()


def cor_holders(user) -> QuerySet:
    """The people holding a COR role on a contract this person may see (every COR for
    None: the form without a person)."""
    return User.objects.filter(AmongIds(_cor_roles(user).values("user_id").distinct()))


def _holder(users: QuerySet, user) -> QuerySet:
    return (users.filter(Exists(_cor_roles(user).filter(user_id=OuterRef("pk"))))
            .only("pk", "full_name", "email").order_by("pk")[:1])


# cor_holder for those who see every contract, by id or by email: queries built once per
# process (building one was 2,600 of the list's Python calls when filtered by a COR).
_HOLDER = {"pk": Compiled(lambda pk: _holder(User.objects.filter(pk=pk), None), pk=int),
           "email": Compiled(lambda email: _holder(User.objects.filter(email=email), None),
                             email=str)}


def cor_holder(user, **lookup) -> User | None:
    """The one person matching `lookup` (an id, an email) among cor_holders(user), or None:
    that person is read first and then their COR roles looked up (issue 17: the list by a
    COR's id read every COR's id to find one, 26 ms on the bench data)."""
    (field, value), = lookup.items()
    if user is None or (user.is_authenticated and permissions.sees_every_contract(user)):
        found = _HOLDER[field].objects(**{field: value})
    else:
        found = list(_holder(User.objects.filter(**lookup), user))
    return found[0] if found else None  # type: ignore[return-value]


def matching(queryset: QuerySet, text: str) -> QuerySet:
    return queryset.filter(Q(full_name__icontains=text) | Q(email__icontains=text))


def matching_cors(text: str) -> QuerySet:
    """Every COR (of any contract) whose name or email contains the words: the list's
    filter by words (the list itself keeps to the contracts the person sees)."""
    return matching(cor_holders(None), text)


def label(cor: User) -> str:
    """What the field shows for one COR, and a suggestion's value: it filters by them alone."""
    return f"{cor.full_name} <{cor.email}>"


def labelled_email(text: str) -> str | None:
    """The email of "Name <email>" (a label), else None."""
    found = _LABELLED.search(text)
    return found.group(1) if found else None


def as_id(text: str) -> int | None:
    """A COR's id as saved views hold it (ASCII digits that fit a database integer)."""
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


def suggestions(user, typed: str) -> list[User]:
    """At most SUGGESTIONS CORs this person may see whose name or email contains the words,
    those whose name starts with them first, then by name."""
    text = words(typed[: TYPED_MAX * 2])[:TYPED_MAX]
    if not text:
        return []
    starts = Case(
        When(full_name__istartswith=text, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return list(
        matching(cor_holders(user), text)
        .only("pk", "full_name", "email")
        .order_by(starts, Lower("full_name"), "pk")[:SUGGESTIONS]
    )
