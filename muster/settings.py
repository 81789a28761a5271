"""Muster settings: environment variables with safe development defaults.

Development (the default) runs on SQLite in the project folder, stores uploads under
var/media and writes mail to var/outbox. Production (MUSTER_ENV=production) refuses to
start, in one line, on an unsafe or missing setting (the end of this file; every setting
is in docs/deploy.md).
"""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from muster.security import content_security_policy

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MUSTER_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("MUSTER_ENV", "development") == "production"
# Off unless asked for (DEBUG=1, or `make dev`): `make run` shows what a user sees, with
# Muster's own error pages, never Django's debug pages that list every URL pattern.
DEBUG = env_bool("DEBUG", False)


def _served_at(host: str) -> tuple[str, str]:
    """(host name, host:port) from runserver's address, as HOST gives it to `make run`:
    "127.0.0.1:8100", "[::1]:8000", "localhost:8000" or a bare port "8100"."""
    host = host.strip() or "127.0.0.1:8000"
    if host.isdigit():
        host = f"127.0.0.1:{host}"
    has_port = ":" in host and not host.endswith("]")
    return (host.rsplit(":", 1)[0] if has_port else host), host


# Where `make run` serves (its HOST); the base URL of email links follows it unless
# MUSTER_BASE_URL is set.
SERVED_HOST, SERVED_AT = _served_at(os.environ.get("HOST", ""))

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "" if PRODUCTION else f"127.0.0.1,localhost,testserver,{SERVED_HOST}"
)
# Keys that signed what is still out there (sessions, password-reset and invitation links)
# while SECRET_KEY rotates: comma-separated, newest first (docs/deploy.md, "Rotating keys").
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",  # runserver leaves static files to WhiteNoise, DEBUG or not
    "muster.staticfiles.MusterStaticFilesConfig",  # django.contrib.staticfiles, trimmed
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "django_tasks_db",
    "muster.accounts",
    "muster.audit",
    "muster.catalog",
    "muster.contracts",
    "muster.timeline",
    "muster.notifications",
    "muster.onboarding",
    "muster.access",
    "muster.closeout",
    "muster.conversation",
    "muster.work",
    "muster.reports",
    "muster.search",
    "muster.recertification",
    "muster.reconciliation",
    "muster.evidence",
    "muster.api",
    "muster.webhooks",
    "muster.identity",  # before allauth: its templates dress allauth's pages in USWDS
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "muster.operations",
    "muster.demo",  # last: the demo data imports every app above
]

MIDDLEWARE = [
    "muster.audit.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "muster.identity.mfa.SecondFactorRequired",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After the messages and htmx: ends an idle or too-old session, saying why.
    "muster.identity.sessions.SessionLimitsMiddleware",
    "muster.middleware.FriendlyMethodNotAllowed",
]

ROOT_URLCONF = "muster.urls"
WSGI_APPLICATION = "muster.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "muster" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",  # csp_nonce: the admin's nonces
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "muster.catalog.context_processors.help_contacts",
                "muster.accounts.context_processors.navigation",
            ],
        },
    },
]

FORM_RENDERER = "muster.forms.USWDSFormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker write while pages read; IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": None}
else:
    # Page queries are short; PostgreSQL's JIT costs more than it saves on them
    # (docs/benchmarks.md, "Load").
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Prepared statements: a query run twice on a connection is prepared (psycopg), and
    # after five runs PostgreSQL keeps its plan when no worse than planning it afresh.
    # Planning the pages' joins cost more than running them (docs/benchmarks.md, "Load").
    # Parameters are then bound by the server. Off (0) behind a pooler in transaction mode
    # that does not keep prepared statements (PgBouncer before 1.21: docs/deploy.md).
    if env_bool("DB_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=2)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Signing in, password reset, single sign-on and the second factor: django-allauth
# (docs/adr/0005-accounts-with-allauth.md). Its backend tells an inactive account so,
# instead of "wrong password", once the password is right.
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "muster.identity.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "muster.identity.sso.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"  # Muster names people by an address the team checked
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False  # nothing is mailed to an address Muster never named
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Muster: "
ACCOUNT_LOGOUT_ON_GET = False
# The sign-in and reset forms, with the email's length limit.
ACCOUNT_FORMS = {
    "login": "muster.identity.forms_signin.SignInForm",
    "reset_password": "muster.identity.forms_signin.PasswordResetRequestForm",
}
# Failed sign-ins are counted by Muster's own lockout (muster/identity/lockout.py), in the
# database, so every process sees the same count.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
# A password-reset link works once, for this long.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_MINUTES", "60")) * 60
# An invitation's link works once, for this many days.
INVITATION_DAYS = int(os.environ.get("INVITATION_DAYS", "7"))

MFA_ADAPTER = "muster.identity.mfa.MFAAdapter"
MFA_FORMS = {
    "activate_totp": "muster.identity.mfa.ActivateForm",
    "authenticate": "muster.identity.mfa.AuthenticateCodeForm",
    "reauthenticate": "muster.identity.mfa.ReauthenticateCodeForm",
}
# WebAuthn is left out: its relying-party id must be a domain (not the 127.0.0.1 the demo and
# the browser tests serve on), and only a virtual authenticator could test it
# (docs/adr/0005-accounts-with-allauth.md).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Muster"
# Nobody signs up: every address is one the team named (allauth's check guards sign-ups
# that never verified their address; a password reset would otherwise block enrolment).
MFA_ALLOW_UNVERIFIED_EMAIL = True
# The onboarding team, its lead, service leads and administrators must use a second
# factor: on unless MUSTER_MFA_REQUIRED says otherwise (the demo turns it off).
MFA_REQUIRED = env_bool("MUSTER_MFA_REQUIRED", True)

# Single sign-on through the agency's OpenID Connect provider, when its issuer is set:
# authorization code with PKCE, plus a nonce (Muster's provider class, muster/identity/oidc).
# The provider class is named whether or not an issuer is set: allauth's registry reads it
# once, when the URLs load. Sign-in reaches only an account Muster named, matched on the
# provider's verified email (muster/identity/sso.py); nobody signs up, nothing is linked.
OIDC_ISSUER_URL = os.environ.get("OIDC_ISSUER_URL", "").rstrip("/")
SOCIALACCOUNT_PROVIDERS: dict[str, Any] = {
    "openid_connect": {
        "provider_class": "muster.identity.oidc.provider.AgencyProvider",
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [],
    },
}
if OIDC_ISSUER_URL:
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"] = [{
        "provider_id": "agency",
        "name": os.environ.get("OIDC_BUTTON_LABEL", "Sign in with your agency account"),
        "client_id": os.environ.get("OIDC_CLIENT_ID", ""),
        "secret": os.environ.get("OIDC_CLIENT_SECRET", ""),
        "settings": {"server_url": OIDC_ISSUER_URL},
    }]
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # Muster's own match (sso.py), no password wiped
SOCIALACCOUNT_STORE_TOKENS = False
# Local passwords for everyone (the demo signs in with them); off: administrators only
# (the administrator team role, superusers and staff).
LOCAL_PASSWORDS = env_bool("MUSTER_LOCAL_PASSWORDS", True)

# Sign-in limits (muster/identity/lockout.py): within the window, this many failures for one
# email from browsers that never signed in to it lock it to them for the window; this many
# from one IP address (any accounts) lock that address; a browser that signed in to the
# account before has its own limit instead (per browser).
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_IP_FAILURE_LIMIT = int(os.environ.get("LOGIN_IP_FAILURE_LIMIT", "20"))
LOGIN_DEVICE_FAILURE_LIMIT = int(os.environ.get("LOGIN_DEVICE_FAILURE_LIMIT", "5"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    ("uswds", BASE_DIR / "node_modules" / "@uswds" / "uswds" / "dist"),
    ("htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    BASE_DIR / "muster" / "static",
]
# WhiteNoise serves static files in every environment. Production serves the collected,
# hashed files from STATIC_ROOT (collectstatic). Development finds each file where it lies
# (node_modules, muster/static) when it is asked for: no collectstatic step, no start-up
# scan of USWDS's 2,700 files, and an edited file shows at once.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
# collectstatic compresses what browsers fetch; not the TrueType fonts (browsers take the
# woff2 beside them) nor source maps: a third of its time (docs/deploy.md, "Static files").
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [
    "jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br", "swf",
    "flv", "woff", "woff2", "3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4", "mpeg", "mpg",
    "webm", "wmv", "ttf", "map",
]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "muster.staticfiles.ManifestStorage"  # WhiteNoise's, each address once
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Files (local or S3) ---------------------------------------------------------------
# Uploads and generated PDFs (signed DUAs, call documents, welcome packages) go through
# Django's storage API: files under MEDIA_ROOT unless AWS_STORAGE_BUCKET_NAME names an S3
# (or S3-compatible) bucket, which every instance then shares. Objects are private and are
# only ever served by Muster's own views, after its authorization: no public or signed
# bucket URL is handed out (muster/storage.py refuses to make one). Credentials come from
# the environment as boto3 reads them (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, or an
# instance role), never from this file.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    # Each object is written private. A bucket with ACLs disabled (AWS's default for new
    # buckets: "bucket owner enforced") refuses any ACL but the owner's own: "none" sends
    # none there, and the bucket's Block Public Access keeps the objects private.
    _acl = os.environ.get("AWS_DEFAULT_ACL", "private").strip().lower()
    if _acl not in {"private", "bucket-owner-full-control", "none"}:
        raise ImproperlyConfigured("AWS_DEFAULT_ACL must be private, bucket-owner-full-control "
                                   "or none: Muster's files are never public.")
    _encryption = os.environ.get("AWS_S3_SERVER_SIDE_ENCRYPTION", "AES256").strip()
    _object_parameters = {}
    if _encryption.lower() not in {"", "none"}:
        _object_parameters["ServerSideEncryption"] = _encryption
        if os.environ.get("AWS_S3_SSE_KMS_KEY_ID"):
            _object_parameters["SSEKMSKeyId"] = os.environ["AWS_S3_SSE_KMS_KEY_ID"]
    _bucket: dict[str, Any] = {
        "BACKEND": "muster.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            # "path" for S3-compatible servers whose buckets are not DNS names of their own.
            "addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE") or None,
            "location": os.environ.get("AWS_LOCATION", "").strip("/"),
            "default_acl": None if _acl == "none" else _acl,
            "querystring_auth": True,
            "custom_domain": None,
            "file_overwrite": False,  # a second DUA numbered alike never replaces the first
            "object_parameters": _object_parameters,
        },
    }
    STORAGES["default"] = _bucket

# Mail: a real SMTP server when EMAIL_HOST is set, else files in var/outbox to read.
if os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": int(os.environ.get("EMAIL_PORT", "25")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "timeout": int(os.environ.get("EMAIL_TIMEOUT", "30")),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "outbox")},
        }
    }
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "muster@onboarding.example.gov")
# Outbox delivery (at least once): a worker claims this many emails at a time, and takes
# over a claim this many seconds old from a worker that stopped. Keep the claim longer than
# one send can take (EMAIL_TIMEOUT), or a slow send may be repeated.
OUTBOX_BATCH_SIZE = int(os.environ.get("OUTBOX_BATCH_SIZE", "10"))
OUTBOX_CLAIM_SECONDS = int(os.environ.get("OUTBOX_CLAIM_SECONDS", "60"))

# --- Background tasks: the database or Redis (docs/adr/0006-running-as-a-service.md) ---
# TASK_BACKEND=database (the default): django-tasks-db, tasks in Muster's own database, no
# other server. TASK_BACKEND=rq: django-tasks-rq, tasks in Redis at REDIS_URL, for sites
# whose workers outgrow polling the database. Either way `manage.py worker` runs the
# worker, and the daily sweep's schedule lives in the database (notifications/schedule.py).
TASK_BACKEND = os.environ.get("TASK_BACKEND", "database").strip().lower()
# Seconds between a worker's signs of life (WorkerHeartbeat, read by /readyz).
WORKER_HEARTBEAT_SECONDS = float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "30"))
TASKS: dict[str, dict[str, Any]]
if TASK_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASK_BACKEND == "rq":
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    INSTALLED_APPS.insert(INSTALLED_APPS.index("django_tasks_db") + 1, "django_rq")
    RQ_QUEUES = {
        # A sweep takes seconds; an hour is a hung run (RQ's default, 180 s, is too short
        # for a large site's sweep).
        "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600},
    }
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    raise ImproperlyConfigured(f"TASK_BACKEND must be database or rq, not {TASK_BACKEND!r}.")

SESSION_COOKIE_HTTPONLY = True
# Database sessions with the person's id in a column of their own (muster/identity/sessions.py):
# the lifecycle ends one person's sessions with one indexed DELETE.
SESSION_ENGINE = "muster.identity.sessions"
# A session ends after this many minutes without a request from the person (the pages
# warn SESSION_WARNING_SECONDS before), and this many hours after signing in, whatever.
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))
SESSION_WARNING_SECONDS = int(os.environ.get("SESSION_WARNING_SECONDS", "120"))
# An account nobody signed in to for this many days is disabled by the daily sweep.
ACCOUNT_UNUSED_DAYS = int(os.environ.get("ACCOUNT_UNUSED_DAYS", "90"))
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Production profile: security headers, HTTPS, and the refusal of unsafe settings ---
# The Content Security Policy holds in every environment, so the browser tests run under
# the policy production serves (muster/security.py says what it allows and why).
SECURE_CSP = content_security_policy(OIDC_ISSUER_URL)
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Behind the load balancer, which ends TLS and sets X-Forwarded-Proto (only it may:
    # gunicorn listens on an internal address). SECURE_SSL_REDIRECT=0 for a try over plain
    # http on 127.0.0.1 (browsers treat it as a secure context, secure cookies included).
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    if not SECURE_SSL_REDIRECT:
        # Turned off on purpose: the load balancer redirects http to https, or a local try.
        SILENCED_SYSTEM_CHECKS = ["security.W008"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    # HTTPS on the whole domain (federal .gov policy): off only while a subdomain is not ready.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# A step is shown as "due soon" within this many business days of its due date.
TIMELINE_DUE_SOON_DAYS = int(os.environ.get("TIMELINE_DUE_SOON_DAYS", "5"))

# Links in emails point here: MUSTER_BASE_URL, else where `make run` serves (HOST).
MUSTER_BASE_URL = os.environ.get("MUSTER_BASE_URL") or f"http://{SERVED_AT}"
# Largest upload accepted (a signed DUA, call documents), in megabytes.
MAX_UPLOAD_MB = int(os.environ.get("MAX_UPLOAD_MB", "10"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# The closeout notice goes out this many calendar days before the end of performance.
CLOSEOUT_NOTICE_DAYS = int(os.environ.get("CLOSEOUT_NOTICE_DAYS", "60"))
# Reminders go out this many business days before a step is due.
REMINDER_BUSINESS_DAYS = int(os.environ.get("REMINDER_BUSINESS_DAYS", "2"))
# The worker runs the daily sweep at this local hour.
SWEEP_HOUR = int(os.environ.get("SWEEP_HOUR", "6"))
# The SO and COR are warned this many calendar days before a DUA expires (comma-separated).
DUA_WARNING_DAYS = sorted(
    (int(days) for days in env_list("DUA_WARNING_DAYS", "30,7,1")), reverse=True)
# Recertification: reminders to the SOs this many calendar days before a campaign is due.
RECERTIFICATION_REMINDER_DAYS = sorted(
    (int(days) for days in env_list("RECERTIFICATION_REMINDER_DAYS", "7,2")), reverse=True)
# Reconciliation: a grant requested and not confirmed after this many business days.
UNCONFIRMED_GRANT_BUSINESS_DAYS = int(os.environ.get("UNCONFIRMED_GRANT_BUSINESS_DAYS", "5"))


# The audit record (docs/adr/0002-append-only-audit.md). Checkpoints of its hash chain are
# signed with this key, kept out of the database; production requires one of its own.
AUDIT_CHECKPOINT_KEY = os.environ.get("AUDIT_CHECKPOINT_KEY", "")
AUDIT_CHECKPOINT_KEY = AUDIT_CHECKPOINT_KEY or f"development-audit-checkpoint:{SECRET_KEY}"
# Each checkpoint is also emailed to these addresses (comma-separated), when set.
AUDIT_EMAIL = env_list("AUDIT_EMAIL")
# The checkpoint lines must reach the log whatever LOG_LEVEL says.
LOGGING["loggers"]["muster.audit.checkpoints"] = {"level": "INFO"}

# --- Health and telemetry (muster/operations; docs/deploy.md, "Health and telemetry") ------
# /readyz fails when no background worker was seen within this many seconds (0: the worker
# is left out of readiness, e.g. when a load balancer probes /readyz).
READY_WORKER_SECONDS = int(os.environ.get("READY_WORKER_SECONDS", "300"))
# /metrics answers only a scraper that sends "Authorization: Bearer <METRICS_TOKEN>"; with
# no token set there is no /metrics at all (404).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# Under gunicorn (several processes): a folder, emptied before start, where each process
# writes its request metrics for a scrape to add up (prometheus-client's multiprocess
# mode, which reads the variable itself when it is imported).
PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
# Times every request, next after the request id (so it times the rest).
MIDDLEWARE.insert(MIDDLEWARE.index("muster.audit.middleware.RequestIdMiddleware") + 1,
                  "muster.operations.metrics.RequestMetrics")
# Probes and scrapers come from inside the network over plain http: no redirect to https.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# A database that does not answer fails a request (and /readyz) in this many seconds,
# instead of the operating system's two minutes.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", int(os.environ.get("DB_CONNECT_TIMEOUT", "5")))
# Log lines: "json" (one object a line, the default in production) or "text" (the
# default in development); both carry the request id and mask personal data
# (muster/operations/logs.py). LOG_REQUESTS logs one line per request (view, status,
# time; no path or query string): on in production, where gunicorn's access log is off.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "text")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
LOG_REQUESTS = env_bool("LOG_REQUESTS", PRODUCTION)
LOGGING["filters"] = {"request_context": {"()": "muster.operations.logs.RequestContext"}}
LOGGING["formatters"] = {
    "json": {"()": "muster.operations.logs.JsonFormatter"},
    "text": {"()": "muster.operations.logs.TextFormatter"},
}
LOGGING["handlers"]["console"].update(formatter=LOG_FORMAT, filters=["request_context"])
# Django's own handlers (runserver's, and the DEBUG console) would bypass the masking:
# everything goes through the one handler above.
LOGGING["loggers"]["django"] = {"handlers": [], "level": "INFO", "propagate": True}
LOGGING["loggers"]["django.server"] = {"handlers": [], "level": "INFO", "propagate": True}
# Errors to Sentry when SENTRY_DSN is set, with no personal data (muster/operations/sentry.py).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from muster.operations import sentry

    sentry.init(
        SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT",
                                   "production" if PRODUCTION else "development"),
        release=os.environ.get("SENTRY_RELEASE", ""),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )
# --- The cache, shared by every process ---------------------------------------------------
# allauth keeps in the cache the second-factor codes already used (a code works once) and
# its rate limits (password reset, sign-in); Muster keeps its API rate counts and the
# metrics page's figures (ten minutes, muster/reports/metrics.py) there too. A cache of
# each process's own would let a used code in again through another gunicorn worker or
# instance, and multiply every limit by the number of processes: so the default is a table
# in Muster's database (made by the operations app's first migration), and CACHE_URL
# (redis://host:6379/1) puts it in Redis instead.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured("CACHE_URL must be a redis:// or rediss:// address.")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
         "KEY_PREFIX": "muster"}
        if CACHE_URL else
        {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "muster_cache",
         # Culling past this many keys would forget rate-limit counts early.
         "OPTIONS": {"MAX_ENTRIES": 100_000}}
    )
}

# --- The API (muster/api, docs/api.md) ------------------------------------------------------
# Calls per API token, counted in the shared cache above: "<count>/<s|min|hour|day>".
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/min")
# Lists: 50 a page unless the caller asks (page_size), at most 200.
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 200

# --- Behind a load balancer (issue 13: scale-out; docs/deploy.md "Scaling out") ----------
# How many proxies in front of Muster append to X-Forwarded-For: 1 behind one load balancer
# (HAProxy, nginx, a cloud balancer). The sign-in limits count failures per client address
# (muster/identity/lockout.py); with 0 (no proxy, the default) that is the connection's
# address, which behind a balancer is the balancer's for everyone. Never more than the
# proxies you run: the entries before theirs are whatever the browser sent.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# --- Production profile: the refusal of unsafe settings (last: every setting is read) ---


def _refuse_unsafe_production_settings() -> None:
    """Production does not start on a setting that is unsafe or missing: one line that
    names everything to set, so a first try tells the whole list."""
    problems = []
    if DEBUG:
        problems.append("turn DEBUG off (it shows tracebacks and settings to anyone)")
    if SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 40:
        problems.append("set SECRET_KEY (40+ random characters)")
    if any(key == _DEV_SECRET_KEY or len(key) < 40 for key in SECRET_KEY_FALLBACKS):
        problems.append("keep only real keys (40+ characters) in SECRET_KEY_FALLBACKS")
    audit_key = os.environ.get("AUDIT_CHECKPOINT_KEY", "")  # as given, not the development one
    if len(audit_key) < 32 or audit_key == SECRET_KEY:
        problems.append("set AUDIT_CHECKPOINT_KEY (32+ random characters, not the SECRET_KEY)")
    if not ALLOWED_HOSTS:
        problems.append("set ALLOWED_HOSTS (the host names Muster answers to)")
    if MAILERS["default"]["BACKEND"] == "django.core.mail.backends.filebased.EmailBackend":
        problems.append("set EMAIL_HOST (the SMTP server; mail would go to files)")
    if problems:
        raise ImproperlyConfigured(
            f"Production settings: {'; '.join(problems)}. See docs/deploy.md."
        )


if PRODUCTION:
    _refuse_unsafe_production_settings()
