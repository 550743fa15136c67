"""Django settings for anbiao. Every value that differs between deployments comes from the
environment; docs/configuration.md lists each variable."""

import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ANBIAO_VAR_DIR", str(BASE_DIR / "var")))
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("ANBIAO_DEBUG", False)
# A development checkout (ANBIAO_DEV=1, set by scripts/run.sh, scripts/test.sh and CI), debug mode
# and the test suite may run on a fixed, public key; anything else is production and must bring
# its own, or sessions and password-reset tokens could be forged by anyone who read this file.
DEV = DEBUG or env_bool("ANBIAO_DEV", False) or "pytest" in sys.modules
SECRET_KEY = env_str("ANBIAO_SECRET_KEY")
if not SECRET_KEY:
    if not DEV:
        raise ImproperlyConfigured(
            "ANBIAO_SECRET_KEY 未设置:生产环境必须设置一个长随机字符串"
            "(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')。"
            "开发环境请设置 ANBIAO_DEV=1。See docs/configuration.md."
        )
    SECRET_KEY = "anbiao-insecure-development-key-change-me"  # noqa: S105 - public on purpose
ALLOWED_HOSTS = env_list("ANBIAO_ALLOWED_HOSTS", "127.0.0.1,localhost")


def _https_origins(hosts: list[str]) -> list[str]:
    """https://host for each allowed host ('.example.cn' → 'https://*.example.cn'; '*' → none),
    so a login behind the HTTPS proxy passes Django's origin check without a second list."""
    origins = []
    for host in hosts:
        if host == "*":
            continue
        origins.append(f"https://*{host}" if host.startswith(".") else f"https://{host}")
    return origins


CSRF_TRUSTED_ORIGINS = _https_origins(ALLOWED_HOSTS) + env_list("ANBIAO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_filters",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "anbiao.core",
    "anbiao.accounts",
    "anbiao.agencies",
    "anbiao.enterprises",
    "anbiao.cases",
    "anbiao.surveys",
    "anbiao.campaigns",
    "anbiao.benchmarks",
    "anbiao.training",
    "anbiao.notifications",
    "anbiao.dispatches",
    "anbiao.filings",
    "anbiao.supervision",
    "anbiao.api",
    "anbiao.demo",
]

MIDDLEWARE = [
    "anbiao.core.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "anbiao.core.middleware.RefuseNullCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "anbiao.core.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "anbiao.accounts.middleware.SecondFactorRequiredMiddleware",
    "anbiao.accounts.middleware.PasswordChangeRequiredMiddleware",
    "anbiao.core.middleware.MissingFileMiddleware",
    "anbiao.core.middleware.DatabaseBusyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Logs every request made with an API token, with its response status.
    "anbiao.api.middleware.TokenUseMiddleware",
    # Axes must come last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "anbiao.core.context_processors.navigation",
                "anbiao.notifications.context_processors.bell",
            ],
        },
    },
]

# --- Database: SQLite (WAL) under var/ by default, anything dj-database-url reads otherwise.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'anbiao.sqlite3'}")
try:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
    }
except ValueError as error:  # dj_database_url.ParseError: a password with # / @ : unquoted
    raise ImproperlyConfigured(
        "DATABASE_URL 无法解析:密码中的 # @ / : 等字符须写成 %23 %40 %2F %3A,"
        "或把密码放在 DATABASE_PASSWORD 中、DATABASE_URL 里不写密码。See docs/configuration.md."
    ) from error
# The password on its own, so a strong one needs no URL quoting (docs/operations.md, step 5).
if env_str("DATABASE_PASSWORD"):
    DATABASES["default"]["PASSWORD"] = env_str("DATABASE_PASSWORD")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The campaign metrics are single statements over every ledger span in scope; PostgreSQL's
    # JIT compiled them for longer than they ran (several times slower at 100k enterprises).
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options["options"] = f"{_pg_options.get('options', '')} -c jit=off".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            # Writers wait in turn this long before "database is locked" (imports retry then).
            f"PRAGMA busy_timeout={env_int('ANBIAO_SQLITE_BUSY_TIMEOUT_SECONDS', 20) * 1000};"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # SQLite has one writer at a time. Sessions are saved on every request (idle timeout), so
    # with sessions in the database every page view would queue behind a large import's write
    # transaction and fail after the busy timeout. Keep them in files under var/ instead.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "sessions"),
            "TIMEOUT": None,  # the session's own expiry applies
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    SESSION_CACHE_ALIAS = "sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# --- Cache of the dashboard's figures and the API's rate counters: it must be shared by every
# server process (gunicorn runs several), or each keeps its own and recomputes the figures.
# Redis when ANBIAO_CACHE_URL is set; on PostgreSQL otherwise a table of the database
# (`anbiao createcachetable`, run by scripts/setup.sh and the upgrade steps); on SQLite one per
# process (its dashboards are small). Tests keep their own cache in the process.
CACHE_URL = env_str("ANBIAO_CACHE_URL")
if CACHE_URL and "pytest" not in sys.modules:
    CACHES["default"] = {
        # Redis's own backend, answering as an empty cache while Redis is unreachable.
        "BACKEND": "anbiao.core.resilient_cache.ResilientRedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": "anbiao",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not DEV:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "anbiao_cache",
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security (等保2.0 level-3 practice)
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "anbiao.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("ANBIAO_PASSWORD_MIN_LENGTH", 8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "anbiao.accounts.passwords.CharacterClassValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AXES_FAILURE_LIMIT = env_int("ANBIAO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("ANBIAO_LOCKOUT_MINUTES", 30) / 60  # hours
# Failures count per account and per source address; either reaching the limit locks. So an
# outsider guessing at the admin account locks it and, at the same try, blocks their own
# address; an address trying several accounts is blocked. Admins unlock from 用户管理.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# REMOTE_ADDR is the client's address: ClientAddressMiddleware sets it from the proxy's header.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Second factor (TOTP, django-otp): roles that must use it, e.g. "admin,district". Anyone may
# turn it on for their own account from 双因素认证.
ANBIAO_OTP_REQUIRED_ROLES = env_list("ANBIAO_OTP_REQUIRED_ROLES")
OTP_TOTP_ISSUER = env_str("ANBIAO_DEPLOYMENT_NAME", "翔安区安全生产标准化管理系统")

# Idle timeout: the session expires this many seconds after the last request.
SESSION_COOKIE_AGE = env_int("ANBIAO_IDLE_TIMEOUT_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# --- HTTPS. ANBIAO_HTTPS=true is the production switch behind a TLS-terminating proxy
# (docs/operations.md): secure cookies, redirect plain HTTP, HSTS. The proxy tells the app the
# original scheme in a header (ANBIAO_PROXY_SSL_HEADER, e.g. X-Forwarded-Proto) that it must set
# itself on every request; never name a header the proxy passes through from the client.
HTTPS = env_bool("ANBIAO_HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("ANBIAO_SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("ANBIAO_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env_int("ANBIAO_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ANBIAO_HSTS_INCLUDE_SUBDOMAINS", True)
# The header with the client's address, set by the proxy (X-Real-IP): ClientAddressMiddleware.
ANBIAO_CLIENT_IP_HEADER = env_str("ANBIAO_CLIENT_IP_HEADER")
_proxy_header = env_str("ANBIAO_PROXY_SSL_HEADER")
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Locale
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# django-filter's blank choices ("---------"): its translations have no zh-hans catalogue.
FILTERS_EMPTY_CHOICE_LABEL = "全部"
FILTERS_NULL_CHOICE_LABEL = "(空)"

# --- Static assets: our own under static/, third-party ones from node_modules (installed by
# `npm ci` in the set-up step), all served by the app itself through WhiteNoise.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/tabler", NODE_MODULES / "@tabler" / "core" / "dist"),
    ("vendor/tabler-icons", NODE_MODULES / "@tabler" / "icons-webfont" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/swagger-ui", NODE_MODULES / "swagger-ui-dist"),
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_ROOT = Path(env_str("ANBIAO_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

# --- Background work: imports, large exports and scheduled jobs are django-tasks tasks kept in
# our own database (django-tasks-db), so no broker is needed; `anbiao db-worker` runs them.
# ANBIAO_TASKS_IMMEDIATE=1 runs each task inside the request instead (no worker needed).
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if env_bool("ANBIAO_TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}

# --- E-mail (reminders, 督办, the weekly digest): printed to the console unless an SMTP server
# is configured (docs/configuration.md).
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "安标 <noreply@localhost>")
EMAIL_SUBJECT_PREFIX = env_str("EMAIL_SUBJECT_PREFIX", "[安标] ")
# The address links in mails point to, e.g. https://anbiao.example.gov.cn
ANBIAO_SITE_URL = env_str("ANBIAO_SITE_URL", "http://127.0.0.1:8000")

# --- Business configuration
ANBIAO_PAGE_SIZE = env_int("ANBIAO_PAGE_SIZE", 20)

# --- JSON API (anbiao/api): requests per token per minute, and the longest token lifetime.
ANBIAO_API_RATE_LIMIT = env_int("ANBIAO_API_RATE_LIMIT", 120)
ANBIAO_API_TOKEN_MAX_DAYS = env_int("ANBIAO_API_TOKEN_MAX_DAYS", 365)
ANBIAO_DEPLOYMENT_NAME = env_str("ANBIAO_DEPLOYMENT_NAME", "翔安区安全生产标准化管理系统")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("ANBIAO_LOG_LEVEL", "WARNING")},
}

# An intranet host name can never be in the browsers' HSTS preload list (security.W021).
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# The date the first survey closed: enterprises entering the ledger after it count as 新增.
# Campaign plans (reference_data/campaigns) carry their own baseline; this is the default.
ANBIAO_LEDGER_BASELINE = env_str("ANBIAO_LEDGER_BASELINE", "2025-02-28")
ANBIAO_MAX_UPLOAD_MB = env_int("ANBIAO_MAX_UPLOAD_MB", 20)
# Imports (docs/import-ledger.md): a workbook is measured before it is read; bigger files are
# checked and imported by the background worker; a running job that stops beating is failed.
ANBIAO_IMPORT_MAX_UNPACKED_MB = env_int("ANBIAO_IMPORT_MAX_UNPACKED_MB", 200)
ANBIAO_IMPORT_MAX_ROWS = env_int("ANBIAO_IMPORT_MAX_ROWS", 1_000_000)
ANBIAO_IMPORT_INLINE_ROWS = env_int("ANBIAO_IMPORT_INLINE_ROWS", 1000)
# A first sheet whose XML unpacks to more than this is streamed (imports/sheet_stream.py): flat
# memory at any size; smaller ones are read by calamine, faster, holding the whole sheet.
ANBIAO_IMPORT_STREAM_ABOVE_MB = env_int("ANBIAO_IMPORT_STREAM_ABOVE_MB", 50)
ANBIAO_IMPORT_LEASE_SECONDS = env_int("ANBIAO_IMPORT_LEASE_SECONDS", 60)
# A ledger import writes this many rows per transaction (about a second of the write lock).
ANBIAO_IMPORT_WRITE_BATCH_ROWS = env_int("ANBIAO_IMPORT_WRITE_BATCH_ROWS", 2000)
# Registry and 附件3 exports of more rows than this are built by the background worker.
ANBIAO_EXPORT_INLINE_ROWS = env_int("ANBIAO_EXPORT_INLINE_ROWS", 5000)
# A dashboard counting more enterprises than this is served from the figures the worker keeps
# (computing them takes seconds at 100k); smaller ones are computed inline.
ANBIAO_DASHBOARD_INLINE_ENTERPRISES = env_int("ANBIAO_DASHBOARD_INLINE_ENTERPRISES", 20_000)
# Change log and login log are kept at least this long; `anbiao prune-logs` refuses younger.
ANBIAO_LOG_RETENTION_MONTHS = max(6, env_int("ANBIAO_LOG_RETENTION_MONTHS", 6))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
