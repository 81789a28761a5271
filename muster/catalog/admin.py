from typing import cast

from django import forms
from django.contrib import admin

from muster.accounts.models import TeamRole
from muster.audit.admin_mixins import AuditedAdminMixin

from .models import HelpContact, Service


class ServiceLeadInline(admin.TabularInline):
    model = TeamRole
    fk_name = "service"
    extra = 0
    verbose_name = "service lead"
    verbose_name_plural = "service leads"
    autocomplete_fields = ["user"]
    fields = ["user", "role"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        role = cast(forms.ChoiceField, formset.form.base_fields["role"])
        role.initial = TeamRole.Role.SERVICE_LEAD
        role.choices = [
            (TeamRole.Role.SERVICE_LEAD, TeamRole.Role.SERVICE_LEAD.label)
        ]
        return formset


@admin.register(Service)
class ServiceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "requires_dua", "eua_job_code", "is_active", "order"]
    list_editable = ["order"]
    list_filter = ["requires_dua", "is_active"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ServiceLeadInline]


@admin.register(HelpContact)
class HelpContactAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "audience", "phone", "email", "slack_channel", "order"]
    list_editable = ["order"]
