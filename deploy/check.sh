#!/usr/bin/env bash
# The deployment check (issue 16 §4; a step of `make bench`): Odoo with --workers=2 behind the shipped
# deploy/nginx.conf, then a card import, a portal page, a webhook call and the websocket through the proxy; fails
# on any error answer or any ERROR in Odoo's log. Needs nginx (Debian: apt-get install nginx-light); without
# it the step says so and stops (exit 0) unless HAOKA_DEPLOY_REQUIRED=1.
#   deploy/check.sh DATABASE      (an installed database; the check adds a plan, cards and a portal user)
source "$(dirname "$0")/../scripts/common.sh"
DB="${1:?usage: deploy/check.sh DATABASE}"
if ! command -v nginx >/dev/null 2>&1; then
    echo "== deployment check: nginx is not installed here, step not run (apt-get install nginx-light)"
    [ "${HAOKA_DEPLOY_REQUIRED:-0}" = "1" ] && exit 1
    exit 0
fi
WORK="$(mktemp -d)"
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HTTP_PORT="$(free_port)"; GEVENT_PORT="$(free_port)"; PROXY_PORT="$(free_port)"
stop() {
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    [ -f "$WORK/odoo.pid" ] && kill "$(cat "$WORK/odoo.pid")" 2>/dev/null || true
    sleep 2
    rm -rf "$WORK"
}
trap stop EXIT

echo "== deployment check on $DB: odoo --workers=2 (ports $HTTP_PORT, gevent $GEVENT_PORT) behind nginx ($PROXY_PORT)"
PASSWORD="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(12))')"
HAOKA_DEPLOY_PASSWORD="$PASSWORD" "$PY" "$PROJECT_DIR/scripts/odoo" shell -d "$DB" --addons-path="$ADDONS_PATH" \
    --no-http --log-level=warn < "$PROJECT_DIR/deploy/check_setup.py"

odoo_run -d "$DB" --db-filter="^$DB\$" --workers=2 --max-cron-threads=1 --proxy-mode --http-interface=127.0.0.1 \
    --http-port="$HTTP_PORT" --gevent-port="$GEVENT_PORT" --limit-time-real=600 --pidfile="$WORK/odoo.pid" \
    --logfile="$WORK/odoo.log" --log-level=info &

# the shipped configuration, with this run's ports, in a main configuration of its own
sed -e "s/127.0.0.1:8069/127.0.0.1:$HTTP_PORT/; s/127.0.0.1:8072/127.0.0.1:$GEVENT_PORT/" \
    -e "s/listen 80;/listen 127.0.0.1:$PROXY_PORT;/" "$PROJECT_DIR/deploy/nginx.conf" > "$WORK/site.conf"
cat > "$WORK/nginx.conf" <<CONF
pid $WORK/nginx.pid;
error_log $WORK/nginx_error.log;
events { worker_connections 256; }
http {
    access_log $WORK/nginx_access.log;
    client_body_temp_path $WORK/body; proxy_temp_path $WORK/proxy; fastcgi_temp_path $WORK/fastcgi;
    uwsgi_temp_path $WORK/uwsgi; scgi_temp_path $WORK/scgi;
    include $WORK/site.conf;
}
CONF
# nginx's workers run as an unprivileged user: their temporary folders must be theirs to write
mkdir -p "$WORK"/{body,proxy,fastcgi,uwsgi,scgi}
chmod 755 "$WORK"
chmod 777 "$WORK"/{body,proxy,fastcgi,uwsgi,scgi}
nginx -t -p "$WORK" -c "$WORK/nginx.conf" -q
nginx -p "$WORK" -c "$WORK/nginx.conf"

set +e
HAOKA_DEPLOY_PASSWORD="$PASSWORD" "$PY" "$PROJECT_DIR/deploy/check_client.py" "http://127.0.0.1:$PROXY_PORT" "$DB" \
    "$PROJECT_DIR/$MODULE"
rc=$?
set -e
if grep -E -A30 " (ERROR|CRITICAL) " "$WORK/odoo.log"; then
    echo "ERROR: Odoo logged errors during the check (above)." >&2
    rc=1
fi
if [ "$rc" -ne 0 ]; then
    echo "== the end of nginx's error log:"; tail -5 "$WORK/nginx_error.log" || true
fi
grep -c "" "$WORK/nginx_access.log" | xargs echo "== requests through nginx:"
[ "$rc" -eq 0 ] && echo "== deployment check passed"
exit "$rc"
