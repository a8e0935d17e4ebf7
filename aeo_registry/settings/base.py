"""AEO Registry settings.

One ``environ.Env()``; behaviour is switched by environment variables, never by a second
settings file for production. With nothing set the project runs embedded: SQLite, eager
Celery and a local-memory cache. README "Configuration" lists every variable.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(or DEBUG=true for local development only)."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. Set ALLOWED_HOSTS to the comma-separated host names "
        "this service answers to (or DEBUG=true for local development only)."
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "stakeholders",
    "accreditation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files (admin, API docs, dashboard) under gunicorn too.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "aeo_registry.urls"
WSGI_APPLICATION = "aeo_registry.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "aeo_registry" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# PostgreSQL when DATABASE_URL is set (psycopg 3, persistent connections: closing them on every
# request made lookups 5.7x slower here). SQLite otherwise, with IMMEDIATE transactions so that
# a write transaction takes the lock up front: select_for_update is a no-op on SQLite.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Redis: broker, cache and trust snapshots on separate database numbers -----------------
# The broker wants `noeviction`, a cache wants LRU: in production give each its own instance
# through CELERY_BROKER_URL / CACHE_URL / TRUST_SNAPSHOT_REDIS_URL.
def _redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=_redis_db(REDIS_URL, 0) if REDIS_URL else ""
)
CACHE_URL = env.str("CACHE_URL", default=_redis_db(REDIS_URL, 1) if REDIS_URL else "")
TRUST_SNAPSHOT_REDIS_URL = env.str(
    "TRUST_SNAPSHOT_REDIS_URL", default=_redis_db(REDIS_URL, 2) if REDIS_URL else ""
)

if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------------
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Longer than any task or countdown; long delays live in rows that the beat sweep scans.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
# Periodic work, in code (django-celery-beat pins Django < 6.1). Run it with `make beat`.
CELERY_BEAT_SCHEDULE: dict = {
    "outbox-relay": {"task": "accreditation.outbox_relay", "schedule": 15.0},
    # Legal clocks: overdue acceptance/decisions, hearing deadlines, grants taking effect,
    # suspensions expiring into revocation.
    "accreditation-clock-sweep": {"task": "accreditation.clock_sweep", "schedule": 300.0},
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/api-auth/login/"
LOGIN_REDIRECT_URL = "/api/docs/"

# Tokens are stored hashed (knox) and expire.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("AUTH_TOKEN_TTL_HOURS", default=10)),
    "AUTO_REFRESH": True,
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_LIMIT_PER_USER": 20,
}
# Login attempts per client address and per username (atomic counter in the cache).
LOGIN_THROTTLE_RATE = env.str("LOGIN_THROTTLE_RATE", default="10/min")
REGISTER_THROTTLE_RATE = env.str("REGISTER_THROTTLE_RATE", default="20/hour")
API_KEY_THROTTLE_RATE = env.str("API_KEY_THROTTLE_RATE", default="100000/min")
# Verified API keys are cached in-process this long; revocation takes effect within it.
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=30)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "aeo_registry.authentication.HashedTokenAuthentication",
        "aeo_registry.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "aeo_registry.api.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "aeo_registry.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "AEO Registry API",
    "DESCRIPTION": (
        "Registry of cross-border e-commerce operators, AEO accreditation workflow and trust "
        "lookups for risk engines. Errors share one shape: see the `Error` component."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The docs UI is served from our own static files: customs networks are often closed.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "RoleCodeEnum": "stakeholders.models.RoleCode",
        "IdentifierTypeEnum": "stakeholders.identifiers.IdentifierType",
        "MembershipRoleEnum": "stakeholders.models.MembershipRole",
        "RelationshipKindEnum": "stakeholders.models.RelationshipKind",
        "AeoTypeEnum": "accreditation.models.AeoType",
        "ApplicationStatusEnum": "accreditation.models.ApplicationStatus",
        "AuthorisationStatusEnum": "accreditation.models.AuthorisationStatus",
        "FindingSeverityEnum": "accreditation.models.Severity",
        "InfringementSeverityEnum": "accreditation.models.InfringementSeverity",
    },
}

# --- Internationalisation, static, media ---------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))

MAILERS = {
    "default": {
        "BACKEND": env.str(
            "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
        )
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="aeo-registry@customs.example")

# --- Domain settings ------------------------------------------------------------------------
# The administration's territory: applicants must be established here; others are known
# through MRAs. Default: the 27 EU member states.
AEO_TERRITORY = env.list(
    "AEO_TERRITORY",
    default=[
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "GR", "DE", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    ],
)  # fmt: skip
AEO_DEFAULT_PROFILE = env.str("AEO_DEFAULT_PROFILE", default="EU_UCC")
# Documents attached to applications: size limit and accepted types (content type → extensions).
AEO_DOCUMENT_MAX_BYTES = env.int("AEO_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
AEO_DOCUMENT_TYPES = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "text/csv": (".csv",),
    "text/plain": (".txt",),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Trust lookups (accreditation/trust) ----------------------------------------------------
# Socket timeout of the snapshot store: past it, lookups answer from PostgreSQL.
TRUST_SNAPSHOT_TIMEOUT = env.float("TRUST_SNAPSHOT_TIMEOUT", default=0.25)
# Lookups per period for signed-in people (API keys use API_KEY_THROTTLE_RATE); a bulk
# request counts one per item.
TRUST_USER_THROTTLE_RATE = env.str("TRUST_USER_THROTTLE_RATE", default="6000/min")
# Queue lookup-log entries in Redis (same round trip as the lookup) and store them in batches.
TRUST_LOOKUP_LOG_ASYNC = env.bool("TRUST_LOOKUP_LOG_ASYNC", default=True)
TRUST_LOOKUP_LOG_RETENTION_DAYS = env.int("TRUST_LOOKUP_LOG_RETENTION_DAYS", default=400)
TRUST_WEBHOOK_TIMEOUT = env.float("TRUST_WEBHOOK_TIMEOUT", default=5.0)
TRUST_WEBHOOK_MAX_ATTEMPTS = env.int("TRUST_WEBHOOK_MAX_ATTEMPTS", default=10)
TRUST_WEBHOOK_BACKOFF_SECONDS = env.int("TRUST_WEBHOOK_BACKOFF_SECONDS", default=30)
# Hosts webhooks may be sent to (".example.org" admits subdomains). Empty: any public host.
# A listed host may be on a private network; an unlisted one must resolve to public addresses.
TRUST_WEBHOOK_ALLOWED_HOSTS = env.list("TRUST_WEBHOOK_ALLOWED_HOSTS", default=[])
MRA_EXPORT_DIR = env.str("MRA_EXPORT_DIR", default=str(BASE_DIR / "var" / "mra"))
CELERY_BEAT_SCHEDULE.update(
    {
        "trust-sweep": {"task": "accreditation.trust_sweep", "schedule": 60.0},
        "trust-lookup-log-drain": {"task": "accreditation.trust_lookup_log_drain", "schedule": 5.0},
        "trust-webhook-retry": {"task": "accreditation.trust_webhook_retry", "schedule": 30.0},
        "trust-lookup-log-purge": {
            "task": "accreditation.trust_lookup_log_purge",
            "schedule": 3600.0,
        },
    }
)
