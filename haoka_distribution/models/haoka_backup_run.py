"""Scheduled encrypted backups (issue 16 §1): the database dump, the filestore and the encryption key files in
one archive encrypted with a passphrase kept outside the database (``tools/backup.py``), N archives kept, every
run logged here and an activity raised for the administrators when a run fails. ``scripts/restore.sh``
restores an archive into a new database, on this machine or another, key included."""

import datetime
import json
import logging
import os
import shutil
import subprocess
import tarfile
import tempfile

import odoo
from odoo import api, fields, models
from odoo.tools import config
from odoo.tools.misc import exec_pg_environ, find_pg_tool

from ..tools import backup, params, secrets

_logger = logging.getLogger(__name__)

DIR_PARAM = "haoka_distribution.backup_dir"
KEEP_PARAM = "haoka_distribution.backup_keep"
DEFAULT_KEEP = 7


def default_backup_dir():
    return os.path.join(config["data_dir"], "backups")


def passphrase_file():
    """Where the backup passphrase is read when HAOKA_BACKUP_PASSPHRASE is not set."""
    return config.get("haoka_backup_passphrase_file") or os.path.join(secrets.key_dir(), "haoka_backup.passphrase")


class HaokaBackupRun(models.Model):
    _name = "haoka.backup.run"
    _description = "Backup Run"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(string="Archive", readonly=True)
    state = fields.Selection([("running", "Running"), ("done", "Done"), ("failed", "Failed")],
                             default="running", required=True, readonly=True)
    path = fields.Char(string="Archive Path", readonly=True)
    size = fields.Integer(string="Size (bytes)", readonly=True)
    date_done = fields.Datetime(string="Finished On", readonly=True)
    pruned = fields.Text(string="Old Archives Deleted", readonly=True)
    message = fields.Text(readonly=True)

    @api.model
    def _cron_backup(self):
        self.action_backup_now()

    @api.model
    def action_backup_now(self):
        """Write one archive and log the run (committed, whatever happens); a failure raises an activity."""
        run = self.sudo().create({"name": self.env._("Backup of %(db)s", db=self.env.cr.dbname)})
        self.env.cr.commit()
        try:
            path = run._write_archive()
        except Exception as error:  # noqa: BLE001 - every failure is logged on the run and raised as an activity
            self.env.cr.rollback()
            _logger.exception("backup of %s failed", self.env.cr.dbname)
            run._log_failure(str(error))
        else:
            run._log_success(path)
        self.env.cr.commit()
        return run

    def _directory(self):
        return self.env["ir.config_parameter"].sudo().get_param(DIR_PARAM) or default_backup_dir()

    def _write_archive(self):
        """Dump, pack and encrypt; returns the archive's path."""
        passphrase = backup.passphrase_from(os.environ.get("HAOKA_BACKUP_PASSPHRASE"), passphrase_file())
        directory = self._directory()
        os.makedirs(directory, mode=0o700, exist_ok=True)
        db_name = self.env.cr.dbname
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S-%f")
        target = os.path.join(directory, f"haoka-{db_name}-{stamp}{backup.SUFFIX}")
        with tempfile.TemporaryDirectory(dir=directory) as work:
            tar_path = os.path.join(work, "archive.tar")
            with tarfile.open(tar_path, "w") as tar:
                tar.add(self._dump_database(db_name, work), arcname="database.zip")
                for name in (secrets.KEY_FILE, secrets.NEXT_KEY_FILE):
                    key_path = os.path.join(secrets.key_dir(), name)
                    if os.path.exists(key_path):
                        tar.add(key_path, arcname=f"keys/{name}")
                info = os.path.join(work, "haoka_backup.json")
                with open(info, "w") as handle:
                    json.dump({"database": db_name, "created": stamp, "key_configured": bool(
                        config.get("haoka_secret_key") or os.environ.get("HAOKA_SECRET_KEY"))}, handle)
                tar.add(info, arcname="haoka_backup.json")
            backup.encrypt_file(tar_path, target + ".part", passphrase)
        os.replace(target + ".part", target)
        return target

    def _dump_database(self, db_name, work):
        """Odoo's own backup format (what the database manager restores): dump.sql, filestore/, manifest.json,
        zipped; made here because the manager's functions refuse to run when ``list_db`` is off."""
        dump_dir = os.path.join(work, "database")
        os.makedirs(dump_dir)
        filestore = config.filestore(db_name)
        if os.path.exists(filestore):
            shutil.copytree(filestore, os.path.join(dump_dir, "filestore"))
        with open(os.path.join(dump_dir, "manifest.json"), "w") as handle:
            json.dump(self._manifest(), handle, indent=4)
        done = subprocess.run(
            [find_pg_tool("pg_dump"), "--no-owner", "--file=" + os.path.join(dump_dir, "dump.sql"), db_name],
            env=exec_pg_environ(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
        )
        if done.returncode:
            raise backup.BackupError("pg_dump failed: %s" % done.stderr.decode(errors="replace").strip())
        zip_path = os.path.join(work, "database.zip")
        with open(zip_path, "wb") as stream:
            odoo.tools.osutil.zip_dir(dump_dir, stream, include_dir=False,
                                      fnct_sort=lambda file_name: file_name != "dump.sql")
        return zip_path

    def _manifest(self):
        """The manifest.json of Odoo's backups (``odoo.service.db.dump_db_manifest``)."""
        self.env.cr.execute("SELECT name, latest_version FROM ir_module_module WHERE state = 'installed'")
        return {
            "odoo_dump": "1", "db_name": self.env.cr.dbname, "version": odoo.release.version,
            "version_info": odoo.release.version_info, "major_version": odoo.release.major_version,
            "modules": dict(self.env.cr.fetchall()),
        }

    def _log_success(self, path):
        keep = params.int_param(self.env, KEEP_PARAM, DEFAULT_KEEP, minimum=1)
        pruned = backup.prune(os.path.dirname(path), f"haoka-{self.env.cr.dbname}-", keep)
        self.write({"state": "done", "path": path, "size": os.path.getsize(path),
                    "date_done": fields.Datetime.now(), "pruned": "\n".join(pruned) or False})

    def _log_failure(self, reason):
        self.write({"state": "failed", "date_done": fields.Datetime.now(), "message": reason})
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        self.env["mail.activity"].sudo().create([{
            "res_model_id": self.env["ir.model"]._get_id(self._name), "res_id": self.id,
            "activity_type_id": activity_type.id, "user_id": user.id, "summary": self.env._("Backup failed"),
            "note": self.env._("The backup of %(db)s failed: %(reason)s", db=self.env.cr.dbname, reason=reason),
        } for user in self.env.ref("base.group_system").users.filtered(lambda u: u.active and not u.share)])
