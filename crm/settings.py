"""Project settings.

Embedded default: with nothing configured the app runs on SQLite and a file-system Celery broker
under ``DATA_DIR``. Set ``DATABASE_URL`` and ``REDIS_URL`` to run on PostgreSQL and Redis, as
production and CI do. ``DEBUG=0`` switches to production mode, which passes ``check --deploy``.
"""

import re
from datetime import timedelta
from decimal import Decimal

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from crm.env import BASE_DIR, data_dir, env_bool, env_int, env_list, env_str

DATA_DIR = data_dir()

DEBUG = env_bool("DEBUG", default=True)
PRODUCTION = not DEBUG

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0.")
    SECRET_KEY = "dev-only-insecure-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "simple_history",
    "accounts",
    "crm",
    "surveys",
    "metrics",
    "demo",
    "rest_framework",
    "drf_spectacular",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "crm.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # Stamps who made each change in the book's edit history (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.navigation.nav_items",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# The embedded database (no DATABASE_URL): web, worker and beat share one SQLite file. A writer
# waits up to 20 s for another's lock instead of failing, and takes the write lock at BEGIN, so
# two transactions that both read then write never deadlock on a lock upgrade (SQLite would fail
# one at once). tests/test_embedded_database.py holds two writers to this.
EMBEDDED_DATABASE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL;",
}
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    # No JIT compilation: the KPI engine's aggregates are planned above jit_above_cost, and
    # compiling one of them took 3.6 s of its 4.2 s (EXPLAIN ANALYZE, docs/kpis-implementation.md);
    # the app's other statements are short and gain nothing from it either.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            "OPTIONS": dict(EMBEDDED_DATABASE_OPTIONS),
        }
    }
    # An index's INCLUDE columns (crm.0013: the interactions' touch index) only serve
    # PostgreSQL's index-only scans; SQLite builds the index on its key alone, as intended.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, health heartbeats) ---------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "crm",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# --- Authentication ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Repeated failed logins lock the account out from that address for a while.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
# Any spelling of a login counts against the same lockout (Bea@ = bea@).
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
# The caller's address through our reverse proxies (crm/client_ip.py), for the lockout too.
AXES_CLIENT_IP_CALLABLE = "crm.client_ip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# In development, serve straight from the source folders; production serves collected files.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
else:
    # No mail server: messages are kept in the database and shown on the dev mailbox page.
    EMAIL_BACKEND = "surveys.mailbox.DevMailboxBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Relationship team <crm@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -----------------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than the longest task (a full snapshot backfill), or Redis hands an unacked
        # task to a second worker while the first is still running it.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 4 * 60 * 60),
        # How often a worker looks for unacknowledged work whose timeout passed (a worker
        # killed mid-task): every interval × throttle seconds.
        "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
        "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10),
    }
else:
    _broker = DATA_DIR / "broker"
    for _sub in ("queue", "processed"):
        (_broker / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker / "queue"),
        "data_folder_out": str(_broker / "queue"),
        "processed_folder": str(_broker / "processed"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 60 * 60 + 300)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "heartbeat": {"task": "crm.tasks.heartbeat", "schedule": 60.0},
}

# --- Domain settings --------------------------------------------------------------------------
CURRENCY = env_str("CURRENCY", "GBP")
ZERO_MONEY = Decimal("0.00")
# Support SLA: hours to resolve an issue, per priority.
SUPPORT_SLA_HOURS = {
    "urgent": env_int("SLA_URGENT_HOURS", 4),
    "high": env_int("SLA_HIGH_HOURS", 24),
    "normal": env_int("SLA_NORMAL_HOURS", 72),
    "low": env_int("SLA_LOW_HOURS", 120),
}
DORMANT_AFTER_DAYS = env_int("DORMANT_AFTER_DAYS", 90)

# --- Imports (crm/imports/, docs/import.md) ----------------------------------------------------
# Uploaded files wait here for their import job (a path the web and the workers share).
MEDIA_ROOT = env_str("MEDIA_ROOT", str(DATA_DIR / "media"))
IMPORT_MAX_UPLOAD_MB = env_int("IMPORT_MAX_UPLOAD_MB", 100)
# A file that passed its dry run waits this long to be imported, then is deleted.
IMPORT_FILE_KEEP_HOURS = env_int("IMPORT_FILE_KEEP_HOURS", 24)
CELERY_BEAT_SCHEDULE |= {
    "crm-prune-import-files": {"task": "crm.tasks.prune_import_files", "schedule": 60 * 60.0},
}

# --- KPIs (metrics/, docs/kpis-implementation.md) ----------------------------------------------
# Survey scores from fewer answers are flagged "low sample" (scorecards and survey results).
SURVEY_MIN_SAMPLE = env_int("SURVEY_MIN_SAMPLE", 10)
KPI_TOLERANCE_SHARE = env_int("KPI_TOLERANCE_PERCENT", 10) / 100  # amber band, share of scale
# A detractor's follow-up is due, and the loop counts as closed in time, within this many
# business days of the answer.
CLOSE_LOOP_BUSINESS_DAYS = env_int("CLOSE_LOOP_BUSINESS_DAYS", 2)
KPI_ALIGNMENT_REVIEW_DAYS = env_int("KPI_ALIGNMENT_REVIEW_DAYS", 90)
KPI_CLV_MAX_YEARS = env_int("KPI_CLV_MAX_YEARS", 10)
# Weight of each KPI in a scorecard's headline score ({"nps": 2}); unlisted KPIs weigh 1, 0 leaves
# a KPI out. Checked when a scorecard is shown (metrics/composite.py).
KPI_SCORE_WEIGHTS: dict[str, float] = {}
KPI_SNAPSHOT_EVERY_MINUTES = env_int("KPI_SNAPSHOT_EVERY_MINUTES", 60)
# A closed period keeps being recomputed this long (late entries), then is frozen.
KPI_FREEZE_AFTER_HOURS = env_int("KPI_FREEZE_AFTER_HOURS", 24)
# Writes to KPI inputs recompute the open periods this many seconds later, once per burst
# (metrics/refresh.py); the lock keeps two refreshes from overlapping.
KPI_REFRESH_AFTER_WRITES = env_bool("KPI_REFRESH_AFTER_WRITES", default=True)
KPI_REFRESH_DELAY_SECONDS = env_int("KPI_REFRESH_DELAY_SECONDS", 10)
KPI_REFRESH_LOCK_SECONDS = env_int("KPI_REFRESH_LOCK_SECONDS", 15 * 60)
# PostgreSQL work_mem for the queries of a KPI batch of several periods (a backfill, the open
# month, quarter and year), per hash or sort node of one worker's query; "" keeps the server's
# (metrics/engine.py, docs/kpis-implementation.md).
KPI_WORK_MEM = env_str("KPI_WORK_MEM", "64MB").strip()
if KPI_WORK_MEM and not re.fullmatch(r"[0-9]+ ?(kB|MB|GB)?", KPI_WORK_MEM):
    raise ImproperlyConfigured('KPI_WORK_MEM must be a PostgreSQL size such as "64MB", or "".')
# PostgreSQL random_page_cost for the KPI engine's queries: its tables are read from memory or
# SSD, where the server's default of 4 overprices index pages; "" keeps the server's
# (metrics/engine.py, docs/kpis-implementation.md, "Planner costs").
KPI_RANDOM_PAGE_COST = env_str("KPI_RANDOM_PAGE_COST", "1.1").strip()
if KPI_RANDOM_PAGE_COST and not re.fullmatch(r"[0-9]+(\.[0-9]+)?", KPI_RANDOM_PAGE_COST):
    raise ImproperlyConfigured('KPI_RANDOM_PAGE_COST must be a number such as "1.1", or "".')
CELERY_BEAT_SCHEDULE |= {
    "metrics-snapshot-kpis": {
        "task": "metrics.tasks.snapshot_schedule",
        "schedule": KPI_SNAPSHOT_EVERY_MINUTES * 60.0,
    },
}

# --- Surveys ----------------------------------------------------------------------------------
SURVEY_NPS_CYCLE_DAYS = env_int("SURVEY_NPS_CYCLE_DAYS", 90)  # relationship NPS per contact
SURVEY_THROTTLE_DAYS = env_int("SURVEY_THROTTLE_DAYS", 30)  # at most one survey per contact
SURVEY_EXPIRY_DAYS = env_int("SURVEY_EXPIRY_DAYS", 30)
SURVEY_REMINDER_AFTER_DAYS = env_int("SURVEY_REMINDER_AFTER_DAYS", 7)
SURVEY_ANSWER_EDIT_DAYS = env_int("SURVEY_ANSWER_EDIT_DAYS", 7)  # answering again updates
# What a resolved support issue asks: "csat" (default) or "ces". Projects always ask CES.
SURVEY_ISSUE_RESOLVED_KIND = env_str("SURVEY_ISSUE_RESOLVED_KIND", "csat")
if SURVEY_ISSUE_RESOLVED_KIND not in ("csat", "ces"):
    raise ImproperlyConfigured("SURVEY_ISSUE_RESOLVED_KIND must be csat or ces.")
SURVEY_EMAIL_MAX_ATTEMPTS = env_int("SURVEY_EMAIL_MAX_ATTEMPTS", 6)
SURVEY_EMAIL_RETRY_BASE_SECONDS = env_int("SURVEY_EMAIL_RETRY_BASE_SECONDS", 60)
# A claimed e-mail whose worker died is retried after this lease.
SURVEY_EMAIL_LEASE_SECONDS = env_int("SURVEY_EMAIL_LEASE_SECONDS", 300)
SURVEY_PAGE_RATE_LIMIT = env_int("SURVEY_PAGE_RATE_LIMIT", 30)  # requests per IP per window
SURVEY_PAGE_RATE_WINDOW_SECONDS = env_int("SURVEY_PAGE_RATE_WINDOW_SECONDS", 60)
# Password-reset requests per client address and per e-mail address in each window.
PASSWORD_RESET_LIMIT_PER_IP = env_int("PASSWORD_RESET_LIMIT_PER_IP", 10)
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 3)
PASSWORD_RESET_WINDOW_SECONDS = env_int("PASSWORD_RESET_WINDOW_SECONDS", 3600)
# Requests per survey link per window, whatever the address: an NPS e-mail has 11 score links,
# which a mail scanner may follow all at once, and the person then needs a few more.
SURVEY_TOKEN_RATE_LIMIT = env_int("SURVEY_TOKEN_RATE_LIMIT", 20)
CELERY_BEAT_SCHEDULE |= {
    "surveys-sweep-outbox": {"task": "surveys.tasks.sweep_outbox", "schedule": 60.0},
    "surveys-relationship-nps": {
        "task": "surveys.tasks.send_relationship_nps",
        "schedule": 6 * 60 * 60.0,
    },
    "surveys-reminders": {"task": "surveys.tasks.send_reminders", "schedule": 60 * 60.0},
}

# --- Integrations (integrations/, docs/integrations.md) ----------------------------------------
# REST API: JSON only (DRF's browsable pages need inline scripts, which the CSP forbids); the
# reference page is Swagger UI, vendored.
API_RATE_LIMIT = env_str("API_RATE_LIMIT", "120/min")  # per token (per user for a session)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrations.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["integrations.api.auth.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["integrations.api.auth.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "integrations.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Truthful CRM API",
    "DESCRIPTION": "The relationship book, survey answers and KPI snapshots. "
    "Authenticate with the header 'Authorization: Bearer crm_…' (a personal access token "
    "from the integrations page).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "InteractionKind": "crm.models.Interaction.Kind",
        "DealKind": "crm.models.Deal.Kind",
        "SurveyKind": "surveys.models.SurveyKind",
        "StageKind": "crm.models.StageKind",
    },
}
# E-mail capture: each user's address is <key>@MAIL_CAPTURE_DOMAIN; the SMTP receiver
# (manage.py capture_smtp, in the Procfile) listens on MAIL_CAPTURE_SMTP_HOST:PORT. With
# MAIL_CAPTURE_IMAP_URL (imap[s]://user:password@host:port/MAILBOX) beat also polls a mailbox.
MAIL_CAPTURE_DOMAIN = env_str("MAIL_CAPTURE_DOMAIN", "capture.localhost")
MAIL_CAPTURE_SMTP_HOST = env_str("MAIL_CAPTURE_SMTP_HOST", "127.0.0.1")
MAIL_CAPTURE_SMTP_PORT = env_int("MAIL_CAPTURE_SMTP_PORT", 2525)
MAIL_CAPTURE_MAX_BYTES = env_int("MAIL_CAPTURE_MAX_BYTES", 10 * 1024 * 1024)
MAIL_CAPTURE_SNIPPET_CHARS = 500
MAIL_CAPTURE_IMAP_URL = env_str("MAIL_CAPTURE_IMAP_URL")
if MAIL_CAPTURE_IMAP_URL:
    CELERY_BEAT_SCHEDULE |= {
        "integrations-poll-imap": {"task": "integrations.mail.tasks.poll_imap", "schedule": 60.0}
    }
# Webhooks: attempts per delivery (backing off WEBHOOK_RETRY_BASE_SECONDS × 4^n), and failed
# attempts in a row after which a subscription is paused.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
WEBHOOK_PAUSE_AFTER_FAILURES = env_int("WEBHOOK_PAUSE_AFTER_FAILURES", 10)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
CELERY_BEAT_SCHEDULE |= {
    "integrations-follow-ups-overdue": {
        "task": "integrations.webhooks.tasks.emit_overdue_follow_ups",
        "schedule": 60 * 60.0,
    },
    "integrations-sweep-webhooks": {
        "task": "integrations.webhooks.tasks.sweep_pending_deliveries",
        "schedule": 15 * 60.0,
    },
}

# --- Security ---------------------------------------------------------------------------------
# How many reverse proxies / load balancers we run in front of the app, each appending to
# X-Forwarded-For (crm/client_ip.py). 0: clients connect directly and REMOTE_ADDR is theirs.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Only the load test turns these off: it drives gunicorn over plain http on 127.0.0.1.
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_survey_tokens": {"()": "crm.logfilters.RedactSurveyTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_survey_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Replaces Django's own handlers for its loggers, so every line passes the filters.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}
