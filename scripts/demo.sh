#!/usr/bin/env bash
# make demo: a Chinese SIM-card distributor with demo data, served on http://127.0.0.1:8069 (database
# haoka_demo). A new database is made in steps so that Odoo installs the Chinese chart of accounts: base
# (with zh_CN), the company set in China (Asia/Shanghai, users in zh_CN), accounting (Odoo picks l10n_cn
# and CNY for a company in China), then the addon with its demo data. The addon itself does not depend
# on l10n_cn. Odoo's Demo payment provider (payment_demo) is installed next to the addon, not as its dependency,
# so that distributors can top up online in the demo. HAOKA_DEMO_SERVE=0 builds or updates the database only.
source "$(dirname "$0")/common.sh"
check_odoo
setup_venv
start_postgres
DB="${HAOKA_DEMO_DB:-haoka_demo}"
PORT="${HAOKA_DEMO_PORT:-8069}"
URL="http://127.0.0.1:$PORT"

# Odoo's log at info level, reduced to progress: the modules as they load, and every warning or error.
progress() {
    awk '
        / INFO / {
            if (match($0, /odoo\.modules\.loading: loading [^ \/]+\//)) {
                module = substr($0, RSTART + 30, RLENGTH - 31)
                if (module != last) { print "   module " module; last = module; fflush() }
            } else if (match($0, /odoo\.modules\.loading: (loading [0-9]+ modules|Module .*: loading demo)/)) {
                print "   " substr($0, RSTART + 22); fflush()
            }
            next
        }
        { print; fflush() }'
}

install() {  # install modules with progress
    odoo_run -d "$DB" "$@" --stop-after-init --no-http --log-level=info 2>&1 | progress
}

module_installed() {  # module_installed NAME: true when NAME is installed in $DB
    psql -d "$DB" -qtAc "select 1 from ir_module_module where name='$1' and state='installed'" | grep -q 1
}

if db_exists "$DB"; then
    echo "== updating $MODULE in $DB"
    install -u "$MODULE"
    if ! module_installed payment_demo; then
        echo "== Odoo's Demo payment provider (online top-ups)"
        install -i payment_demo
    fi
else
    echo "== [1/4] creating $DB: Odoo base with Chinese (zh_CN)"
    install -i base --load-language=zh_CN
    echo "== [2/4] the company in China: CNY, users in zh_CN on Asia/Shanghai"
    odoo_run shell -d "$DB" --no-http --log-level=warn < "$PROJECT_DIR/scripts/demo_company.py"
    echo "== [3/4] accounting: Odoo installs the Chinese chart (l10n_cn) in CNY"
    install -i account
    echo "== [4/4] $MODULE with its demo data, and Odoo's Demo payment provider (online top-ups)"
    install -i "$MODULE,payment_demo"
fi
odoo_run shell -d "$DB" --no-http --log-level=warn < "$PROJECT_DIR/scripts/demo_payment.py"

if [ "${HAOKA_DEMO_SERVE:-1}" = "0" ]; then  # scripts/screenshots.sh: the database only, no server
    exit 0
fi

echo "== starting the server on $URL"
"$PY" "$PROJECT_DIR/scripts/odoo" --addons-path="$ADDONS_PATH" -d "$DB" --db-filter="^$DB\$" \
    --http-interface=127.0.0.1 --http-port="$PORT" --log-level=warn &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' INT TERM
answered=""
for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$URL/web/health" 2>/dev/null; then
        answered=1
        echo
        echo "  haoka_distribution demo: $URL   login: admin   password: admin"
        echo "  (Ctrl-C stops the server)"
        echo
        break
    fi
    if ! kill -0 "$SERVER" 2>/dev/null; then
        echo "ERROR: the Odoo server stopped before answering on $URL (see its log above)." >&2
        exit 1
    fi
    sleep 1
done
if [ -z "$answered" ]; then
    echo "WARNING: no answer from $URL/web/health after 5 minutes; the server keeps starting." >&2
fi
wait "$SERVER"
