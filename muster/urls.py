from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from muster.accounts import views as account_views
from muster.api.urls import api_urls
from muster.work import views as work_views

# The admin site signs in through Muster's sign-in (lockout, second factor), not its own form.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    # My work for the onboarding team, its lead and administrators; the contracts home for
    # everyone else (muster/work/views.home).
    path("", work_views.home, name="home"),
    path("accounts/", include("muster.identity.urls")),
    path("accounts/", include("allauth.urls")),
    path("contracts/", include("muster.contracts.urls")),
    path("onboarding/", include("muster.onboarding.urls")),
    path("notifications/", include("muster.notifications.urls")),
    path("access/", include("muster.access.urls")),
    path("closeout/", include("muster.closeout.urls")),
    path("conversation/", include("muster.conversation.urls")),
    path("work/", include("muster.work.urls")),
    path("reports/", include("muster.reports.urls")),
    path("search/", include("muster.search.urls")),
    path("recertification/", include("muster.recertification.urls")),
    path("reconciliation/", include("muster.reconciliation.urls")),
    path("evidence/", include("muster.evidence.urls")),
    path("api/", include("muster.api.page_urls")),  # pages (tokens, clients, docs)
    path("api/v1/", api_urls()),
    path("scim/v2/", include("muster.api.scim.urls")),
    path("webhooks/", include("muster.webhooks.urls")),
    path("menu/", account_views.menu, name="menu"),  # shell: the header's links, grouped
    path("admin/", admin.site.urls),
    path("", include("muster.operations.urls")),
]

handler403 = "muster.views.permission_denied"
handler404 = "muster.views.page_not_found"
handler400 = "muster.views.bad_request"
handler500 = "muster.views.server_error"
