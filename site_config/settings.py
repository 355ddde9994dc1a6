"""Settings for the whole project, driven by environment variables.

Every variable is read here, typed, through environs' `env` below; the README's settings
table lists them all. Local defaults are safe: a SQLite file beside the code and
DEBUG off. A `.env` file at the project root (never committed; `make run` writes one with a
generated secret key) fills in what the environment does not set. Production sets
DJANGO_SECRET_KEY (required whenever DEBUG is off), DJANGO_ALLOWED_HOSTS and, optionally,
DATABASE_URL; behind HTTPS it also turns on the DJANGO_SECURE_* switches below (off by
default so that plain http://127.0.0.1 works).
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from environs import Env, validate

BASE_DIR = Path(__file__).resolve().parent.parent

# Every variable is read below with its type and default (environs: a value that does not
# parse stops the start with the variable's name and what is wrong with it).
env = Env()
# Values already in the environment win over the file's.
env.read_env(env.path("DJANGO_ENV_FILE", BASE_DIR / ".env"), recurse=False)

DEBUG = env.bool("DJANGO_DEBUG", False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DEBUG is off (set DJANGO_DEBUG=1 for development)."
        )
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Form widgets' own templates, for the TemplatesSetting form renderer below.
    "django.forms",
    "django_htmx",
    # Listed so that the API docs page is served from the package's own static files.
    "ninja",
    "template_partials",
    "bootstrap",
    "axes",
    # Django's Tasks API (the backport of Django 6's django.tasks) and its database queue.
    "django_tasks",
    "django_tasks_db",
    "survival",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the collected static files in production (`make serve`), before anything else
    # touches the request.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Counts and times every request Django answers (static files excepted), by URL name.
    "survival.ops.metrics.RequestMetricsMiddleware",
    # django-csp's middleware, with the site's policy header built once per process.
    "survival.ops.csp.PolicyHeaderMiddleware",
    # Inside the CSP middleware, so the error pages it makes get the same headers as any.
    "survival.error_pages.ErrorPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out client is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Forms find their templates where pages do, so a field can be drawn by a project template
# (templates/survival/field.html).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

ROOT_URLCONF = "site_config.urls"
WSGI_APPLICATION = "site_config.wsgi.application"
ASGI_APPLICATION = "site_config.asgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.dj_db_url(
        "DATABASE_URL",
        f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env.int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several workers write prediction rows to one file: writers queue for the lock (up to
    # 20 s) instead of failing, and WAL lets readers go on meanwhile without an fsync per row.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- security ----------------------------------------------------------------------------
# Behind HTTPS (directly or through a proxy) production turns these on; they stay off by
# default so that `make run`, the tests and a first look on http://127.0.0.1 work.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", False)
# "HTTP_X_FORWARDED_PROTO,https": the header a trusted proxy sets on HTTPS requests. Only set
# it when such a proxy strips that header from clients, or anyone could claim HTTPS.
_proxy_ssl_header = env.list("DJANGO_SECURE_PROXY_SSL_HEADER", [])
if _proxy_ssl_header:
    if len(_proxy_ssl_header) != 2:
        raise ImproperlyConfigured(
            "DJANGO_SECURE_PROXY_SSL_HEADER must be 'HEADER,value', "
            "e.g. HTTP_X_FORWARDED_PROTO,https"
        )
    SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SAMESITE = "Lax"
# Said explicitly although they are Django's defaults: they are part of the contract.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: scripts and styles only from our own files, never inline, never
# eval. htmx is configured for that in templates/base.html. data: images are the icons that
# Bootstrap's CSS draws (select arrows, checks).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Admin logins: after AXES_FAILURE_LIMIT wrong passwords for one username from one address,
# that pair is refused (HTTP 429) for AXES_COOLOFF_TIME hours. Addresses are REMOTE_ADDR.
AXES_FAILURE_LIMIT = env.int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env.float("DJANGO_LOGIN_COOLOFF_HOURS", 0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Lockouts are still logged; the banner it prints at every start of manage.py is not.
AXES_VERBOSE = False
# A lockout is answered with the site's own 429 page.
AXES_LOCKOUT_CALLABLE = "survival.error_pages.login_locked_out"
# A refused CSRF check is answered with the site's own 403 page.
CSRF_FAILURE_VIEW = "survival.error_pages.csrf_failure"

# Request sizes. Form and JSON bodies are read into memory: the largest any view accepts is
# the API's (API_MAX_BODY_BYTES, below), so that is the limit for every body; larger ones are
# refused (400; the API answers 413 itself). Uploaded files (the /batch page, one file, up to
# BATCH_MAX_UPLOAD_BYTES) do not count towards it; above FILE_UPLOAD_MAX_MEMORY_SIZE they
# are spooled to a temporary file instead of memory.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
DATA_UPLOAD_MAX_NUMBER_FILES = 1
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles")

# This host's cache of trained model files and plots. The database holds their bytes (each
# version's StoredArtifact rows), so hosts share nothing but the database: each keeps its own
# cache here, checks every copy's sha256 before use and fetches a missing or altered one
# again. The "artifacts" storage must be a local FileSystemStorage; it is never served.
ARTIFACTS_DIR = env.path("ARTIFACTS_DIR", BASE_DIR / "artifacts")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # `make serve` collects into hashed, compressed files that whitenoise serves with
    # far-future cache headers; development and tests use the files where they are.
    "staticfiles": {
        "BACKEND": env.str(
            "DJANGO_STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
    "artifacts": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": ARTIFACTS_DIR, "base_url": None},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
}

# Django's cache holds the API's throttle counts (sessions are in the database, whatever the
# cache). REDIS_URL (e.g. redis://host:6379/0) puts them in Redis, which every host shares, so
# a client's limit holds across hosts. Without it: DJANGO_CACHE_BACKEND/LOCATION, by default
# one SQLite file in a folder (survival/ops/host_cache.py), shared by every worker of one
# host only (`make serve` runs several); it costs tens of microseconds a request, where
# Django's file cache, a file written and renamed per request, cost a large part of an API
# answer.
REDIS_URL = env.str("REDIS_URL", "")
# A Redis that does not answer costs a request at most this long (connecting, then each
# command), and is never retried within the request: the throttle then lets the request
# through (API_THROTTLE_FAIL_OPEN) rather than hold it up.
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", 0.5)
if REDIS_URL:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
                "retry": Retry(NoBackoff(), 0),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": env.str("DJANGO_CACHE_BACKEND", "survival.ops.host_cache.SQLiteCache"),
            "LOCATION": env.str("DJANGO_CACHE_LOCATION", str(BASE_DIR / "cache")),
        }
    }

# The JSON API: predictions per client ("<count>/<s|min|hour|day>"), and the largest body.
API_PREDICT_RATE = env.str("API_PREDICT_RATE", "120/min")
# API keys (issued in the admin or with `manage.py api_key create`): with API_REQUIRE_KEY on,
# the prediction endpoints refuse calls without one (401); off, such calls are limited per
# client by API_PREDICT_RATE. A key's calls are limited by its own rate, by default this one.
API_REQUIRE_KEY = env.bool("API_REQUIRE_KEY", False)
API_KEY_RATE = env.str(
    "API_KEY_RATE",
    "600/min",
    validate=validate.Regexp(
        r"^[1-9][0-9]{0,8}/(s|sec|m|min|h|hour|d|day)$",
        error="write <count>/<s|min|hour|day> with a count of at least 1, e.g. 600/min",
    ),
)
# API_MAX_BODY_BYTES is set with the request size limits above.
# The client is the connecting address; behind N trusted proxies, the Nth address from the
# end of X-Forwarded-For (0 ignores the header, which clients could otherwise forge).
NINJA_NUM_PROXIES = env.int("API_TRUSTED_PROXIES", 0)
# When the cache holding the throttle counts cannot be reached (Redis down): on, the request
# goes through unthrottled (a warning in the log, titanic_throttle_cache_errors_total counts
# it) and /readyz stays ready, reporting the cache; off, the API answers 503 and /readyz
# answers 503 naming the cache.
API_THROTTLE_FAIL_OPEN = env.bool("API_THROTTLE_FAIL_OPEN", True)

# The /batch page: the largest upload and the most rows it scores.
BATCH_MAX_UPLOAD_BYTES = env.int("BATCH_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
BATCH_MAX_ROWS = env.int("BATCH_MAX_ROWS", 200_000)
# Files with more rows than this are scored by a background job (a page with a progress bar);
# smaller ones in the upload's own request, which takes well under a second for them.
BATCH_BACKGROUND_ROWS = env.int("BATCH_BACKGROUND_ROWS", 5_000)

# --- background jobs ---------------------------------------------------------------------
# Django's Tasks API queued in the database (django-tasks-db): `manage.py db_worker` takes the
# tasks; `make run` and `make serve` start one beside the web server. Each job's state,
# progress, upload and result live in the database (survival.models.Job), never on a disk.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# How long a finished job's files (the upload, the scored CSV) can be downloaded.
JOB_RESULT_HOURS = env.float("JOB_RESULT_HOURS", 24)
# A running job whose worker gave no sign of life for this long is marked failed: the
# worker was killed or its machine stopped. Workers beat every sixth of it.
JOB_STALE_SECONDS = env.float("JOB_STALE_SECONDS", 60)

# --- operating the model -----------------------------------------------------------------
# The promotion gate: a version is activated only when its held-out ROC AUC is at least
# min_auc and its Brier score at most max_brier and, compared with the active version, its
# ROC AUC is at most max_auc_drop lower and its Brier score at most max_brier_rise higher.
# The bundled data gives every candidate a held-out ROC AUC of about 0.85–0.90 and a Brier
# score of about 0.12–0.15, well inside the floors, so a first model always activates.
PROMOTION_GATE = {
    "max_auc_drop": env.float("PROMOTION_GATE_MAX_AUC_DROP", 0.02),
    "max_brier_rise": env.float("PROMOTION_GATE_MAX_BRIER_RISE", 0.02),
    "min_auc": env.float("PROMOTION_GATE_MIN_AUC", 0.75),
    "max_brier": env.float("PROMOTION_GATE_MAX_BRIER", 0.20),
}

# GET /metrics (Prometheus): open when DEBUG is on; in production off, unless METRICS_TOKEN
# is set, and then only for requests carrying "Authorization: Bearer <METRICS_TOKEN>".
# METRICS_ENABLED=1 without a token opens it to anyone who can reach the server (e.g. when
# only a private network can).
METRICS_TOKEN = env.str("METRICS_TOKEN", "")
METRICS_ENABLED = env.bool("METRICS_ENABLED", DEBUG or bool(METRICS_TOKEN))
