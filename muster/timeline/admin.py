from django.contrib import admin

from muster.audit.admin_mixins import AuditedAdminMixin

from .models import ContractStep, ProcessTemplate, TemplateStep
from .services import anchor_date, next_step_kept

STEP_FIELDS = [
    "order", "key", "process", "phase", "name", "anchor", "offset", "offset_unit",
    "responsible", "evidence",
]


class TemplateStepInline(admin.StackedInline):
    model = TemplateStep
    extra = 0
    fields = [*STEP_FIELDS, "description"]


@admin.register(ProcessTemplate)
class ProcessTemplateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "is_default"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TemplateStepInline]


@admin.register(ContractStep)
class ContractStepAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """A contract's own steps: edit one when that contract's timeline varies."""

    list_display = ["contract", "order", "name", "due_date", "completed_at"]
    list_filter = ["process", "completed_at"]
    search_fields = ["contract__name", "contract__contract_number", "name"]
    readonly_fields = ["completed_at", "completed_by", "completion_note"]
    fields = [*STEP_FIELDS, "description", *readonly_fields]
    readonly_fields = [*readonly_fields, "due_date"]
    autocomplete_fields = ["contract"]

    def save_model(self, request, obj, form, change):
        # The due date follows the (possibly edited) rule, like every open step's does.
        if obj.completed_at is None:
            obj.due_date = obj.due_from(anchor_date(obj.contract, obj.anchor))
        with next_step_kept(obj.contract):  # the edited step may become (or stop being) next
            super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        contract = obj.contract
        with next_step_kept(contract):
            super().delete_model(request, obj)
