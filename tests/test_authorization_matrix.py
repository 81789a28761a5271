"""The authorization matrix: every URL the project defines, as every role, over HTTP.

The URLs come from the URL resolver, so a new page is in the matrix as soon as it has a
route, and fails until PAGES says how to fill its address and who may open it. Each URL is
visited for contract A (the first COR's side) and, when it names an object, for contract B
(another COR's and contractor's side, with the same kinds of objects) as:

- signed out, the COR, POC, SO, SPOC and a contractor user of A, the COR of B, the
  onboarding team, the team lead, an administrator (team role), the lead of a service A
  requests, the lead of a service only B requests, and an outsider with no role;

and each answer is checked against PAGES (200, 302 within the flow, 403, 404, 405; signed
out: the sign-in page, except the calendar feeds whose private token is the key). Every
answer is also checked for the other side's data (names, contract numbers, people's
email addresses) when the person has no role there; a GET or HEAD must change nothing;
every state-changing URL refuses a POST from a role that may not act, and a POST without a
CSRF token from one that may, with nothing changed.

The world is built once for the module (tests/matrix/world.py) inside a transaction that
is rolled back at the end; each test runs in a savepoint of it.
"""

import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import time_machine
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern

from tests.factories import contract_form_data
from tests.matrix.fingerprint import changes, fingerprint
from tests.matrix.world import build_world

pytestmark = pytest.mark.django_db

SIGNED_OUT = "signed_out"
ROLES = [
    SIGNED_OUT, "cor", "poc", "so", "spoc", "contractor_user", "other_cor",
    "onboarding_team", "team_lead", "administrator", "sas_lead", "confluence_lead", "outsider",
]
SIGNED_IN = ROLES[1:]

# Roles as contract A sees them.
PARTIES = frozenset({"cor", "poc", "so", "spoc"})
TEAM = frozenset({"onboarding_team", "team_lead", "administrator"})
VIEW = PARTIES | TEAM | {"sas_lead"}  # who may open contract A's pages at all
ROSTER = frozenset({"so", "spoc", "cor"}) | TEAM
WELCOME = PARTIES | TEAM
# On contract B each visitor plays the role that matches on A: B's COR is "the COR", the
# Confluence lead leads a service B requests, and A's people are outsiders there.
ON_B = {
    "cor": "outsider", "poc": "outsider", "so": "outsider", "spoc": "outsider",
    "contractor_user": "outsider", "other_cor": "cor",
    "sas_lead": "confluence_lead", "confluence_lead": "sas_lead",
}
B_VISITORS = ["cor", "poc", "so", "spoc", "contractor_user", "other_cor", "sas_lead",
              "confluence_lead", "outsider"]
A_PEOPLE = ["cor", "poc", "so", "spoc", "contractor_user"]


def as_b(role: str | None, side: str) -> str | None:
    """The visitor who plays on B the role `role` plays on A (None: B's POC, SO and SPOC
    do not visit)."""
    if side == "A" or role is None:
        return role
    if role in A_PEOPLE and role != "cor":
        return None
    return {"cor": "other_cor", "sas_lead": "confluence_lead"}.get(role, role)


# Who holds any role on each side (whose data they may be shown).
HAS_ROLE = {
    "A": PARTIES | TEAM | {"contractor_user", "sas_lead"},
    "B": TEAM | {"other_cor", "confluence_lead"},
}
ALLOWED = "allowed"  # a POST rule's answer for a role that may act: 200, 302 or 400
ACTED = {200, 302, 400}

Rule = Callable[[str], int | str]


def page(allowed, sees=VIEW) -> Rule:
    """A contract's page: 404 for whoever cannot see the contract, 403 for who sees it but
    may not open this page."""
    return lambda role: 200 if role in allowed else 403 if role in sees else 404


def action(allowed, sees=VIEW) -> Rule:
    return lambda role: ALLOWED if role in allowed else 403 if role in sees else 404


def team_page(allowed) -> Rule:
    return lambda role: 200 if role in allowed else 403


def team_action(allowed) -> Rule:
    return lambda role: ALLOWED if role in allowed else 403


def only(allowed, refused=404) -> Rule:
    return lambda role: 200 if role in allowed else refused


def everyone(status=200) -> Rule:
    return lambda role: status


POST_ONLY = everyone(405)


@dataclass(frozen=True)
class Page:
    """How to fill a URL's kwargs (kwarg → a contract of the side or one of its objects),
    who may GET it, and (for a state-changing URL) who may POST to it."""

    fill: dict[str, str]
    get: Rule
    post: Rule | None = None
    signed_out: int | str = "sign-in"  # what a signed-out visitor gets
    by_token: bool = False  # a calendar feed: its private token is the key, no sign-in
    head: Rule | None = None  # when HEAD does not answer as GET does
    # shell: a query string the URL is visited with (the header search's words).
    query: str = ""


C = {"pk": "main"}
DRAFT = {"pk": "draft"}
# Awarded before Muster started the request at the award: opening its intake page must
# not start one (only the COR's or POC's POST does).
UNSTARTED = {"pk": "unstarted"}

NO_PASSWORD = {"contractor_user"}


def by_password(status: int, without: int) -> Rule:
    return lambda role: without if role in NO_PASSWORD else status


PAGES: dict[str, Page] = {
    "home": Page({}, everyone()),
    # Signing in and one's own account: django-allauth's pages (muster/identity)
    "account_login": Page({}, everyone(302), signed_out=200),
    "account_logout": Page({}, everyone(), post=everyone(ALLOWED)),  # GET asks to confirm
    "identity:old_sign_in": Page({}, everyone(301), signed_out=301),
    "identity:email_not_offered": Page({}, everyone(404)),
    "account_email": Page({}, everyone(404)),  # the address above: the team keeps it
    "account_inactive": Page({}, everyone(), signed_out=200),
    "account_signup": Page({}, everyone(302), signed_out=200),  # "closed": Muster names people
    # The world's contractor user has never set a password (nothing to sign in again with).
    "account_reauthenticate": Page({}, by_password(200, 403)),
    "account_request_reauthentication_code": Page({}, by_password(302, 403)),
    "account_confirm_reauthentication_code": Page({}, everyone(302)),
    "account_email_verification_sent": Page({}, everyone(), signed_out=200),
    "account_change_password": Page({}, by_password(200, 302)),
    "account_set_password": Page({}, by_password(302, 200)),
    "account_confirm_email": Page({"key": "=not-a-key"}, everyone(), signed_out=200),
    "account_reset_password_from_key": Page({"uidb36": "=0", "key": "=not-a-key"},
                                            everyone(), signed_out=200),
    "account_reset_password": Page({}, everyone(), signed_out=200),
    "account_reset_password_done": Page({}, everyone(), signed_out=200),
    "account_reset_password_from_key_done": Page({}, everyone(), signed_out=200),
    "account_confirm_login_code": Page({}, everyone(302)),
    "mfa_index": Page({}, everyone()),
    "mfa_authenticate": Page({}, everyone(302)),
    "mfa_reauthenticate": Page({}, by_password(302, 403)),
    "mfa_activate_totp": Page({}, by_password(302, 403)),  # after signing in again (reauthenticate)
    "mfa_deactivate_totp": Page({}, everyone(404)),  # nobody here has one
    "mfa_view_recovery_codes": Page({}, everyone(404)),
    "mfa_generate_recovery_codes": Page({}, by_password(302, 403)),
    "mfa_download_recovery_codes": Page({}, everyone(404)),
    "socialaccount_login_cancelled": Page({}, everyone(), signed_out=200),
    "socialaccount_login_error": Page({}, everyone(401)),
    "socialaccount_signup": Page({}, everyone(302)),
    "socialaccount_connections": Page({}, everyone(404)),  # the address below
    "identity:connections_not_offered": Page({}, everyone(404)),
    "identity:old_connections_not_offered": Page({}, everyone(404)),
    # No OpenID provider is set up in this world: its sign-in is not found.
    "openid_connect_login": Page({"provider_id": "=agency"}, everyone(404), signed_out=404),
    "openid_connect_callback": Page({"provider_id": "=agency"}, everyone(404), signed_out=404),
    # Invitations (muster/identity/invitations.py): the link's page and the page asking for
    # a new one are open to anyone (the token, or nothing, is the key: a POST changes only
    # what the token names, so there is no "who may" to refuse); sending one again is the
    # team's for anyone named on the contract, the SO's for the roster's users.
    "identity:invitation": Page({"token": "=not-a-token"}, everyone(), signed_out=200),
    "identity:invitation_new": Page({}, everyone(), signed_out=200),
    "identity:resend_invitation": Page({**C, "user_pk": "member"}, POST_ONLY,
                                       post=action(TEAM | {"so"})),
    # Sessions and the accounts page (muster/identity: sessions.py, views/people.py). How
    # long a session has left answers anyone (signed out: "not signed in").
    "identity:session_status": Page({}, everyone(), signed_out=200),
    "identity:keep_alive": Page({}, POST_ONLY, post=everyone(ALLOWED)),
    "identity:people": Page({}, team_page(TEAM)),
    "identity:people_csv": Page({}, team_page(TEAM)),
    # Contracts
    "contracts:list": Page({}, everyone()),
    # cortype (issue 17): the list's COR suggestions, for everyone who may open the list;
    # "cor" matches both sides' CORs, and each person gets only those of contracts they see
    # (the leak check: A's people never see Birchwood's COR, nor B's Alderwood's).
    "contracts:cors": Page({}, everyone(), query="q=cor"),
    "contracts:detail": Page(C, page(VIEW)),
    "contracts:edit": Page(C, page({"onboarding_team", "administrator"}),
                           post=action({"onboarding_team", "administrator"})),
    "contracts:history": Page(C, page({"cor", "onboarding_team", "team_lead", "administrator"})),
    "contracts:step_complete": Page({**C, "step_pk": "step"}, POST_ONLY,
                                    post=action({"onboarding_team", "administrator"})),
    # Onboarding: notices and the intake form
    "onboarding:solicitation_new": Page({}, team_page({"cor", "other_cor", "onboarding_team"}),
                                        post=team_action({"cor", "other_cor",
                                                          "onboarding_team"})),
    "onboarding:award": Page(C, page({"cor"}), post=action({"cor"})),
    "onboarding:intake": Page(UNSTARTED, page({"cor", "poc", "onboarding_team"}),
                              post=action({"cor", "poc"})),
    "onboarding:intake_review": Page(DRAFT, page({"cor", "poc", "onboarding_team"}),
                                     post=action({"cor", "poc"})),
    # Before submission only the COR and POC edit the form (the team: after it).
    "onboarding:intake_screen": Page({**DRAFT, "screen": "screen"}, page({"cor", "poc"}),
                                     post=action({"cor", "poc"})),
    # Review, questions, approvals, meeting, decisions
    "onboarding:queue": Page({}, team_page(TEAM)),
    "onboarding:request": Page(C, page(VIEW)),
    "onboarding:ask_question": Page(C, POST_ONLY, post=action({"onboarding_team"})),
    "onboarding:answer_question": Page(C, POST_ONLY, post=action({"cor", "poc"})),
    "onboarding:mark_reviewed": Page(C, POST_ONLY, post=action({"onboarding_team"})),
    "onboarding:approve_as_lead": Page(C, POST_ONLY, post=action({"team_lead"})),
    "onboarding:lead_return": Page(C, POST_ONLY, post=action({"team_lead"})),
    "onboarding:withdraw": Page(C, POST_ONLY, post=action({"cor"})),
    "onboarding:cancel": Page(C, POST_ONLY, post=action({"onboarding_team"})),
    "onboarding:reopen": Page(C, POST_ONLY, post=action({"onboarding_team"})),
    "onboarding:meeting": Page({"pk": "meeting"}, page({"onboarding_team"}),
                               post=action({"onboarding_team"})),
    "onboarding:decisions": Page({}, team_page({"sas_lead", "confluence_lead"})),
    "onboarding:decide": Page({"item_pk": "item"}, POST_ONLY, post=action({"sas_lead"})),
    # Welcome package, calls, survey
    "onboarding:packages": Page(C, page(WELCOME)),
    "onboarding:send_package": Page(C, POST_ONLY, post=action({"onboarding_team"})),
    "onboarding:package": Page({**C, "version": "version"}, page(WELCOME)),
    "onboarding:package_print": Page({**C, "version": "version"}, page(WELCOME)),
    "onboarding:package_pdf": Page({**C, "version": "version"}, page(WELCOME)),
    "onboarding:retry_package": Page({**C, "version": "version"}, POST_ONLY,
                                     post=action({"onboarding_team"})),
    "onboarding:calls": Page(C, page(VIEW), post=action({"cor", "onboarding_team"})),
    "onboarding:call_document": Page({**C, "call_pk": "call", "doc_pk": "doc"}, page(VIEW)),
    "onboarding:survey": Page(C, page({"poc", "so", "spoc"}),
                              post=action({"poc", "so", "spoc"})),
    "onboarding:surveys": Page({}, team_page(TEAM)),
    # Notifications: a person's own emails; the outbox for the team
    "notifications:mine": Page({}, everyone()),
    # The closeout notice goes to the COR, copied to the onboarding team.
    "notifications:detail": Page({"pk": "email"}, only({"cor", "onboarding_team"})),
    "notifications:outbox": Page({}, team_page({"onboarding_team", "administrator"})),
    "notifications:retry": Page({"pk": "email"}, POST_ONLY,
                                post=team_action({"onboarding_team", "administrator"})),
    # Access: roster, grants, CSV, DUAs, additional services
    "access:roster": Page(C, page(ROSTER)),
    "access:add_user": Page(C, page({"so"}), post=action({"so"})),
    "access:import": Page(C, page({"so"}), post=action({"so"})),
    "access:import_preview": Page({**C, "import_pk": "import"}, page({"so"}),
                                  post=action({"so"})),
    "access:export": Page(C, page(ROSTER)),
    "access:member": Page({**C, "user_pk": "member"}, page(ROSTER)),
    "access:remove_user": Page({**C, "user_pk": "member"}, POST_ONLY, post=action({"so"})),
    # The SO starts their users' EUA checks; the onboarding team sees them complete.
    "access:eua_check": Page({**C, "user_pk": "member"}, POST_ONLY,
                             post=action({"so", "onboarding_team"})),
    "access:grant": Page(C, POST_ONLY, post=action({"so"})),
    "access:confirm_grant": Page({**C, "grant_pk": "grant_requested"}, POST_ONLY,
                                 post=action({"onboarding_team", "sas_lead"})),
    "access:revoke_grant": Page({**C, "grant_pk": "grant_active"}, POST_ONLY,
                                post=action({"so"})),
    "access:mine": Page({}, everyone()),
    "access:pending": Page({}, team_page({"onboarding_team", "sas_lead", "confluence_lead"})),
    "access:dua": Page(C, page(VIEW)),
    "access:dua_upload": Page(C, POST_ONLY, post=action({"so", "cor", "onboarding_team"})),
    "access:dua_invalidate": Page({**C, "dua_pk": "dua"}, POST_ONLY,
                                  post=action({"cor", "onboarding_team"})),
    "access:dua_document": Page({**C, "dua_pk": "dua"}, page(VIEW)),
    "access:request_service": Page(C, page(PARTIES), post=action(PARTIES)),
    "access:service_requests": Page({}, everyone()),
    # Past the COR's approval: the parties, the team, and whoever sees the contract.
    "access:service_request": Page({"req_pk": "req"}, page(VIEW),
                                   post=action({"onboarding_team"})),
    "access:cor_decision": Page({"req_pk": "req"}, POST_ONLY, post=action({"cor"})),
    # Only a lead of the requested service (Slack: no visitor leads it) decides.
    "access:lead_decision": Page({"req_pk": "req"}, POST_ONLY, post=action(set())),
    "access:withdraw_service_request": Page({"req_pk": "req"}, POST_ONLY,
                                            post=action({"cor"})),
    "access:cancel_service_request": Page({"req_pk": "req"}, POST_ONLY,
                                          post=action({"onboarding_team"})),
    "access:reopen_service_request": Page({"req_pk": "req"}, POST_ONLY,
                                          post=action({"onboarding_team"})),
    # Closeout and calendar feeds
    "closeout:closeout": Page(C, page(VIEW)),
    "closeout:scenario": Page({**C, "scenario": "scenario"}, page({"cor"}),
                              post=action({"cor"})),
    "closeout:confirm_removal": Page(C, POST_ONLY, post=action({"onboarding_team"})),
    "closeout:archive": Page(C, POST_ONLY, post=action({"onboarding_team"})),
    "closeout:new_contract": Page(C, POST_ONLY, post=action({"onboarding_team"})),
    "closeout:undo_reaward": Page(C, POST_ONLY, post=action({"onboarding_team"})),
    "closeout:sweeps": Page({}, team_page(TEAM)),
    "closeout:calendar": Page({}, everyone(), post=everyone(ALLOWED)),
    "closeout:person_feed": Page({"token": "token"}, everyone(), signed_out=200,
                                 by_token=True),
    "closeout:contract_feed": Page({"token": "token", **C}, everyone(), signed_out=200,
                                   by_token=True),
    # Probes and metrics (muster/operations): open to anyone, machines' answers that name no
    # one and write nothing. /readyz is 503 here: no worker ever beat in this world.
    # /metrics needs METRICS_TOKEN, unset here: there is no such page.
    "healthz": Page({}, everyone(), signed_out=200),
    "readyz": Page({}, everyone(503), signed_out=503),
    "metrics": Page({}, everyone(404), signed_out=404),
    # Bulk grant actions (issue 14, bulk): confirming the selected rows of the access to
    # confirm (who may see that list; each grant is then checked as the single action
    # checks it), revoking the selected grants of a roster (its SO).
    "access:confirm_grants": Page({}, POST_ONLY,
                                  post=team_action({"onboarding_team", "sas_lead",
                                                    "confluence_lead"})),
    "access:revoke_grants": Page(C, POST_ONLY, post=action({"so"})),
    # work (issue 14): My work and the filtered list for the team and the service leads (a
    # lead's own services' items), the dashboard for the team; an item's assignment page and
    # actions: a grant of A's service (its lead may take it), A's onboarding request waiting
    # for its meeting (only the team and its lead give work out), A's closeout (nobody has it:
    # the team and its lead may try, and are told so).
    "work:mine": Page({}, team_page(TEAM | {"sas_lead", "confluence_lead"})),
    "work:dashboard": Page({}, team_page(TEAM)),
    "work:items": Page({}, team_page(TEAM | {"sas_lead", "confluence_lead"})),
    "work:item": Page({"kind": "=grant", "item_pk": "grant_requested"},
                      page(TEAM | {"sas_lead"})),
    "work:take": Page({"kind": "=grant", "item_pk": "grant_requested"}, POST_ONLY,
                      post=action({"onboarding_team", "team_lead", "sas_lead"})),
    "work:assign": Page({"kind": "=onboarding", "item_pk": "work_onboarding"}, POST_ONLY,
                        post=action({"onboarding_team", "team_lead"})),
    "work:unassign": Page({"kind": "=closeout", "item_pk": "work_closeout"}, POST_ONLY,
                          post=action({"onboarding_team", "team_lead"})),
    # reports (issue 14): the metrics page, and each table's CSV and chart, for the team
    "reports:metrics": Page({}, team_page(TEAM)),
    "reports:metric_csv": Page({"name": "=grants"}, team_page(TEAM)),
    "reports:metric_svg": Page({"name": "=closeouts"}, team_page(TEAM)),
    # shell (issue 14): the header's menu page, notifications' read state, saved views of
    # the contract list (only their owner: the side's COR), and the header search, run
    # with words that match both sides' contracts, people and requests ("wood": Alderwood,
    # Birchwood), so a person with no role on B must see none of B's.
    "menu": Page({}, everyone()),
    "notifications:mark_read": Page({"pk": "email"}, POST_ONLY,
                                    post=lambda role: ALLOWED if role in {"cor",
                                                                          "onboarding_team"}
                                    else 404),
    "notifications:mark_all_read": Page({}, POST_ONLY, post=everyone(ALLOWED)),
    "contracts:saved_views": Page({}, everyone(), post=everyone(ALLOWED)),
    "contracts:rename_view": Page({"view_pk": "saved_view"}, POST_ONLY,
                                  post=lambda role: ALLOWED if role == "cor" else 404),
    "contracts:delete_view": Page({"view_pk": "saved_view"}, POST_ONLY,
                                  post=lambda role: ALLOWED if role == "cor" else 404),
    "search:results": Page({}, everyone(), query="q=wood"),
    # apiproof (issue 15): the API's documentation, for everyone signed in (anyone may
    # make a token); it names no one and no contract.
    "api_pages:docs": Page({}, everyone()),
}


def _version(world, side, key="main"):
    return world.sides[side].contracts[key].onboarding_request.version


def _req_version(world, side):
    from muster.access.models import AdditionalServiceRequest

    return AdditionalServiceRequest.objects.get(pk=world.sides[side].objects["req"]).version


# What a POST sends: a valid form where it is cheap to make one, so a refusal is the
# authorization's and not the form's (an empty form is fine for the rest).
POST_DATA: dict[str, Callable] = {
    "contracts:edit": lambda w, s: contract_form_data(w.sides[s].contracts["main"],
                                                      name="Forged"),
    "contracts:step_complete": lambda w, s: {"note": "Forged"},
    "onboarding:intake_review": lambda w, s: {"version": _version(w, s, "draft")},
    "onboarding:ask_question": lambda w, s: {"text": "Forged?", "version": _version(w, s)},
    "onboarding:answer_question": lambda w, s: {"answer": "Forged", "version": _version(w, s)},
    "onboarding:mark_reviewed": lambda w, s: {"version": _version(w, s)},
    "onboarding:approve_as_lead": lambda w, s: {"version": _version(w, s)},
    "onboarding:decide": lambda w, s: {"decision": "deny", "reason": "Forged"},
    "onboarding:lead_return": lambda w, s: {"decision": "reject", "reason": "Forged",
                                            "version": _version(w, s)},
    "onboarding:withdraw": lambda w, s: {"reason": "Forged", "version": _version(w, s)},
    "onboarding:cancel": lambda w, s: {"reason": "Forged", "version": _version(w, s)},
    "onboarding:reopen": lambda w, s: {"reason": "Forged", "version": _version(w, s)},
    "onboarding:send_package": lambda w, s: {"kind": "initial"},
    "onboarding:retry_package": lambda w, s: {},
    "onboarding:survey": lambda w, s: {"satisfaction": 1, "went_well": "x", "to_improve": "x"},
    "notifications:retry": lambda w, s: {},
    "access:grant": lambda w, s: {"user": w.sides[s].objects["member"], "service": ""},
    "access:import_preview": lambda w, s: {"action": "discard"},
    "access:eua_check": lambda w, s: {"eua_check": "complete"},
    "access:dua_invalidate": lambda w, s: {"reason": "Forged"},
    "access:service_request": lambda w, s: {"version": _req_version(w, s)},
    "access:cor_decision": lambda w, s: {"decision": "decline", "note": "Forged",
                                         "version": _req_version(w, s)},
    "access:lead_decision": lambda w, s: {"decision": "deny", "reason": "Forged",
                                          "version": _req_version(w, s)},
    "access:withdraw_service_request": lambda w, s: {"reason": "Forged",
                                                     "version": _req_version(w, s)},
    "access:cancel_service_request": lambda w, s: {"reason": "Forged",
                                                   "version": _req_version(w, s)},
    "access:reopen_service_request": lambda w, s: {"reason": "Forged",
                                                   "version": _req_version(w, s)},
    # Bulk grant actions (issue 14, bulk)
    "access:confirm_grants": lambda w, s: {"grant": w.sides[s].objects["grant_requested"]},
    "access:revoke_grants": lambda w, s: {"grant": w.sides[s].objects["grant_active"]},
    "closeout:confirm_removal": lambda w, s: {"note": "Forged"},
    "closeout:archive": lambda w, s: {"note": "Forged"},
    "closeout:undo_reaward": lambda w, s: {"reason": "Forged"},
    "closeout:calendar": lambda w, s: {"action": "revoke"},
    # work (issue 14): give the item to the onboarding team member.
    "work:assign": lambda w, s: {"assignee": w.users["onboarding_team"].pk},
    # shell
    "contracts:saved_views": lambda w, s: {"name": "Forged view", "query": "stage=closing"},
    "contracts:rename_view": lambda w, s: {"name": "Forged"},
}


# --- conversation (issue 14): the threads' pages and an internal note's attachment --------
# Whoever sees the contract (or the request) reads and writes its thread, the contractor
# user does not; the world's attachment is on an internal note: the team's only.
PAGES.update({
    "conversation:contract": Page(C, page(VIEW), post=action(VIEW)),
    "conversation:onboarding_request": Page(C, page(VIEW), post=action(VIEW)),
    "conversation:service_request": Page({"req_pk": "req"}, page(VIEW), post=action(VIEW)),
    "conversation:attachment": Page({**C, "attachment_pk": "attachment"}, page(TEAM)),
})
# --- api (issue 15): a person's own API tokens and the team's provisioning clients --------
# Everyone signed in has a tokens page. Making a token asks to confirm it is you first (no
# recent sign-in here): the password page (302); the contractor user, who has no password,
# is asked to sign in again (200). Only a token's owner (the side's COR) may revoke it.
# Provisioning clients are the team's (its new-token page, too, asks for the password).
PAGES.update({
    "api_pages:tokens": Page({}, everyone()),
    "api_pages:new_token": Page({}, by_password(302, 200), post=everyone(ALLOWED)),
    "api_pages:revoke_token": Page({"pk": "api_token"}, only({"cor"}),
                                   post=lambda role: ALLOWED if role == "cor" else 404),
    "api_pages:clients": Page({}, team_page(TEAM)),
    "api_pages:new_client": Page({}, lambda role: 302 if role in TEAM else 403,
                                 post=team_action(TEAM)),
    "api_pages:revoke_client": Page({"pk": "client_token"}, team_page(TEAM),
                                    post=team_action(TEAM)),
})
POST_DATA.update({
    "api_pages:new_token": lambda w, s: {"name": "Forged", "scope": "read", "expiry": "30"},
    "api_pages:new_client": lambda w, s: {"name": "Forged", "expiry": "30"},
})


POST_DATA.update({
    "conversation:contract": lambda w, s: {"body": "Forged", "visibility": "shared"},
    "conversation:onboarding_request": lambda w, s: {"body": "Forged", "visibility": "shared"},
    "conversation:service_request": lambda w, s: {"body": "Forged", "visibility": "shared"},
})


# --- webhooks (issue 15): the team's endpoints and deliveries (each side has one of each) --
WEBHOOK = {"pk": "webhook_endpoint"}
WEBHOOK_DELIVERY = {"pk": "webhook_delivery"}
PAGES.update({
    "webhooks:endpoints": Page({}, team_page(TEAM)),
    "webhooks:endpoint_new": Page({}, team_page(TEAM), post=team_action(TEAM)),
    "webhooks:endpoint": Page(WEBHOOK, team_page(TEAM)),
    "webhooks:endpoint_edit": Page(WEBHOOK, team_page(TEAM), post=team_action(TEAM)),
    "webhooks:endpoint_active": Page(WEBHOOK, POST_ONLY, post=team_action(TEAM)),
    "webhooks:endpoint_rotate": Page(WEBHOOK, POST_ONLY, post=team_action(TEAM)),
    "webhooks:endpoint_delete": Page(WEBHOOK, team_page(TEAM), post=team_action(TEAM)),
    "webhooks:delivery": Page(WEBHOOK_DELIVERY, team_page(TEAM)),
    "webhooks:delivery_replay": Page(WEBHOOK_DELIVERY, POST_ONLY, post=team_action(TEAM)),
})
_WEBHOOK_FORM = {"url": "https://hooks.example.org/forged", "description": "Forged",
                 "event_types": ["grant.revoked"]}
POST_DATA.update({
    "webhooks:endpoint_new": lambda w, s: _WEBHOOK_FORM,
    "webhooks:endpoint_edit": lambda w, s: _WEBHOOK_FORM,
    "webhooks:endpoint_active": lambda w, s: {"active": "0"},
})


# --- reconciliation (issue 16): the team's findings about every contract, and their CSV --
PAGES.update({
    "reconciliation:findings": Page({}, team_page(TEAM)),
    "reconciliation:findings_csv": Page({}, team_page(TEAM)),
})


# --- evidence for auditors (issue 16): a contract's package; GET explains it, POST is the
# download (audited). The COR and the team, as Action.EXPORT_EVIDENCE says.
EVIDENCE = frozenset({"cor"}) | TEAM
PAGES.update({
    "evidence:package": Page(C, page(EVIDENCE), post=action(EVIDENCE)),
})


# --- recertification (issue 16): the team's campaigns, and each contract's page in one, where
# its SO decides (the team reads it). Each side has a campaign over its main contract.
CAMPAIGN = {"pk": "campaign"}
IN_CAMPAIGN = {"campaign": "campaign", **C}
PAGES.update({
    "recertification:campaigns": Page({}, team_page(TEAM)),
    "recertification:campaign_new": Page({}, team_page(TEAM), post=team_action(TEAM)),
    "recertification:campaign": Page(CAMPAIGN, team_page(TEAM)),
    "recertification:export_csv": Page(CAMPAIGN, team_page(TEAM)),
    "recertification:export_pdf": Page(CAMPAIGN, team_page(TEAM)),
    "recertification:contract": Page(IN_CAMPAIGN, page(TEAM | {"so"})),
    "recertification:decide": Page(IN_CAMPAIGN, POST_ONLY, post=action({"so"})),
})
POST_DATA.update({
    "recertification:decide": lambda w, s: {"one": f"{w.sides[s].objects['campaign_item']}:keep"},
})


def internal_note_leaks(viewer: str, text: str) -> bool:
    """An internal note's words on a page shown to anyone outside the team."""
    from tests.matrix.world import INTERNAL_MARKER

    return viewer not in TEAM and INTERNAL_MARKER.lower() in text.lower()


def test_the_internal_note_the_leak_check_looks_for_is_on_the_teams_pages(world):
    """The check above is not vacuous: the team reads the note where the COR does not."""
    from tests.matrix.world import INTERNAL_MARKER

    url = url_of(world, "conversation:contract", "A")
    assert INTERNAL_MARKER in body_of(world.clients["onboarding_team"].get(url))
    shown_to_cor = body_of(world.clients["cor"].get(url))
    assert "Alderwood comment" in shown_to_cor and INTERNAL_MARKER not in shown_to_cor


def post_data(world, name: str, side: str) -> dict:
    make = POST_DATA.get(name)
    return make(world, side) if make else {}


# --- The URLs the project defines --------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: frozenset[str]


def _walk(patterns, namespace="", converters=frozenset()):
    for entry in patterns:
        found = converters | frozenset(getattr(entry.pattern, "converters", {}))
        if isinstance(entry.pattern, RegexPattern):
            found |= frozenset(entry.pattern.regex.groupindex)  # re_path's named groups
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # Django's admin: tests/test_authorization.py, and below
            if entry.namespace in ("api", "scim"):
                continue  # reached by token, not session: tests/api's own matrix
            space = entry.namespace or ""
            yield from _walk(entry.url_patterns,
                             f"{namespace}{space}:" if space else namespace, found)
        elif isinstance(entry, URLPattern):
            yield Route(f"{namespace}{entry.name or '<unnamed ' + str(entry.pattern) + '>'}",
                        found)


def project_routes() -> list[Route]:
    routes = list(_walk(get_resolver().url_patterns))
    # django-allauth repeats its third-party pages, unnamed, under an older prefix.
    return [r for r in routes
            if not r.name.startswith(("static", "media", "<unnamed social/"))]


ROUTES = project_routes()


def cases():
    """(route, side): a URL that names an object is visited for both sides."""
    for route in ROUTES:
        sides = ["A", "B"] if route.kwargs else ["A"]
        for side in sides:
            yield route, side


CASES = list(cases())


def _id(route, side, role=None):
    return f"{route.name}[{side}]" + (f"-{role}" if role else "")


# --- The world, and a signed-in client per role ------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("matrix-media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The clock stands still for the module: a signed-in request writes its session only
    # to note activity a minute after the last (muster/identity/sessions.py), and a GET
    # here must write nothing.
    with time_machine.travel(datetime.datetime.now(datetime.UTC), tick=False), \
            override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast), \
            django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        built.media = media
        built.clients = {}
        for role in ROLES:
            client = Client()
            if role != SIGNED_OUT:
                client.force_login(built.users[role])
            built.clients[role] = client
        yield built
        transaction.set_rollback(True)


# tests/conftest.py's autouse fixtures set fast hashing and a MEDIA_ROOT per test; here the
# world's override_settings does both for the whole module (its files stay where it put
# them), and skipping the per-test settings changes and folders keeps ~2,000 cases fast.
@pytest.fixture(autouse=True)
def _fast_password_hashing():
    pass


@pytest.fixture(autouse=True)
def _accounts_never_unused_where_a_test_does_not_ask():
    pass  # no sweep runs here


@pytest.fixture(autouse=True)
def _media_in_tmp():
    pass


def url_of(world, name: str, side: str, **overrides) -> str:
    entry = PAGES[name]
    kwargs = {}
    for kwarg, key in entry.fill.items():
        source = world.sides[overrides.get(kwarg, side)]
        if key.startswith("="):  # a value as it is
            kwargs[kwarg] = key[1:]
        elif key in source.contracts:
            kwargs[kwarg] = source.contracts[key].pk
        else:
            kwargs[kwarg] = source.objects[key]
    url = reverse(name, kwargs=kwargs)
    return f"{url}?{entry.query}" if entry.query else url


def as_on(role: str, side: str) -> str:
    """The role a visitor plays on this side, in PAGES' terms (written for side A)."""
    return ON_B.get(role, role) if side == "B" else role


def expected_get(entry: Page, role: str, side: str):
    if role == SIGNED_OUT:
        return entry.signed_out
    return entry.get(as_on(role, side))


def expected_post(entry: Page, role: str, side: str):
    if role == SIGNED_OUT:
        return "sign-in"
    return entry.post(as_on(role, side))


# --- Reading answers --------------------------------------------------------------------


TEXT_TYPES = ("text/", "application/json")


def body_of(response) -> str:
    # The test client closes a streamed file once read (closing the response again here
    # would fire request_finished, which closes the database connection).
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if not response.get("Content-Type", "").startswith(TEXT_TYPES):
        return ""
    return data.decode("utf-8", errors="replace")


def leaks(world, viewer: str, text: str) -> list[str]:
    """The other side's markers in a page shown to a person with no role there."""
    found = []
    low = text.lower()
    for label, side in world.sides.items():
        if viewer in HAS_ROLE[label]:
            continue
        found += [f"{label}: {m}" for m in side.markers if m.lower() in low]
    return found


def answer_matches(response, want) -> bool:
    if want == "sign-in":
        return response.status_code == 302 and response.url.startswith("/accounts/login/")
    if want == ALLOWED:
        return response.status_code in ACTED
    return response.status_code == want


def describe(response) -> str:
    where = f" → {response.url}" if response.status_code in (301, 302) else ""
    return f"{response.status_code}{where}"


# --- 1. Every URL has an entry ----------------------------------------------------------


def test_every_url_of_the_project_is_in_the_table():
    names = {route.name for route in ROUTES}
    assert len(names) == len(ROUTES), "two URL patterns share a name"
    missing = sorted(names - PAGES.keys())
    assert not missing, f"URLs with no entry in PAGES (say who may open them): {missing}"
    stale = sorted(PAGES.keys() - names)
    assert not stale, f"PAGES names URLs that no longer exist: {stale}"
    for route in ROUTES:
        assert set(PAGES[route.name].fill) == set(route.kwargs), (
            f"{route.name}: the URL takes {sorted(route.kwargs)}, "
            f"PAGES fills {sorted(PAGES[route.name].fill)}"
        )


def test_the_matrix_covers_the_whole_project():
    """Guards the enumeration itself: the apps' URLs are all found, with their kwargs."""
    names = {route.name for route in ROUTES}
    for expected in ("home", "contracts:detail", "onboarding:intake_screen", "access:member",
                     "notifications:retry", "closeout:contract_feed", "account_login"):
        assert expected in names
    assert not any(name.startswith("admin:") for name in names)
    assert len(ROUTES) >= 60
    kwargs = {route.name: route.kwargs for route in ROUTES}
    assert kwargs["onboarding:call_document"] == {"pk", "call_pk", "doc_pk"}


# --- 2 and 3. GET and HEAD as every role; nobody sees the other side's data ---------------


def _entry(name: str) -> Page:
    if name not in PAGES:
        pytest.fail(f"{name} has no entry in PAGES: add how to fill its URL and who may "
                    "open it")
    return PAGES[name]


def visit_cases():
    """(route, side, role): on B, the visitors whose standing differs from A's (the team
    sees both alike, and signed out is the same everywhere)."""
    for route, side in CASES:
        for role in ROLES if side == "A" else B_VISITORS:
            yield pytest.param(route, side, role, id=_id(route, side, role))


def check_answer(world, method, url, role, side, entry, response, want):
    text = body_of(response)
    assert answer_matches(response, want), (
        f"{method} {url} as {role}: {describe(response)}, expected {want}")
    viewer = role
    if entry.by_token:
        viewer = "cor" if side == "A" else "other_cor"  # a feed shows its token's owner's
    leaked = leaks(world, viewer, text)
    assert not leaked, f"{method} {url} as {role} shows the other side's data: {leaked}"
    assert not internal_note_leaks(viewer, text), f"{method} {url} as {role}: an internal note"
    if response.status_code in (403, 404, 405):
        assert "<h1" in text, (f"{method} {url} as {role}: the {response.status_code} is not "
                               "the site's error page")
    if response.status_code in (403, 404):
        named = named_contracts(world, text)
        assert not named, (f"{method} {url} as {role}: the {response.status_code} names "
                           f"{named}")
    return text


def named_contracts(world, text: str) -> list[str]:
    """The names and numbers of the world's contracts a page shows (a refusal shows none,
    even to a person with a role on the contract)."""
    low = text.lower()
    return [value for side in world.sides.values() for contract in side.contracts.values()
            for value in (contract.name, contract.contract_number) if value.lower() in low]


@pytest.mark.parametrize(("route", "side", "role"), list(visit_cases()))
def test_get(world, route, side, role):
    entry = _entry(route.name)
    url = url_of(world, route.name, side)
    before = fingerprint()

    response = world.clients[role].get(url)

    check_answer(world, "GET", url, role, side, entry, response,
                 expected_get(entry, role, side))
    assert changes(before, fingerprint()) == [], f"GET {url} as {role} changed data"


def head_cases():
    """HEAD answers as GET does, without a body, and changes nothing: every role, as for
    GET (test_get's visit_cases)."""
    for route, side in CASES:
        for role in ROLES if side == "A" else B_VISITORS:
            yield pytest.param(route, side, role, id=_id(route, side, role))


@pytest.mark.parametrize(("route", "side", "role"), list(head_cases()))
def test_head(world, route, side, role):
    entry = _entry(route.name)
    url = url_of(world, route.name, side)
    want = expected_get(entry, role, side)
    if entry.head is not None and role != SIGNED_OUT:
        want = entry.head(as_on(role, side))
    before = fingerprint()

    response = world.clients[role].head(url)

    assert answer_matches(response, want), (
        f"HEAD {url} as {role}: {describe(response)}, expected {want}")
    assert not body_of(response)
    assert changes(before, fingerprint()) == [], f"HEAD {url} as {role} changed data"


# --- 4. State-changing requests: POST only, by who may, with a CSRF token ------------------


ACTIONS = [(r, s) for r, s in CASES if r.name in PAGES and PAGES[r.name].post is not None]


def post_cases():
    """Every role on A; on B, A's own people (another contract's parties must not act)."""
    for route, side in ACTIONS:
        for role in ROLES if side == "A" else A_PEOPLE:
            yield pytest.param(route, side, role, id=_id(route, side, role))


def signed_in_client(world, role, **options) -> Client:
    client = Client(**options)
    if role != SIGNED_OUT:
        client.force_login(world.users[role])
    return client


@pytest.mark.parametrize(("route", "side", "role"), list(post_cases()))
def test_post(world, route, side, role):
    """A role that may not act is refused and nothing changes; one that may gets a page,
    a form with errors or a redirect (never an error page)."""
    entry = PAGES[route.name]
    url = url_of(world, route.name, side)
    want = expected_post(entry, role, side)
    client = signed_in_client(world, role)  # signing in writes its session: before measuring
    before = fingerprint()

    response = client.post(url, post_data(world, route.name, side))

    check_answer(world, "POST", url, role, side, entry, response, want)
    if want != ALLOWED:
        assert changes(before, fingerprint()) == [], f"a refused POST {url} as {role} changed data"


def actor(entry: Page) -> str | None:
    return next((r for r in SIGNED_IN if entry.post and entry.post(r) == ALLOWED), None)


CSRF_FAILURE = "CSRF"


@pytest.mark.parametrize(("route", "side"), CASES, ids=[_id(r, s) for r, s in CASES])
def test_post_without_csrf_token_is_refused(world, route, side):
    """Any POST without the token is refused before the view runs, even from a person who
    may act; with the token the same POST goes through (the token was all it lacked)."""
    entry = _entry(route.name)
    url = url_of(world, route.name, side)
    role = as_b(actor(entry), side) if entry.post else None
    client = signed_in_client(world, role or ("cor" if side == "A" else "other_cor"),
                              enforce_csrf_checks=True)
    before = fingerprint()

    refused = client.post(url, {})

    assert refused.status_code == 403, f"POST {url} as {role} without a token: {describe(refused)}"
    assert CSRF_FAILURE in body_of(refused)
    assert changes(before, fingerprint()) == [], f"POST {url} without a token changed data"
    if entry.post is None or role is None:
        return
    secret = secrets.token_hex(16)
    client.cookies["csrftoken"] = secret
    accepted = client.post(url, {**post_data(world, route.name, side),
                                 "csrfmiddlewaretoken": secret})
    assert accepted.status_code in ACTED, (
        f"POST {url} as {role} with a token: {describe(accepted)}")


# --- Another contract's object through this contract's address -----------------------------


def mixed_cases():
    """URLs naming a contract and one of its objects: the object is taken from B."""
    for route, side in CASES:
        entry = PAGES.get(route.name)
        if side != "A" or entry is None or "pk" not in entry.fill:
            continue
        objects = [k for k, key in entry.fill.items()
                   if k != "pk" and key not in ("version", "scenario", "screen", "token")]
        if objects and entry.fill["pk"] != "email":
            yield pytest.param(route, objects, id=route.name)


@pytest.mark.parametrize(("route", "kwargs"), list(mixed_cases()))
def test_an_object_of_another_contract_is_not_found(world, route, kwargs):
    """/contracts/<A>/…/<an object of B>/ is a 404 even for the team (who sees both), and
    for a POST action even for the person who may act on A: nothing changes."""
    entry = PAGES[route.name]
    url = url_of(world, route.name, "A", **dict.fromkeys(kwargs, "B"))
    client = signed_in_client(world, actor(entry) or "onboarding_team")
    before = fingerprint()
    if entry.post is not None:
        response = client.post(url, {})
    else:
        response = world.clients["onboarding_team"].get(url)

    assert response.status_code == 404, f"{url}: {describe(response)}"
    assert changes(before, fingerprint()) == []


def test_a_contract_feed_of_a_contract_the_token_owner_cannot_see_is_not_found(world):
    a, b = world.sides["A"], world.sides["B"]
    url = reverse("closeout:contract_feed",
                  kwargs={"token": a.objects["token"], "pk": b.contracts["main"].pk})

    response = Client().get(url)

    assert response.status_code == 404
    assert not leaks(world, "cor", body_of(response))


@pytest.mark.parametrize("name", ["closeout:person_feed", "closeout:contract_feed"])
@pytest.mark.parametrize("token", ["wrong-token", "", "x" * 200, "revoked"])
def test_a_feed_with_a_bad_token_is_not_found(world, name, token):
    side = world.sides["A"]
    if token == "revoked":
        from muster.closeout import calendar_feed

        calendar_feed.revoke(side.contracts["main"].roles.get(role="cor").user)
        token = side.objects["token"]
    kwargs = {"token": token or "-"}
    if name == "closeout:contract_feed":
        kwargs["pk"] = side.contracts["main"].pk
    response = Client().get(reverse(name, kwargs=kwargs))

    assert response.status_code == 404
    assert "alderwood" not in body_of(response).lower()


@pytest.mark.parametrize("name", ["access:grant", "access:remove_user"])
def test_the_so_cannot_learn_the_name_of_someone_on_another_contract(world, name):
    """The roster's actions take a person's id: an id of someone who is not on this
    contract must not bring their name to the page (it used to, in the message)."""
    a, b = world.sides["A"], world.sides["B"]
    stranger = b.objects["member"]
    client = signed_in_client(world, "so")
    before = fingerprint()
    if name == "access:grant":
        response = client.post(reverse(name, args=[a.contracts["main"].pk]),
                               {"user": stranger, "service": ""}, follow=True)
    else:
        response = client.post(reverse(name, args=[a.contracts["main"].pk, stranger]),
                               follow=True)

    # The grant form takes it as no choice (back to the roster, with a message); the member
    # page behind the removal has no such person: 404.
    assert response.status_code == (200 if name == "access:grant" else 404), \
        response.redirect_chain
    assert not leaks(world, "so", body_of(response))
    assert changes(before, fingerprint()) == []


# --- Django's admin: only staff ------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_admin_sends_everyone_who_is_not_staff_to_its_sign_in(world, role):
    response = world.clients[role].get("/admin/")

    assert response.status_code == 302
    assert response.url == "/admin/login/?next=/admin/"
