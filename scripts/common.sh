# Shared set-up for the project's commands; sourced by scripts/*.sh.
set -euo pipefail

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ODOO_PATH="${ODOO_PATH:-/opt/odoo}"
VENV="$PROJECT_DIR/.venv"
PY="$VENV/bin/python"
ADDONS_PATH="$ODOO_PATH/addons,$PROJECT_DIR"
MODULE=haoka_distribution
export ODOO_PATH

check_odoo() {
    if [ ! -f "$ODOO_PATH/odoo/release.py" ] || [ ! -d "$ODOO_PATH/addons" ]; then
        echo "ERROR: Odoo 18.0 source not found at ODOO_PATH=$ODOO_PATH." >&2
        echo "       Install Odoo 18.0 (community source tree) there, or set ODOO_PATH to its folder" >&2
        echo "       (the folder that holds odoo/ and addons/). See README.md." >&2
        exit 2
    fi
    if ! grep -Eq "^version_info = \(18, 0," "$ODOO_PATH/odoo/release.py"; then
        echo "ERROR: the Odoo at ODOO_PATH=$ODOO_PATH is not 18.0 ($(grep -E '^version_info' "$ODOO_PATH/odoo/release.py"))." >&2
        echo "       haoka_distribution needs Odoo 18.0. See README.md." >&2
        exit 2
    fi
}

setup_venv() {
    if [ ! -x "$PY" ]; then
        echo "== creating virtualenv $VENV"
        python3 -m venv "$VENV"
    fi
    local stamp="$VENV/.requirements.sha"
    local sum
    sum="$(sha256sum "$PROJECT_DIR/requirements.txt" | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
        echo "== installing Python requirements"
        "$VENV/bin/pip" install -q --disable-pip-version-check -r "$PROJECT_DIR/requirements.txt"
        echo "$sum" > "$stamp"
    fi
}

start_postgres() {
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        echo "ERROR: PostgreSQL (Debian's postgresql-15) is not installed." >&2
        exit 2
    fi
    if ! pg_lsclusters -h 2>/dev/null | awk '$1=="15" && $2=="main" {print $4}' | grep -q online; then
        echo "== starting PostgreSQL 15/main"
        pg_ctlcluster 15 main start
    fi
    local me
    me="$(id -un)"
    if [ "$me" = "postgres" ]; then return; fi
    for _ in $(seq 1 20); do
        if su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1; then break; fi
        sleep 0.5
    done
    if ! su postgres -c "psql -qtAc \"select 1 from pg_roles where rolname='$me'\"" | grep -q 1; then
        echo "== creating PostgreSQL superuser role $me"
        su postgres -c "createuser -s '$me'"
    fi
}

ensure_chromium() {
    if ! command -v chromium >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1; then
        echo "== installing Debian's chromium (browser tests need it)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
}

db_exists() {
    psql -d postgres -qtAc "select 1 from pg_database where datname='$1'" | grep -q 1
}

odoo_run() {
    "$PY" "$PROJECT_DIR/scripts/odoo" --addons-path="$ADDONS_PATH" "$@"
}
