from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: no add, change or delete from here, whoever signs in."""

    list_display = ["at", "actor_label", "action", "summary", "contract"]
    list_filter = ["action"]
    search_fields = ["summary", "actor_label", "object_repr"]
    date_hierarchy = "at"
    list_select_related = ["contract"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
