#!/usr/bin/env bash
# make bench: fresh database haoka_bench (no demo data), then the card benchmarks (figures printed).
source "$(dirname "$0")/common.sh"
check_odoo
setup_venv
start_postgres
DB="${HAOKA_BENCH_DB:-haoka_bench}"
export HAOKA_BENCH_DIR="$PROJECT_DIR/bench"  # bench_cards.py imports phases.py from there
dropdb --if-exists "$DB"
rm -rf "${HOME}/.local/share/Odoo/filestore/$DB"
odoo_run -d "$DB" -i "$MODULE" --without-demo=all --stop-after-init --no-http --log-level=warn
"$PY" "$PROJECT_DIR/scripts/odoo" shell -d "$DB" --addons-path="$ADDONS_PATH" --no-http --log-level=warn \
    < "$PROJECT_DIR/bench/bench_cards.py"
"$PY" "$PROJECT_DIR/scripts/odoo" shell -d "$DB" --addons-path="$ADDONS_PATH" --no-http --log-level=warn \
    < "$PROJECT_DIR/bench/bench_commissions.py"
"$PY" "$PROJECT_DIR/scripts/odoo" shell -d "$DB" --addons-path="$ADDONS_PATH" --no-http --log-level=warn \
    < "$PROJECT_DIR/bench/bench_wallet.py"
HAOKA_PROJECT_DIR="$PROJECT_DIR" HAOKA_ADDONS_PATH="$ADDONS_PATH" \
    "$PY" "$PROJECT_DIR/scripts/odoo" shell -d "$DB" --addons-path="$ADDONS_PATH" --no-http --log-level=warn \
    < "$PROJECT_DIR/bench/bench_upstream.py"
# where an upstream report's import spends its statements (SQL per row of each phase, cProfile; rolled back)
"$PY" "$PROJECT_DIR/scripts/odoo" shell -d "$DB" --addons-path="$ADDONS_PATH" --no-http --log-level=warn \
    < "$PROJECT_DIR/bench/profile_upstream_report.py"
# one background import of a million cards through the job path (issue 16 §3); HAOKA_BENCH_MILLION=0 skips it
if [ "${HAOKA_BENCH_MILLION:-1}" != "0" ]; then
    HAOKA_PROJECT_DIR="$PROJECT_DIR" HAOKA_ADDONS_PATH="$ADDONS_PATH" \
        "$PY" "$PROJECT_DIR/scripts/odoo" shell -d "$DB" --addons-path="$ADDONS_PATH" --no-http --log-level=warn \
        < "$PROJECT_DIR/bench/bench_import_job.py"
fi
# the deployment check (issue 16 §4): --workers=2 behind deploy/nginx.conf; says so and passes when nginx is absent
bash "$PROJECT_DIR/deploy/check.sh" "$DB"
# the distributor portal under load (issue 14 §5): 50 distributors logged in, browsing, on --workers=2
HAOKA_BENCH_DIR="$PROJECT_DIR/bench" HAOKA_PROJECT_DIR="$PROJECT_DIR" HAOKA_ADDONS_PATH="$ADDONS_PATH" \
    "$PY" "$PROJECT_DIR/scripts/odoo" shell -d "$DB" --addons-path="$ADDONS_PATH" --no-http --log-level=warn \
    < "$PROJECT_DIR/bench/load_portal.py"
