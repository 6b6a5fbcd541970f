#!/usr/bin/env bash
# make test: ruff; a fresh database haoka_test (no demo data, English only) on which the addon (with Odoo's
# Demo payment provider, for the online top-up tour) is installed and its whole suite run by Odoo's own runner
# (odoo-bin -i … --test-enable, as OCA CI and hosted Odoo run it); then the whole suite again with pytest-odoo
# on the same database. Both runs must pass and count the same tests, and pytest must leave every table with
# the committed rows it had. pytest's closing line stays the last summary line (CI reads it); the exit code
# covers both runs.
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

# Run a command with its output in a file, shown as it is written, until the command ends; its exit code.
run_logged() {
    local log="$1"
    shift
    "$@" > "$log" 2>&1 &
    local pid=$!
    tail -n +1 -f --pid="$pid" "$log" &
    local follower=$!
    wait "$pid"
    local status=$?
    wait "$follower"
    return "$status"
}

# Odoo's runner binds an HTTP port even for tests: a free one, so that a server on 8069 does not matter.
PORT="${HAOKA_TEST_PORT:-$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
ODOO_LOG="$(mktemp)"
REPORT="$(mktemp)"
trap 'rm -f "$ODOO_LOG" "$REPORT"' EXIT

# Odoo's Demo payment provider (payment_demo) is installed next to the addon, not as its dependency (it would
# publish a fake test-mode payment option to every real company): the online top-up tour pays with it, under
# both runners, since both use this database. Only the addon's tests run (--test-tags).
MODULES="$MODULE,payment_demo"
echo "== install $MODULES and run the tests of $MODULE with Odoo's runner (odoo-bin --test-enable, port $PORT)"
set +e
# The runner also pre-generates and commits the web assets before the browser tests (pytest reuses them).
# Output to a file, followed live until the run ends: through a pipe (| tee), a browser a test left running
# would keep the pipe open after odoo-bin exits, and the script would wait for it for ever.
run_logged "$ODOO_LOG" odoo_run -d "$DB" -i "$MODULES" --without-demo=all --test-enable --test-tags "/$MODULE" \
    --stop-after-init --http-port="$PORT" --log-level=warn --log-handler=odoo.tests.result:INFO
odoo_rc=$?
set -e
odoo_tests="$(grep -Eo 'error\(s\) of [0-9]+ tests when loading database' "$ODOO_LOG" | grep -Eo '[0-9]+' | tail -1 || true)"
if [ "$odoo_rc" -ne 0 ] && [ "$odoo_rc" -ne 1 ]; then
    echo "ERROR: installing $MODULE failed (odoo-bin exit code $odoo_rc), see above." >&2
    exit "$odoo_rc"
fi

# Committed rows of every table, to show that the tests leave nothing behind (those that commit clean up).
row_counts() {
    psql -d "$DB" -qAtF' ' -c "SELECT table_name, (xpath('/row/c/text()', query_to_xml(format(
        'SELECT count(*) AS c FROM public.%I', table_name), false, true, '')))[1]::text
        FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
}
rows_before="$(row_counts)"

echo "== pytest"
set +e
PYTHONPATH="$ODOO_PATH" run_logged "$REPORT" "$VENV/bin/pytest" -p no:cacheprovider -p no:warnings -rs \
    --odoo-database="$DB" --odoo-addons-path="$ADDONS_PATH" --odoo-http \
    "$PROJECT_DIR/$MODULE/tests" "$@"
rc=$?
set -e
if [ "$rc" -eq 0 ] && grep -Eq "^SKIPPED|[0-9]+ skipped" "$REPORT"; then
    echo "ERROR: tests were skipped (see the SKIPPED lines above): a skipped test fails the run." >&2
    rc=1
fi
left_behind="$(diff <(echo "$rows_before") <(row_counts) | grep '^[<>]' || true)"
if [ -n "$left_behind" ]; then
    echo "ERROR: the tests left committed rows behind (< rows before, > after):" >&2
    echo "$left_behind" >&2
    rc=1
fi
if [ "$odoo_rc" -ne 0 ]; then
    echo "ERROR: Odoo's test runner failed (odoo-bin exit code $odoo_rc): see its FAIL/ERROR lines above." >&2
    rc=1
fi
if [ $# -eq 0 ]; then
    # pytest's closing line, e.g. "=== 1 failed, 130 passed in 200.00s ===": every test it ran, whatever the outcome
    pytest_tests="$(grep -E '^=+ .* in [0-9.]+s' "$REPORT" | tail -1 |
        grep -Eo '[0-9]+ (passed|failed|errors?|skipped|xfailed|xpassed)' | awk '{ n += $1 } END { print n + 0 }' || true)"
    if [ "${odoo_tests:-0}" != "$pytest_tests" ]; then
        echo "ERROR: Odoo's runner ran ${odoo_tests:-no} tests, pytest ran $pytest_tests: a test module is not" \
            "imported by tests/__init__.py, or a test is not a method of a post_install Odoo test class." >&2
        rc=1
    fi
fi
exit "$rc"
