from django.contrib import admin

from .admin_mixins import ReadOnlyAdmin
from .models import AuditCheckpoint, AuditEvent


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
