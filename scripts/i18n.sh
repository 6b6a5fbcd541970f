#!/usr/bin/env bash
# make i18n: re-export haoka_distribution.pot from the test database (run `make test` first, or
# any database with the addon installed: HAOKA_I18N_DB) and merge it into zh_CN.po, keeping the
# existing translations; new strings arrive untranslated and test_i18n lists them until translated.
source "$(dirname "$0")/common.sh"
check_odoo
setup_venv
start_postgres
DB="${HAOKA_I18N_DB:-haoka_test}"
I18N="$PROJECT_DIR/$MODULE/i18n"
odoo_run -d "$DB" -u "$MODULE" --stop-after-init --no-http --log-level=warn
odoo_run -d "$DB" --i18n-export="$I18N/$MODULE.pot" --modules="$MODULE" --stop-after-init --no-http --log-level=warn
"$PY" "$PROJECT_DIR/scripts/po_merge.py" "$I18N/$MODULE.pot" "$I18N/zh_CN.po"
