"""Admin changes go on the audit record like every other change; what only services may
write is read-only in the admin."""

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db import transaction

from . import services as audit

# The mixin goes on model admins only: for mypy it is one (save_model, ...), at run time not.
if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


def _concrete_fields(obj):
    """What an admin change records: not the password, nor what the database keeps itself
    (a role's sort key, accounts/sort_keys.py)."""
    hidden = {"password", *getattr(obj, "KEPT_BY_DATABASE", ())}
    return [f.name for f in obj._meta.concrete_fields if f.name not in hidden]


def _contract_of(obj):
    """The contract an admin change concerns: the object itself, or the one it belongs to
    (asked by label: audit sits below contracts and does not import it)."""
    if obj._meta.label_lower == "contracts.contract":
        return obj
    return getattr(obj, "contract", None)


class AuditedAdminMixin(_ModelAdmin):
    def save_model(self, request, obj, form, change):
        fields = _concrete_fields(obj)
        before = {}
        if change:
            before = audit.snapshot(type(obj).objects.get(pk=obj.pk), fields)
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            after = audit.snapshot(obj, fields)
            old, new = audit.changed(before, after) if change else ({}, after)
            verb = "Changed" if change else "Added"
            audit.record(
                request.user, f"admin.{'change' if change else 'add'}", obj,
                f"{verb} {obj._meta.verbose_name} “{obj}” in administration",
                contract=_contract_of(obj), before=old, after=new,
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            before = audit.snapshot(obj, _concrete_fields(obj))
            contract = _contract_of(obj)
            audit.record(
                request.user, "admin.delete", obj,
                f"Deleted {obj._meta.verbose_name} “{obj}” in administration",
                contract=contract if contract and contract.pk else None, before=before,
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        with transaction.atomic():
            instances = formset.save(commit=False)
            for obj in formset.deleted_objects:
                audit.record(
                    request.user, "admin.delete", obj,
                    f"Deleted {obj._meta.verbose_name} “{obj}” in administration",
                    before=audit.snapshot(obj, _concrete_fields(obj)),
                )
                obj.delete()
            for obj in instances:
                self.save_model(request, obj, None, obj.pk is not None)
            formset.save_m2m()


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only: no add, change or delete from here, whoever signs in. Fields the admin
    `exclude`s stay hidden."""

    def get_readonly_fields(self, request, obj=None):
        hidden = set(self.exclude or ())
        return [f.name for f in self.model._meta.fields if f.name not in hidden]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
