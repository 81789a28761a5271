from django.contrib import admin

from muster.audit.admin_mixins import ReadOnlyAdmin

from .models import OutboxEmail, OutboxRecipient


class OutboxRecipientInline(admin.TabularInline):
    model = OutboxRecipient
    fields = readonly_fields = ("address", "user")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    """Read-only: emails are written by services and sent by the worker. To send a failed
    one again, use the outbox page (it is audited)."""

    list_display = ["subject", "status", "attempts", "next_attempt_at", "created_at",
                    "sent_at", "contract"]
    list_filter = ["status", "template"]
    search_fields = ["subject", "key", "recipients__address"]
    date_hierarchy = "created_at"
    list_select_related = ["contract"]
    inlines = [OutboxRecipientInline]
