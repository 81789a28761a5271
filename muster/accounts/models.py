"""People, and the roles they hold on a contract or across the team."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from muster import clock
from muster.loading import LoadedFromRows
from muster.validators import NAME_MAX, VISIBLE_ONLY, refuse_invisible_characters

# HARP user IDs: letters, digits, dot, underscore or hyphen, 3–64 long, starting alnum.
HARP_ID_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$"
harp_id_validator = RegexValidator(
    HARP_ID_RE,
    "Enter a HARP ID: 3 to 64 letters, digits, dots, underscores or hyphens, "
    "starting with a letter or digit.",
)
# CMS EUA user IDs are four characters: letters and digits.
eua_id_validator = RegexValidator(r"^[A-Za-z0-9]{4}$", "An EUA ID is four letters or digits.")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(LoadedFromRows, AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", unique=True, validators=VISIBLE_ONLY)
    full_name = models.CharField(max_length=NAME_MAX, validators=VISIBLE_ONLY)
    phone = models.CharField(max_length=32, blank=True)
    harp_id = models.CharField(
        "HARP ID", max_length=64, blank=True,
        validators=[refuse_invisible_characters, harp_id_validator],
    )
    eua_id = models.CharField("EUA ID", max_length=4, blank=True, validators=[eua_id_validator])
    is_active = models.BooleanField(default=True)

    class Deactivated(models.TextChoices):
        NO_ROLE = "no_role", "No role left"
        UNUSED = "unused", "Not used for a long time"
        BY_TEAM = "by_team", "Disabled by the team"

    # Why an inactive account is inactive: the first two end when the person is named
    # again (muster/identity), the last only when the team restores it.
    deactivated_reason = models.CharField(
        max_length=16, choices=Deactivated.choices, blank=True
    )
    is_staff = models.BooleanField(
        default=False, help_text="May sign in to the administration site."
    )
    date_joined = models.DateTimeField(default=clock.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["harp_id"],
                condition=~models.Q(harp_id=""),
                name="unique_harp_id_when_set",
            ),
        ]
        indexes = [models.Index(Lower("full_name"), name="user_full_name_lower")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class TeamRole(LoadedFromRows, models.Model):
    """A role that spans contracts: the onboarding team, its lead, a service's lead."""

    class Role(models.TextChoices):
        ONBOARDING_TEAM = "onboarding_team", "Onboarding team"
        TEAM_LEAD = "team_lead", "Onboarding team lead"
        SERVICE_LEAD = "service_lead", "Service lead"
        ADMINISTRATOR = "administrator", "Administrator"
        COR = "cor", "COR (may notify the team of solicitations)"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_roles")
    role = models.CharField(max_length=32, choices=Role.choices)
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="lead_roles",
        help_text="Only for service leads: the service they decide on.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "service"],
                condition=models.Q(service__isnull=False),
                name="unique_service_lead_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(service__isnull=True),
                name="unique_team_role",
            ),
            models.CheckConstraint(
                condition=(models.Q(role="service_lead", service__isnull=False)
                           | (~models.Q(role="service_lead") & models.Q(service__isnull=True))),
                name="service_lead_names_a_service",
            ),
        ]

    def __str__(self) -> str:
        suffix = f" — {self.service}" if self.service_id else ""
        return f"{self.user}: {self.get_role_display()}{suffix}"


class LoginFailure(models.Model):
    """One failed sign-in, kept to lock an email out after repeated failures.

    Keyed by the email typed (existing account or not), so a lockout says nothing about
    whether an account exists. `device` is the nonce of the browser's device cookie when it
    had signed in to this account before (muster/identity/lockout.py), else empty.
    """

    email = models.CharField(max_length=254, db_index=True)
    at = models.DateTimeField(default=clock.now, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    device = models.CharField(max_length=32, blank=True, default="", db_index=True)

    def __str__(self) -> str:
        return f"{self.email} at {self.at:%Y-%m-%d %H:%M}"


class ContractRole(LoadedFromRows, models.Model):
    """A person's role on one contract: the COR, the contractor's POC, SO, SPOC or a user."""

    class Role(models.TextChoices):
        COR = "cor", "Contracting Officer's Representative (COR)"
        POC = "poc", "Contractor point of contact (POC)"
        SO = "so", "Security Official (SO)"
        SPOC = "spoc", "Security point of contact (SPOC)"
        CONTRACTOR_USER = "contractor_user", "Contractor user"

    class EuaCheck(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        INITIATED = "initiated", "Initiated"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETE = "complete", "Complete"
        NOT_REQUIRED = "not_required", "Not required"

    # Roles a contract has exactly one of at a time.
    SINGLE_HOLDER_ROLES = (Role.COR, Role.POC, Role.SO, Role.SPOC)

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="contract_roles",
        db_index=False,  # (user, role) serves lookups by it
    )
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="roles",
        db_index=False,  # unique_contract_role (contract, user, role) serves lookups by it
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    eua_check = models.CharField(
        "EUA background check",
        max_length=16,
        choices=EuaCheck.choices,
        default=EuaCheck.NOT_STARTED,
    )
    assigned_at = models.DateTimeField(default=clock.now)
    # The roster's order (its person's name in lower case, then email), kept by the
    # database's triggers (accounts/sort_keys.py), never written here.
    sort_name = models.CharField(max_length=NAME_MAX, default="", editable=False)
    sort_email = models.CharField(max_length=User._meta.get_field("email").max_length,
                                  default="", editable=False)
    KEPT_BY_DATABASE = ("sort_name", "sort_email")

    class Meta:
        ordering = ["contract", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "user", "role"], name="unique_contract_role"
            ),
            models.UniqueConstraint(
                fields=["contract", "role"],
                condition=models.Q(role__in=["cor", "poc", "so", "spoc"]),
                name="one_holder_per_contract_role",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "role"]),
            # The contract page's first contractor users on the roster (by when they were
            # put on it): read in order, not all of a roster of thousands sorted.
            models.Index(fields=["contract", "role", "assigned_at", "id"],
                         name="contract_role_by_assigned"),
            # A roster's page by name: 50 roles read in order, not every member's name.
            models.Index(fields=["contract", "role", "sort_name", "sort_email", "user"],
                         name="roster_by_name"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} on {self.contract}"


def so_again_as_spoc(so: dict, spoc: dict) -> list[tuple[str, str]]:
    """Where the SPOC given is the SO again, as (key, what) pairs: ("email", "email"),
    ("harp_id", "HARP ID"). The seeds name two people for the two roles ("these
    individuals"), so a form names the SPOC's field with SO_AGAIN_AS_SPOC."""
    same = []
    for key, what in (("email", "email"), ("harp_id", "HARP ID")):
        mine, theirs = so.get(key), spoc.get(key)
        if mine and theirs and mine.strip().lower() == theirs.strip().lower():
            same.append((key, what))
    return same


SO_AGAIN_AS_SPOC = ("This is the {so}'s {what}: the SO and the SPOC are two different people. "
                    "Give the SPOC's own.")

