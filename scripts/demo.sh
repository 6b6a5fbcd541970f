#!/usr/bin/env bash
# make demo: serve the addon with demo data on http://127.0.0.1:8069 (database haoka_demo).
source "$(dirname "$0")/common.sh"
check_odoo
setup_venv
start_postgres
DB="${HAOKA_DEMO_DB:-haoka_demo}"
PORT="${HAOKA_DEMO_PORT:-8069}"
if db_exists "$DB"; then
    echo "== updating $MODULE in $DB"
    odoo_run -d "$DB" -u "$MODULE" --stop-after-init --no-http --log-level=warn
else
    echo "== creating $DB with demo data and $MODULE"
    odoo_run -d "$DB" -i "$MODULE" --stop-after-init --no-http --log-level=warn --load-language=zh_CN
fi
echo
echo "  haoka_distribution demo: http://127.0.0.1:$PORT   login: admin   password: admin"
echo "  (Ctrl-C stops the server)"
echo
exec "$PY" "$PROJECT_DIR/scripts/odoo" --addons-path="$ADDONS_PATH" -d "$DB" --db-filter="^$DB\$" \
    --http-interface=127.0.0.1 --http-port="$PORT" --log-level=warn
