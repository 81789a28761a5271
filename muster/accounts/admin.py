from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from muster.audit.admin_mixins import AuditedAdminMixin

from .models import ContractRole, TeamRole, User
from .signals import team_role_added


class TellsOfNewTeamRoles(AuditedAdminMixin):
    """A team role added here (on its own page or in a person's inline) is announced with
    `team_role_added`, inside the admin's transaction: muster/identity invites the person."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if isinstance(obj, TeamRole) and not change:
            team_role_added.send(sender=TeamRole, actor=request.user, team_role=obj)


class TeamRoleInline(admin.TabularInline):
    model = TeamRole
    extra = 0


@admin.register(User)
class UserAdmin(TellsOfNewTeamRoles, BaseUserAdmin):
    ordering = ["full_name"]
    list_display = ["full_name", "email", "harp_id", "is_active", "is_staff"]
    search_fields = ["full_name", "email", "harp_id", "eua_id"]
    list_filter = ["is_active", "is_staff", "team_roles__role"]
    inlines = [TeamRoleInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "phone", "harp_id", "eua_id"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"],
                "fields": ["email", "full_name", "password1", "password2"]}),
    ]


@admin.register(ContractRole)
class ContractRoleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["contract", "role", "user", "eua_check"]
    list_filter = ["role", "eua_check"]
    search_fields = ["contract__name", "contract__contract_number", "user__full_name"]
    autocomplete_fields = ["user", "contract"]


@admin.register(TeamRole)
class TeamRoleAdmin(TellsOfNewTeamRoles, admin.ModelAdmin):
    list_display = ["user", "role", "service"]
    list_filter = ["role", "service"]
    autocomplete_fields = ["user"]
