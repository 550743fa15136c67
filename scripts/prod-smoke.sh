#!/usr/bin/env bash
# Production smoke (docs/operations.md, followed on this machine): PostgreSQL, gunicorn with
# DEBUG off, nginx terminating TLS with a self-signed certificate made on the spot. Runs
# `anbiao check --deploy` (no warnings allowed), logs in through HTTPS and loads the dashboard
# and a static file, with the cache in Redis as docs/operations.md sets it up (step 4). Installs
# nginx from Debian's packages if missing. Cleans up after itself.
#   SMOKE_DB (anbiao_smoke) and SMOKE_PORT (8443) choose the database and the HTTPS port;
#   SMOKE_CACHE_URL (redis://127.0.0.1:6379/0) the Redis database (its anbiao:* keys are deleted at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${SMOKE_DB:-anbiao_smoke}
PORT=${SMOKE_PORT:-8443}
PG=postgres://postgres@127.0.0.1:5432
CACHE_URL=${SMOKE_CACHE_URL:-redis://127.0.0.1:6379/0}
if ! command -v nginx >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi
work=$(mktemp -d /tmp/anbiao-smoke.XXXXXX)
chmod 755 "$work"
cleanup() {
  [ -f "$work/gunicorn.pid" ] && kill "$(cat "$work/gunicorn.pid")" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  sleep 1
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  redis-cli -u "$CACHE_URL" --scan --pattern 'anbiao:*' | xargs -r redis-cli -u "$CACHE_URL" del \
    >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The production environment: no ANBIAO_DEV, no debug, HTTPS behind the proxy.
unset ANBIAO_DEV ANBIAO_DEBUG ANBIAO_TASKS_IMMEDIATE
export DATABASE_URL="$PG/$DB" ANBIAO_VAR_DIR="$work/var" ANBIAO_ALLOWED_HOSTS=localhost
export ANBIAO_HTTPS=true ANBIAO_PROXY_SSL_HEADER=X-Forwarded-Proto ANBIAO_CLIENT_IP_HEADER=X-Real-IP
export ANBIAO_CACHE_URL="$CACHE_URL"
export ANBIAO_SECRET_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')

redis-cli -u "$CACHE_URL" ping | grep -q PONG || { echo "smoke: no Redis at $CACHE_URL" >&2; exit 1; }
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
.venv/bin/anbiao migrate --no-input -v 0
.venv/bin/anbiao collectstatic --no-input -v 0
chmod -R a+rX "$work/var/static"
.venv/bin/anbiao check --deploy --fail-level WARNING
DJANGO_SUPERUSER_PASSWORD='Smoke#2025pw' .venv/bin/anbiao createsuperuser --no-input \
  --username smoke --email smoke@example.invalid

.venv/bin/gunicorn config.wsgi --bind "unix:$work/gunicorn.sock" --workers 2 \
  --config python:config.gunicorn \
  --pid "$work/gunicorn.pid" --daemon --error-logfile "$work/gunicorn.log"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
# The guide's site file, minus its port-80 redirect server (port 80 may be taken here).
sed -e "s#@PORT@#$PORT#" -e "s#@CERT@#$work/tls.crt#" -e "s#@KEY@#$work/tls.key#" \
  -e "s#@SOCKET@#$work/gunicorn.sock#" -e "s#@STATIC@#$work/var/static/#" \
  -e '/^# Plain HTTP/,$d' deploy/nginx-anbiao.conf >"$work/site.conf"
cat >"$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events {}
http {
  include /etc/nginx/mime.types;
  access_log $work/nginx-access.log;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work;
  uwsgi_temp_path $work; scgi_temp_path $work;
  include $work/site.conf;
}
CONF
nginx -c "$work/nginx.conf"
for _ in $(seq 1 30); do [ -S "$work/gunicorn.sock" ] && break; sleep 1; done

base="https://localhost:$PORT"
curl_() { curl -sS --cacert "$work/tls.crt" -b "$work/jar" -c "$work/jar" "$@"; }
csrf=$(curl_ "$base/accounts/login/" | sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p')
[ -n "$csrf" ] || { echo "smoke: no login form" >&2; exit 1; }
code=$(curl_ -o /dev/null -w '%{http_code} %{redirect_url}' -H "Origin: $base" \
  -H "Referer: $base/accounts/login/" --data-urlencode "csrfmiddlewaretoken=$csrf" \
  --data-urlencode username=smoke --data-urlencode 'password=Smoke#2025pw' "$base/accounts/login/")
[ "$code" = "302 $base/" ] || { echo "smoke: login through HTTPS failed: $code" >&2; exit 1; }
headers=$(curl_ -D - -o "$work/home.html" "$base/")
grep -q "^HTTP/[0-9.]* 200" <<<"$headers" || { echo "smoke: dashboard: $headers" >&2; exit 1; }
grep -qi "^strict-transport-security:" <<<"$headers" || { echo "smoke: no HSTS" >&2; exit 1; }
grep -qi "^cache-control:.*no-store" <<<"$headers" || { echo "smoke: cacheable page" >&2; exit 1; }
grep -q "退出" "$work/home.html" || { echo "smoke: dashboard is not the signed-in page" >&2; exit 1; }
[ -n "$(redis-cli -u "$CACHE_URL" --scan --pattern 'anbiao:*' | head -1)" ] ||
  { echo "smoke: nothing cached in Redis ($CACHE_URL)" >&2; exit 1; }
code=$(curl_ -o /dev/null -w '%{http_code}' "$base/static/vendor/tabler/css/tabler.min.css")
[ "$code" = 200 ] || { echo "smoke: static file: $code" >&2; exit 1; }
echo "prod smoke passed: check --deploy clean, login over HTTPS, dashboard (cache in Redis) and static file 200"
