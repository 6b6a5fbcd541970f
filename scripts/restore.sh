#!/usr/bin/env bash
# Restore a haoka backup archive into a new database, key included (see scripts/restore.py and README "Backups").
#   scripts/restore.sh ARCHIVE DATABASE [--data-dir DIR] [--key-dir DIR] [--passphrase-file FILE] [-- ODOO OPTIONS]
# The passphrase comes from HAOKA_BACKUP_PASSPHRASE or --passphrase-file.
source "$(dirname "$0")/common.sh"
check_odoo
if [ $# -lt 2 ]; then
    echo "usage: $0 ARCHIVE DATABASE [--data-dir DIR] [--key-dir DIR] [--passphrase-file FILE] [-- ODOO OPTIONS]" >&2
    exit 2
fi
args=("$@")
case " ${args[*]} " in
    *" -- "*) args+=("--addons-path=$ADDONS_PATH") ;;
    *) args+=("--" "--addons-path=$ADDONS_PATH") ;;
esac
PYTHONPATH="$ODOO_PATH" exec "$PY" "$PROJECT_DIR/scripts/restore.py" "${args[@]}"
