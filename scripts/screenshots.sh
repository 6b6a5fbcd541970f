#!/usr/bin/env bash
# make screenshots: the README's screenshots (docs/screenshots/*.png) of the distributor portal at phone width and
# of the back office, taken by scripts/screenshots.py in headless Chromium on the `make demo` data: the demo
# database (HAOKA_SCREENSHOTS_DB, default haoka_screenshots) is built by scripts/demo.sh, or updated when it
# exists (drop it for pictures of fresh demo data), then served on a free port for the time of the pictures.
source "$(dirname "$0")/common.sh"
check_odoo
setup_venv
start_postgres
ensure_chromium
DB="${HAOKA_SCREENSHOTS_DB:-haoka_screenshots}"
OUT="$PROJECT_DIR/docs/screenshots"

if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
    echo "== installing a Chinese font (fonts-noto-cjk): without one Chromium draws Chinese as boxes"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null
fi

HAOKA_DEMO_DB="$DB" HAOKA_DEMO_SERVE=0 bash "$PROJECT_DIR/scripts/demo.sh"

PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT"
PIDFILE="$(mktemp)"
echo "== serving $DB on $URL for the screenshots"
"$PY" "$PROJECT_DIR/scripts/odoo" --addons-path="$ADDONS_PATH" -d "$DB" --db-filter="^$DB\$" \
    --http-interface=127.0.0.1 --http-port="$PORT" --workers=0 --max-cron-threads=0 --pidfile="$PIDFILE" \
    --log-level=warn &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -f "$PIDFILE"' EXIT
for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null "$URL/web/health" 2>/dev/null; then break; fi
    if ! kill -0 "$SERVER" 2>/dev/null; then
        echo "ERROR: the Odoo server stopped before answering on $URL (see its log above)." >&2
        exit 1
    fi
    sleep 1
done

echo "== screenshots into ${OUT#"$PROJECT_DIR"/}"
"$PY" "$PROJECT_DIR/scripts/screenshots.py" --url "$URL" --db "$DB" --out "$OUT"
