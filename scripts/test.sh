#!/usr/bin/env bash
# make test: fresh database haoka_test (no demo data), addon installed, whole suite with pytest-odoo.
source "$(dirname "$0")/common.sh"
check_odoo
setup_venv
start_postgres
ensure_chromium
DB="${HAOKA_TEST_DB:-haoka_test}"
cd "$PROJECT_DIR"

echo "== ruff check"
"$VENV/bin/ruff" check .

echo "== fresh database $DB"
dropdb --if-exists "$DB"
rm -rf "${HOME}/.local/share/Odoo/filestore/$DB"
odoo_run -d "$DB" -i "$MODULE" --without-demo=all --stop-after-init --no-http --log-level=warn \
    --load-language=zh_CN

echo "== generating web assets once"
"$PY" "$PROJECT_DIR/scripts/odoo" shell -d "$DB" --addons-path="$ADDONS_PATH" --no-http --log-level=warn \
    < "$PROJECT_DIR/scripts/pregen_assets.py"

echo "== pytest"
REPORT="$(mktemp)"
set +e
PYTHONPATH="$ODOO_PATH" "$VENV/bin/pytest" -p no:cacheprovider -p no:warnings -rs \
    --odoo-database="$DB" --odoo-addons-path="$ADDONS_PATH" --odoo-http \
    "$PROJECT_DIR/$MODULE/tests" "$@" 2>&1 | tee "$REPORT"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -eq 0 ] && grep -Eq "^SKIPPED|[0-9]+ skipped" "$REPORT"; then
    echo "ERROR: tests were skipped (see the SKIPPED lines above): a skipped test fails the run." >&2
    rc=1
fi
rm -f "$REPORT"
exit "$rc"
