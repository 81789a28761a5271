from django.urls import path

from .views import additional, bulk, dua, grants, imports, roster

app_name = "access"
C = "contracts/<int:pk>/"
urlpatterns = [
    # The SO's roster (views/roster.py), its CSV files (views/imports.py) and grants
    # (views/grants.py)
    path(f"{C}roster/", roster.roster, name="roster"),
    path(f"{C}roster/add/", roster.add_user, name="add_user"),
    path(f"{C}roster/import/", imports.import_csv, name="import"),
    path(f"{C}roster/import/<int:import_pk>/", imports.import_preview, name="import_preview"),
    path(f"{C}roster/export.csv", imports.export_csv, name="export"),
    path(f"{C}roster/<int:user_pk>/", roster.member, name="member"),
    path(f"{C}roster/<int:user_pk>/remove/", roster.remove_user, name="remove_user"),
    path(f"{C}roster/<int:user_pk>/eua-check/", roster.eua_check, name="eua_check"),
    path(f"{C}grants/new/", grants.grant, name="grant"),
    path(f"{C}grants/<int:grant_pk>/confirm/", grants.confirm_grant, name="confirm_grant"),
    path(f"{C}grants/<int:grant_pk>/revoke/", grants.revoke_grant, name="revoke_grant"),
    path(f"{C}grants/revoke/", bulk.revoke_grants, name="revoke_grants"),
    path("mine/", grants.my_access, name="mine"),
    path("pending/", grants.pending_grants, name="pending"),
    path("pending/confirm/", bulk.confirm_grants, name="confirm_grants"),
    # Data Use Agreements (views/dua.py)
    path(f"{C}dua/", dua.dua_page, name="dua"),
    path(f"{C}dua/upload/", dua.upload, name="dua_upload"),
    path(f"{C}dua/<int:dua_pk>/invalidate/", dua.invalidate, name="dua_invalidate"),
    path(f"{C}dua/<int:dua_pk>/document/", dua.document, name="dua_document"),
    # Additional services for an existing contract (views/additional.py)
    path(f"{C}services/request/", additional.new_request, name="request_service"),
    path("service-requests/", additional.request_list, name="service_requests"),
    path("service-requests/<int:req_pk>/", additional.request_detail,
         name="service_request"),
    path("service-requests/<int:req_pk>/cor/", additional.cor_decision, name="cor_decision"),
    path("service-requests/<int:req_pk>/decide/", additional.lead_decision,
         name="lead_decision"),
    path("service-requests/<int:req_pk>/withdraw/", additional.withdraw,
         name="withdraw_service_request"),
    path("service-requests/<int:req_pk>/cancel/", additional.cancel,
         name="cancel_service_request"),
    path("service-requests/<int:req_pk>/reopen/", additional.reopen,
         name="reopen_service_request"),
]
