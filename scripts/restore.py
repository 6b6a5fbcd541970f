"""Restore a haoka backup archive (``haoka.backup.run``) into a new database, with its encryption key.

    restore.py ARCHIVE DATABASE [--data-dir DIR] [--key-dir DIR] [--passphrase-file FILE] [-- ODOO OPTIONS]

The passphrase is read from HAOKA_BACKUP_PASSPHRASE, else from --passphrase-file. The database must not exist;
the filestore goes to DIR/filestore/DATABASE (DIR: Odoo's data directory, --data-dir), the key files to
--key-dir (default: the data directory, where the addon looks for them). An existing different key file there
is never overwritten: restore into a fresh data (or key) directory instead. Other Odoo options (``--db_host``,
``--addons-path`` …) follow ``--``. Run through scripts/restore.sh (or ``make restore``), which sets them.
"""

import argparse
import os
import sys
import tarfile
import tempfile

import odoo


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("archive")
    parser.add_argument("database")
    parser.add_argument("--data-dir")
    parser.add_argument("--key-dir")
    parser.add_argument("--passphrase-file")
    ours, odoo_args = argv, []
    if "--" in argv:
        ours, odoo_args = argv[: argv.index("--")], argv[argv.index("--") + 1:]
    return parser.parse_args(ours), odoo_args


def addon_tools():
    """The addon's tools (after the configuration set the addons path)."""
    odoo.modules.module.initialize_sys_path()
    from odoo.addons.haoka_distribution.tools import backup, secrets  # noqa: PLC0415

    return backup, secrets


def install_keys(key_source, key_dir):
    """Copy the archive's key files into ``key_dir``; an existing different key there is an error."""
    secrets = addon_tools()[1]
    os.makedirs(key_dir, mode=0o700, exist_ok=True)
    for name in sorted(os.listdir(key_source)):
        if name not in (secrets.KEY_FILE, secrets.NEXT_KEY_FILE):
            continue
        with open(os.path.join(key_source, name)) as handle:
            content = handle.read().strip()
        target = os.path.join(key_dir, name)
        if os.path.exists(target):
            with open(target) as handle:
                if handle.read().strip() != content:
                    sys.exit(f"ERROR: {target} holds another key; restore with a fresh --key-dir or --data-dir")
            continue
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(content)
        print(f"key file written: {target}")


def main(argv):
    args, odoo_args = parse(argv)
    config_args = list(odoo_args) + ([f"--data-dir={args.data_dir}"] if args.data_dir else [])
    odoo.tools.config.parse_config(config_args)
    backup = addon_tools()[0]
    passphrase = backup.passphrase_from(os.environ.get("HAOKA_BACKUP_PASSPHRASE"), args.passphrase_file)
    key_dir = args.key_dir or odoo.tools.config["data_dir"]
    with tempfile.TemporaryDirectory() as work:
        tar_path = os.path.join(work, "archive.tar")
        backup.decrypt_file(args.archive, tar_path, passphrase)
        with tarfile.open(tar_path) as tar:
            members = [m for m in tar.getmembers() if m.isfile() and (
                m.name in ("database.zip", "haoka_backup.json") or m.name.startswith("keys/haoka_secret.key"))]
            tar.extractall(work, members=members, filter="data")
        if os.path.isdir(os.path.join(work, "keys")):
            install_keys(os.path.join(work, "keys"), key_dir)
        odoo.service.db.restore_db(args.database, os.path.join(work, "database.zip"))
    print(f"restored {args.archive} into database {args.database} (data dir {odoo.tools.config['data_dir']}, "
          f"key dir {key_dir})")
    if key_dir != odoo.tools.config["data_dir"]:
        print(f"run Odoo with haoka_key_dir = {key_dir} in its configuration (or HAOKA_KEY_DIR={key_dir})")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Exception as error:  # noqa: BLE001 - one clear line for the operator (BackupError: passphrase, damage)
        if type(error).__name__ != "BackupError":
            raise
        sys.exit(f"ERROR: {error}")
