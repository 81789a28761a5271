"""API tokens in the admin site: to look at, never to change. A token is made, shown once
and revoked on the token pages (muster/api/views), each on the audit record; the digest
is never shown anywhere."""

from django.contrib import admin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "scope", "prefix", "created_at", "expires_at",
                    "last_used_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__email", "user__full_name"]
    list_select_related = ["user"]
    fields = readonly_fields = ("name", "user", "scope", "prefix", "created_at", "created_by",
                                "expires_at", "last_used_at", "revoked_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
