"""Backups and restore (issue 16 §1): the drill. A database with cards, an order and a distributor is backed
up by the backup job (database dump, filestore and key in one archive encrypted with a passphrase kept outside
the database), restored by the project's restore script into a new database in a fresh data directory (so a
fresh key location), and the restored database, opened by a separate Odoo process, reads back a PUK and an ID
number. Also: retention, a failed run logged with an activity, a damaged archive or a wrong passphrase refused.
"""

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
from unittest.mock import patch

from odoo.tools import config, mute_logger

from ..models.haoka_backup_run import DIR_PARAM, KEEP_PARAM
from ..tools import backup
from .common import HaokaCase, adult_id, committed_row_counts, make_iccid, make_sim_plan, separate_env

QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True}
PROJECT = pathlib.Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple 备份"

READ_BACK = """
card = env["stock.lot"].search([("name", "=", "{iccid}")])
order = env["sale.order"].search([("client_order_ref", "=", "BACKUP-DRILL")])
agent = env["res.partner"].search([("name", "=", "Backup Agent")])
print("PUK=" + str(card._haoka_read_secrets(["puk"])[card.id]["puk"]))
print("ORDER_ID=" + str(order._haoka_read_secrets()[order.id]["haoka_id_number"]))
print("AGENT_ID=" + str(agent._haoka_read_secrets()[agent.id]["haoka_kyc_id_number"]))
print("FOUND=" + str(env["stock.lot"].search_count([("puk", "=", "{puk}")])))
"""


class TestBackup(HaokaCase):
    def setUp(self):
        super().setUp()
        self.rows_before = committed_row_counts(self.env.registry)
        self.work = tempfile.mkdtemp(prefix="haoka_backup_test_")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.backup_dir = os.path.join(self.work, "archives")
        passphrase_file = os.path.join(self.work, "passphrase")
        with open(passphrase_file, "w") as handle:
            handle.write(PASSPHRASE + "\n")
        options = patch.dict(config.options, {"haoka_backup_passphrase_file": passphrase_file})
        options.start()
        self.addCleanup(options.stop)
        self.addCleanup(self._clean_up)
        with separate_env(self.env.registry) as env:
            env["ir.config_parameter"].set_param(DIR_PARAM, self.backup_dir)
            env.cr.execute("SELECT coalesce(max(id), 0) FROM bus_bus")
            self.last_bus_id = env.cr.fetchone()[0]

    def _clean_up(self):
        with separate_env(self.env.registry, context=QUIET) as env:
            runs = env["haoka.backup.run"].search([])
            env["mail.activity"].search([("res_model", "=", "haoka.backup.run"), ("res_id", "in", runs.ids)]).unlink()
            env["mail.message"].search([("model", "=", "haoka.backup.run"), ("res_id", "in", runs.ids)]).unlink()
            runs.unlink()
            env["ir.config_parameter"].search([("key", "in", [DIR_PARAM, KEEP_PARAM])]).unlink()
            for name in ("order", "cards", "agent", "customer", "plan"):
                getattr(self, name, env["res.partner"]).with_env(env).unlink()
        with separate_env(self.env.registry) as env:  # the activities' notifications, sent once committed
            env.cr.execute("DELETE FROM bus_bus WHERE id > %s", (self.last_bus_id,))
        self.assertNoRowsLeft(self.rows_before)

    def _commit_business_data(self):
        with separate_env(self.env.registry, context=QUIET) as env:
            plan = make_sim_plan(env, "Backup Plan")
            cards = env["stock.lot"].create([{
                "name": make_iccid("898600", 8100 + i), "product_id": plan.product_variant_id.id,
                "msisdn": "1380081%04d" % i, "puk": "8100%04d" % i} for i in range(3)])
            customer = env["res.partner"].create({"name": "Backup Customer"})
            order = env["sale.order"].create({"partner_id": customer.id, "client_order_ref": "BACKUP-DRILL",
                                              "haoka_id_number": adult_id(sequence="811")})
            agent = env["res.partner"].create({"name": "Backup Agent", "haoka_is_distributor": True,
                                               "haoka_kyc_id_number": adult_id(sequence="812")})
        self.plan, self.cards, self.customer, self.order, self.agent = plan, cards, customer, order, agent

    def _backup(self):
        with separate_env(self.env.registry) as env:
            run = env["haoka.backup.run"].action_backup_now()
            return run.read(["state", "path", "size", "message", "pruned"])[0]

    def _run(self, command, **kwargs):
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, **kwargs)
        return done.returncode, done.stdout + done.stderr

    def test_backup_restore_drill(self):
        """The drill: back up committed cards, an order and a distributor; restore into a new database in a
        fresh data directory; read a PUK and the ID numbers back in another process.

        Long because the drill is one story told end to end, with its clean-up."""
        self._commit_business_data()
        run = self._backup()
        self.assertEqual(run["state"], "done", run["message"])
        self.assertTrue(run["path"].startswith(self.backup_dir))
        self.assertGreater(run["size"], 100_000)
        with open(run["path"], "rb") as handle:
            head = handle.read()
        self.assertTrue(head.startswith(backup.MAGIC))
        self.assertNotIn(b"CREATE TABLE", head)  # nothing of the dump in clear

        restored = self.env.cr.dbname + "_drill"
        fresh = os.path.join(self.work, "other_machine")  # a fresh data directory: no key, no filestore
        self.addCleanup(self._run, ["dropdb", "--if-exists", restored])
        self._run(["dropdb", "--if-exists", restored])
        env = dict(os.environ, HAOKA_BACKUP_PASSPHRASE=PASSPHRASE)
        env.pop("HAOKA_SECRET_KEY", None)
        env.pop("HAOKA_KEY_DIR", None)
        code, output = self._run(
            ["bash", str(PROJECT / "scripts" / "restore.sh"), run["path"], restored, "--data-dir", fresh], env=env)
        self.assertEqual(code, 0, output)
        self.assertTrue(os.path.exists(os.path.join(fresh, "haoka_secret.key")), output)
        self.assertTrue(os.path.isdir(os.path.join(fresh, "filestore", restored)), output)

        # a separate Odoo process on the restored database, with the fresh data directory (its key)
        code, output = self._run(
            [sys.executable, str(PROJECT / "scripts" / "odoo"), "shell", "-d", restored, "--data-dir", fresh,
             "--addons-path=%s" % config["addons_path"], "--no-http", "--log-level=warn"],
            input=READ_BACK.format(iccid=make_iccid("898600", 8101), puk="81000001"),
            env=dict(env, PYTHONPATH=str(pathlib.Path(config["root_path"]).parent)))
        self.assertIn("PUK=81000001", output)
        self.assertIn("ORDER_ID=" + adult_id(sequence="811"), output)
        self.assertIn("AGENT_ID=" + adult_id(sequence="812"), output)
        self.assertIn("FOUND=1", output)

        # the same archive does not open with another passphrase
        code, output = self._run(
            ["bash", str(PROJECT / "scripts" / "restore.sh"), run["path"], restored + "_x",
             "--data-dir", os.path.join(self.work, "third")], env=dict(env, HAOKA_BACKUP_PASSPHRASE="wrong"))
        self.assertNotEqual(code, 0)
        self.assertIn("wrong passphrase", output)

    def test_retention_keeps_the_newest_archives(self):
        with separate_env(self.env.registry) as env:
            env["ir.config_parameter"].set_param(KEEP_PARAM, "2")
        paths = [self._backup()["path"] for _ in range(3)]
        self.assertEqual(sorted(os.listdir(self.backup_dir)), sorted(os.path.basename(p) for p in paths[1:]))
        with separate_env(self.env.registry) as env:
            last = env["haoka.backup.run"].search([], limit=1)
            self.assertEqual(last.pruned, os.path.basename(paths[0]))

    def test_failure_is_logged_with_an_activity(self):
        with open(os.path.join(self.work, "passphrase"), "w") as handle:
            handle.write("")  # no passphrase: nothing is written, the run fails
        with mute_logger("odoo.addons.haoka_distribution.models.haoka_backup_run"):  # the failure's ERROR line
            run = self._backup()
        self.assertEqual(run["state"], "failed")
        self.assertIn("no backup passphrase", run["message"])
        self.assertFalse(os.path.exists(self.backup_dir) and os.listdir(self.backup_dir))
        with separate_env(self.env.registry) as env:
            activities = env["mail.activity"].search([("res_model", "=", "haoka.backup.run"),
                                                      ("res_id", "=", run["id"])])
            self.assertIn(env.ref("base.user_admin"), activities.user_id)
            self.assertEqual(set(activities.mapped("summary")), {"Backup failed"})

    def test_settings_schedule_the_backup(self):
        cron = self.env.ref("haoka_distribution.ir_cron_haoka_backup")
        self.assertFalse(cron.active)
        self.env["res.config.settings"].create({"haoka_backup_enabled": True, "haoka_backup_keep": 3}).execute()
        self.assertTrue(cron.active)
        self.assertEqual(self.env["ir.config_parameter"].get_param(KEEP_PARAM), "3")
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.haoka_backup_enabled)
        self.assertIn(os.path.join(self.work, "passphrase"), settings.haoka_backup_passphrase_hint)

    def test_damaged_archive_is_refused(self):
        source = os.path.join(self.work, "plain")
        with open(source, "wb") as handle:
            handle.write(os.urandom(3 * backup.CHUNK + 10))
        sealed, opened = os.path.join(self.work, "sealed"), os.path.join(self.work, "opened")
        backup.encrypt_file(source, sealed, b"pass")
        backup.decrypt_file(sealed, opened, b"pass")
        self.assertEqual(pathlib.Path(opened).read_bytes(), pathlib.Path(source).read_bytes())
        data = pathlib.Path(sealed).read_bytes()
        pathlib.Path(sealed).write_bytes(data[:-30])  # the last chunk (10 bytes, its tag and length) cut off
        with self.assertRaisesRegex(backup.BackupError, "truncated"):
            backup.decrypt_file(sealed, opened, b"pass")
        pathlib.Path(sealed).write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
        with self.assertRaisesRegex(backup.BackupError, "damaged"):
            backup.decrypt_file(sealed, opened, b"pass")
