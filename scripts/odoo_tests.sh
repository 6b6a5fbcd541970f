#!/usr/bin/env bash
# make odoo-tests: Odoo's own tests of the modules the addon extends, run with the addon installed.
#
#   scripts/odoo_tests.sh [--plain] [TEST_TAGS]
#
# Fresh database (no demo data) with haoka_distribution installed -- or, with --plain, with only
# its dependencies (plain Odoo, for comparison) -- then Odoo's runner on TEST_TAGS (default: every
# test of sale, sale_stock, stock, stock_account, account and portal). at_install tests run too,
# after all modules are loaded (see scripts/odoo_tests.py). Long: about an hour on two cores.
# Environment: HAOKA_ODOO_TESTS_DB (default haoka_odoo_tests; "_plain" appended with --plain),
# HAOKA_ODOO_TESTS_PORT (default 8069), HAOKA_ODOO_TESTS_KEEP=1 to reuse an existing database.
source "$(dirname "$0")/common.sh"
check_odoo
setup_venv
start_postgres
ensure_chromium
cd "$PROJECT_DIR"

PLAIN=0
if [ "${1:-}" = "--plain" ]; then PLAIN=1; shift; fi
TAGS="${1:-/sale,/sale_stock,/stock,/stock_account,/account,/portal}"
DB="${HAOKA_ODOO_TESTS_DB:-haoka_odoo_tests}"
INSTALL="$MODULE"
if [ "$PLAIN" = 1 ]; then
    DB="${DB}_plain"
    # the addon's dependencies, without the addon
    INSTALL="$("$PY" -c "import ast; print(','.join(ast.literal_eval(open('$MODULE/__manifest__.py').read())['depends']))")"
fi
PORT="${HAOKA_ODOO_TESTS_PORT:-8069}"

if [ "${HAOKA_ODOO_TESTS_KEEP:-0}" != 1 ] || ! db_exists "$DB"; then
    echo "== fresh database $DB with $INSTALL (no demo data)"
    dropdb --if-exists "$DB"
    rm -rf "${HOME}/.local/share/Odoo/filestore/$DB"
    odoo_run -d "$DB" -i "$INSTALL" --without-demo=all --stop-after-init --no-http --log-level=warn
fi

echo "== Odoo's tests $TAGS on $DB"
LOG="$(mktemp)"
set +e
"$PY" "$PROJECT_DIR/scripts/odoo_tests.py" --addons-path="$ADDONS_PATH" -d "$DB" --test-enable \
    --test-tags "$TAGS" --stop-after-init --http-port="$PORT" --log-level=test 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}
set -e
echo "== summary"
grep -E "(ERROR|FAIL): |tests? when loading|failed, .* error" "$LOG" | grep -v "^\s*$" | tail -n 80 || true
rm -f "$LOG"
exit "$rc"
