from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.urls import path
from django.views.generic import RedirectView

from .views import invitations, people, sessions


def email_addresses_are_kept_by_the_team(request):
    """django-allauth's page for adding and changing one's own email addresses: not in
    Muster, where the address is the one the team named (and a password reset's target)."""
    raise Http404("Ask the onboarding team to change your email address.")


def provider_accounts_are_not_linked(request):
    """django-allauth's page for linking provider accounts to one's own: not in Muster,
    which matches a provider's sign-in to the named person by verified email each time."""
    raise Http404("Muster does not link provider accounts; sign in through your agency.")


app_name = "identity"
urlpatterns = [
    # The sign-in page's address before django-allauth: bookmarks still work.
    path("sign-in/", login_not_required(RedirectView.as_view(
        pattern_name="account_login", query_string=True, permanent=True)), name="old_sign_in"),
    path("email/", email_addresses_are_kept_by_the_team, name="email_not_offered"),
    path("3rdparty/", provider_accounts_are_not_linked, name="connections_not_offered"),
    path("social/connections/", provider_accounts_are_not_linked,
         name="old_connections_not_offered"),
    # Invitations (muster/identity/invitations.py): the link, a new link, sending again.
    path("invitation/new/", invitations.new_link, name="invitation_new"),
    path("invitation/<str:token>/", invitations.invitation, name="invitation"),
    path("invitation/contracts/<int:pk>/people/<int:user_pk>/send/", invitations.resend,
         name="resend_invitation"),
    # Sessions and the accounts page (sessions.py, lifecycle.py, views/people.py)
    path("session/", sessions.session_status, name="session_status"),
    path("session/keep-alive/", sessions.keep_alive, name="keep_alive"),
    path("people/", people.people, name="people"),
    path("people/accounts.csv", people.people_csv, name="people_csv"),
]
