from django.contrib import admin

from muster.audit.admin_mixins import AuditedAdminMixin

from .models import Contract, ContractService, Organization


@admin.register(Organization)
class OrganizationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "harp_name"]
    search_fields = ["name", "harp_name"]


class ContractServiceInline(admin.TabularInline):
    model = ContractService
    extra = 0
    readonly_fields = ["status", "decided_at", "decided_by"]  # status moves by transitions


@admin.register(Contract)
class ContractAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Read here; contracts change through Muster's pages so every change is audited."""

    list_display = ["name", "contract_number", "organization", "stage", "pop_start", "pop_end"]
    list_filter = ["stage"]
    search_fields = ["name", "contract_number", "organization__name"]
    inlines = [ContractServiceInline]
    readonly_fields = ["stage", "created_at", "updated_at"]
