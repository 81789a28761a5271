from django.contrib import admin

from .models import AuditCheckpoint, AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only: no add, change or delete from here, whoever signs in."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "action", "summary", "contract"]
    list_filter = ["action"]
    search_fields = ["summary", "actor_label", "object_repr", "=request_id"]
    date_hierarchy = "at"
    list_select_related = ["contract"]


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["number", "at", "last_event_id", "event_count"]
    date_hierarchy = "at"
