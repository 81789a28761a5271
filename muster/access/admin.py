"""Read-only views of access grants and roster imports: changes go through the roster
pages (so they are audited and emailed), never through the admin."""

from django.contrib import admin

from muster.audit.admin_mixins import ReadOnlyAdmin

from .models import AccessGrant, RosterImport


@admin.register(AccessGrant)
class AccessGrantAdmin(ReadOnlyAdmin):
    list_display = ["user", "service", "contract", "status", "eua_job_code", "requested_at"]
    list_filter = ["status", "service"]
    search_fields = ["user__full_name", "user__email", "user__harp_id",
                     "contract__name", "contract__contract_number"]
    list_select_related = ["user", "service", "contract"]
    date_hierarchy = "requested_at"


@admin.register(RosterImport)
class RosterImportAdmin(ReadOnlyAdmin):
    list_display = ["filename", "contract", "status", "error_count", "uploaded_by",
                    "uploaded_at", "imported_at"]
    list_filter = ["status"]
    search_fields = ["filename", "contract__name", "contract__contract_number"]
    list_select_related = ["contract", "uploaded_by"]
    exclude = ["rows"]
