"""Settings, all from the environment (or a `.env` file); see CONTRACT.md and .env.example.

On a fresh machine with nothing set this runs the development setup: SQLite, an
in-memory channel layer, console email, DEBUG on, loopback hosts only, and secrets made for
this checkout (voiceagent/dev_secrets.py). No secret is written in the code: with DEBUG off,
a missing SECRET_KEY or carrier auth token stops the server at start.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
import phonenumbers
from django.core.exceptions import ImproperlyConfigured

from voiceagent.dev_secrets import development_secrets

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Variables already in the environment win over the file (tests point ENV_FILE elsewhere).
environ.Env.read_env(env.path("ENV_FILE", default=str(BASE_DIR / ".env")))

NOTHING_CONFIGURED = "SECRET_KEY" not in env and "DEBUG" not in env
DEBUG = env.bool("DEBUG", default=NOTHING_CONFIGURED)
SECRET_KEY = env.str("SECRET_KEY", default="")
# The carriers whose numbers we answer: name -> (label, class, its auth token setting). A new
# carrier is a package under calls/carriers/ and one line here (calls/carriers/registry.py).
# A carrier without a token answers its webhooks 503 (calls/views.py) and accepts no stream;
# with DEBUG off at least one must be set.
CARRIERS = {
    "twilio": ("Twilio", "calls.carriers.twilio.carrier.TwilioCarrier", "TWILIO_AUTH_TOKEN"),
    "plivo": ("Plivo", "calls.carriers.plivo.carrier.PlivoCarrier", "PLIVO_AUTH_TOKEN"),
}
CARRIER_TOKEN_SETTINGS = {name: token for name, (_label, _path, token) in CARRIERS.items()}
# Where development mode keeps the secrets it made for this checkout, beside the demo login.
DEV_SECRETS_FILE = env.path("DEV_SECRETS_FILE", default=str(BASE_DIR / ".demo" / "secrets.env"))
# Loopback only unless told otherwise (and the host of PUBLIC_URL, e.g. an ngrok tunnel, when set).
_public_host = urlsplit(env.str("PUBLIC_URL", default="")).hostname
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", *filter(None, [_public_host])])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Providers --------------------------------------------------------------------------
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_REALTIME_URL = env.str("OPENAI_REALTIME_URL", default="wss://api.openai.com/v1/realtime")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="https://api.openai.com/v1")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
PLIVO_AUTH_ID = env.str("PLIVO_AUTH_ID", default="")
PLIVO_AUTH_TOKEN = env.str("PLIVO_AUTH_TOKEN", default="")
if DEBUG and not (SECRET_KEY and TWILIO_AUTH_TOKEN and PLIVO_AUTH_TOKEN):
    # Made once per checkout; the simulator reads the same file, so its signatures match.
    try:
        _made = development_secrets(Path(DEV_SECRETS_FILE), ("SECRET_KEY", "TWILIO_AUTH_TOKEN", "PLIVO_AUTH_TOKEN"))
    except OSError as exc:
        raise ImproperlyConfigured(
            "Set SECRET_KEY, TWILIO_AUTH_TOKEN and PLIVO_AUTH_TOKEN, or DEV_SECRETS_FILE to a writable file: "
            f"{exc.strerror}"
        ) from None
    SECRET_KEY = SECRET_KEY or _made["SECRET_KEY"]
    TWILIO_AUTH_TOKEN = TWILIO_AUTH_TOKEN or _made["TWILIO_AUTH_TOKEN"]
    PLIVO_AUTH_TOKEN = PLIVO_AUTH_TOKEN or _made["PLIVO_AUTH_TOKEN"]
if not DEBUG:
    # Only names in these messages: never a value.
    if not SECRET_KEY:
        raise ImproperlyConfigured("Set SECRET_KEY: DEBUG is off, and a deployment needs a secret key of its own.")
    if not any(globals()[name] for name in CARRIER_TOKEN_SETTINGS.values()):
        raise ImproperlyConfigured(
            "Set the auth token of at least one carrier (" + " or ".join(CARRIER_TOKEN_SETTINGS.values()) + "): "
            "DEBUG is off, and without one no webhook or media stream can be verified."
        )
PUBLIC_URL = env.str("PUBLIC_URL", default="").rstrip("/")
# Behind a proxy that sets X-Forwarded-Proto/Host, trust them to rebuild the public URL.
# (`daphne --proxy-headers` already takes the scheme from X-Forwarded-Proto; a proxy that
# passes the public Host on, as deploy/nginx/voiceagent.conf does, needs neither.)
# voiceagent/proxy.py warns when a request arrives without them while this is on.
TRUST_PROXY_HEADERS = env.bool("TRUST_PROXY_HEADERS", default=False)
if TRUST_PROXY_HEADERS:
    USE_X_FORWARDED_HOST = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# How long the stream token in the TwiML stays valid: Twilio connects within a second or two.
STREAM_TOKEN_MAX_AGE = env.int("STREAM_TOKEN_MAX_AGE", default=60)
# How long to wait for the model's websocket before apologising to the caller.
REALTIME_CONNECT_TIMEOUT = env.float("REALTIME_CONNECT_TIMEOUT", default=5.0)
# An accepted media stream must send its `start` within this long, or it is closed and recorded.
STREAM_START_TIMEOUT = env.float("STREAM_START_TIMEOUT", default=5.0)
# Threads kept for HTTP requests (webhooks, pages) between requests, each with its database
# connection (voiceagent/request_threads.py); a request that finds none free gets a new thread.
REQUEST_THREADS = env.int("REQUEST_THREADS", default=8)
# The writes a live call queues (transcripts, events, tool-call records, its end, its recording)
# in this many worker processes per server process instead of its threads, where the ORM's Python
# competes with the audio for the GIL (voiceagent/db.py; README, *Production*). 0: threads.
CALL_DB_PROCESSES = env.int("CALL_DB_PROCESSES", default=0)
# How far below the media server background work runs in the CPU's queue (`nice`): Celery's worker
# and the database worker processes. Under contention the audio of live calls goes first.
BACKGROUND_NICENESS = env.int("BACKGROUND_NICENESS", default=10)
if REQUEST_THREADS < 0 or CALL_DB_PROCESSES < 0 or not 0 <= BACKGROUND_NICENESS <= 19:
    raise ImproperlyConfigured(
        "REQUEST_THREADS and CALL_DB_PROCESSES must be 0 or more, and BACKGROUND_NICENESS from 0 to 19"
        " (a process may lower its CPU priority, not raise it)."
    )
# Twilio's REST API (hang-up, transfer); tests and the simulator point it at a local fake.
TWILIO_API_URL = env.str("TWILIO_API_URL", default="https://api.twilio.com").rstrip("/")
TWILIO_API_TIMEOUT = env.float("TWILIO_API_TIMEOUT", default=10.0)
# Plivo's REST API (hang-up, transfer), likewise pointed at a local fake in tests.
PLIVO_API_URL = env.str("PLIVO_API_URL", default="https://api.plivo.com").rstrip("/")
PLIVO_API_TIMEOUT = env.float("PLIVO_API_TIMEOUT", default=10.0)
# Text message replies (sms/): a failing text API is retried this many times, SMS_RETRY_DELAY s doubling.
SMS_MAX_RETRIES = env.int("SMS_MAX_RETRIES", default=3)
SMS_RETRY_DELAY = env.float("SMS_RETRY_DELAY", default=5.0)

# --- Django -----------------------------------------------------------------------------
INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "agents",
    "calls",
    "tools",
    "sms",  # after agents: it adds inlines to the agent and number pages
    "mcp_server",
    "dashboard",
    "recordings",
    "costs",
    "outbound",
]

MIDDLEWARE = [
    "voiceagent.proxy.ProxyHeadersCheck",  # only with TRUST_PROXY_HEADERS on
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers locked-out logins
]

# Admin logins are throttled (django-axes): after AXES_FAILURE_LIMIT failures for one username
# from one address, that pair is locked out for AXES_COOLOFF_HOURS. The address is REMOTE_ADDR
# (django-ipware is not installed): behind a proxy, `daphne --proxy-headers` puts the first
# X-Forwarded-For address there, which the proxy must set, not append to (a client's own header
# would come first): deploy/nginx/voiceagent.conf, tested by tests/test_proxy.py.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(hours=env.float("AXES_COOLOFF_HOURS", default=1.0))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

ROOT_URLCONF = "voiceagent.urls"
ASGI_APPLICATION = "voiceagent.asgi.application"

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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Many calls write at once: WAL lets readers go on, IMMEDIATE avoids upgrade deadlocks,
    # and the timeout makes a busy database wait briefly instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Calls write from the thread pool: keep each thread's connection rather than opening one
# (and, on SQLite, re-running the PRAGMAs) for every transcript write.
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# A `?conn_health_checks=false` in the URL reaches us as the string "false", which would read as true.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.parse_value(str(DATABASES["default"]["CONN_HEALTH_CHECKS"]), bool)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# Where a number typed without its country code is read ("(555) 010-0001" is +15550100001 in US).
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="US").strip().upper()
if PHONE_DEFAULT_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(f"PHONE_DEFAULT_REGION={PHONE_DEFAULT_REGION!r} is not a region code such as US or GB.")
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Call recordings (recordings/): spooled on local disk while the call runs, then saved through
# STORAGES["recordings"]; any Django storage backend (django-storages' S3Storage, …) by settings only.
RECORDINGS_SPOOL_DIR = env.path("RECORDINGS_SPOOL_DIR", default=str(Path(MEDIA_ROOT) / "spool"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "recordings": {
        "BACKEND": env.str("RECORDINGS_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("RECORDINGS_STORAGE_OPTIONS", default={"location": str(Path(MEDIA_ROOT) / "recordings")}),
    },
}

# --- Channels, Celery, email ------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # redis-py 8 gives sockets a 5 s read timeout by default, the same as channels-redis's
    # blocking pop: every idle consumer would die with TimeoutError. Give reads more room.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "voiceagent.layers.ResilientRedisChannelLayer",  # a Redis outage never ends a call
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without a broker, post-call work runs in-process, in a worker thread of the server.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# `celery -A voiceagent beat`: close calls a stopped server process left open.
CELERY_BEAT_SCHEDULE = {
    "close-stale-calls": {"task": "calls.close_stale_calls", "schedule": 300.0},
    # Spools of calls the sweep above closed are stored; recordings past their agent's retention deleted.
    "store-orphan-recordings": {"task": "recordings.store_orphans", "schedule": 300.0},
    "delete-expired-recordings": {"task": "recordings.delete_expired", "schedule": 3600.0},
    # Schedules, campaigns and retries of outbound calls: dial whatever has come due.
    "dispatch-due-outbound-calls": {"task": "outbound.dispatch_due", "schedule": 60.0},
}
# Keep Django's LOGGING in the worker: its handler carries the filter that redacts secrets.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

if "EMAIL_URL" in env:
    vars().update(env.email("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="voiceagent@localhost")

# --- After the call (calls/postcall): summary, extraction, email ------------------------
POSTCALL_ENABLED = env.bool("POSTCALL_ENABLED", default=True)
POSTCALL_MAX_RETRIES = env.int("POSTCALL_MAX_RETRIES", default=3)
# Seconds before the first retry of a failed step; doubles each time.
POSTCALL_RETRY_DELAY = env.float("POSTCALL_RETRY_DELAY", default=10.0)
POSTCALL_TEXT_TIMEOUT = env.float("POSTCALL_TEXT_TIMEOUT", default=30.0)

# --- MCP: the call history for AI assistants (mcp_server/, README "MCP") -----------------
# Host and Origin headers /mcp/ accepts; empty: ALLOWED_HOSTS (wildcards left out), PUBLIC_URL's
# host and loopback. A request with another Host is refused (DNS rebinding protection).
MCP_ALLOWED_HOSTS = env.list("MCP_ALLOWED_HOSTS", default=[])
MCP_ALLOWED_ORIGINS = env.list("MCP_ALLOWED_ORIGINS", default=[])
# An HTTP session with no request for this long is closed; the client opens a new one.
MCP_SESSION_IDLE_TIMEOUT = env.float("MCP_SESSION_IDLE_TIMEOUT", default=1800.0)

# --- Production hardening (on whenever DEBUG is off) ------------------------------------
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
    SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Logging: secrets are redacted from every record ------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "voiceagent.logging.RedactSecrets"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "websockets": {"level": "WARNING"},
        # The twilio client logs every request's method, URL and headers at INFO: ten lines per call placed.
        "twilio.http_client": {"level": "WARNING"},
        # django-axes announces its configuration at INFO each time the project starts: every command.
        "axes.apps": {"level": "WARNING"},
    },
}
