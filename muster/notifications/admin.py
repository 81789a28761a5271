from django.contrib import admin

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
class OutboxEmailAdmin(admin.ModelAdmin):
    """Read-only: emails are written by services and sent by the worker. To send a failed
    one again, use the outbox page (it is audited)."""

    list_display = ["subject", "status", "attempts", "next_attempt_at", "created_at",
                    "sent_at", "contract"]
    list_filter = ["status", "template"]
    search_fields = ["subject", "key", "recipients__address"]
    date_hierarchy = "created_at"
    list_select_related = ["contract"]
    inlines = [OutboxRecipientInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
