from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.urls import path
from django.views.generic import RedirectView

from .views import people, sessions


def email_addresses_are_kept_by_the_team(request):
    """django-allauth's page for adding and changing one's own email addresses: not in
    Muster, where the address is the one the team named (and a password reset's target)."""
    raise Http404("Ask the onboarding team to change your email address.")


app_name = "identity"
urlpatterns = [
    # The sign-in page's address before django-allauth: bookmarks still work.
    path("sign-in/", login_not_required(RedirectView.as_view(
        pattern_name="account_login", query_string=True, permanent=True)), name="old_sign_in"),
    path("email/", email_addresses_are_kept_by_the_team, name="email_not_offered"),
    # Sessions and the accounts page (sessions.py, lifecycle.py, views/people.py)
    path("session/", sessions.session_status, name="session_status"),
    path("session/keep-alive/", sessions.keep_alive, name="keep_alive"),
    path("people/", people.people, name="people"),
    path("people/accounts.csv", people.people_csv, name="people_csv"),
]
