"""Key rotation (issue 16 §2): every secret of every model using the mixin re-encrypted with a new key in
committed batches; a crash in the middle loses nothing, both keys read values and searches find them until the
rotation finishes; resuming finishes it; then only the new key reads, and the search hashes are the new key's.

The rotation runs on committed data, on connections of their own (as the cron job does), in a key directory
of the test's own that starts with the database's current key: the machine's key file is never touched, and
the test rotates back to the original key before deleting its rows."""

import os
import shutil
import tempfile
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tools import config

from ..tools import secrets
from .common import HaokaCase, adult_id, committed_row_counts, make_iccid, make_sim_plan, separate_env

QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True}
CARDS = 5


def crash_after_first_card_batch(rotation):
    """An ``after_batch`` callback that raises once the first batch of cards is committed: a crash in the
    middle, wherever the other secret keepers (with or without records) come in the order."""
    if rotation.line_ids.filtered(lambda line: line.model_name == "stock.lot").records_done:
        raise RuntimeError("injected crash after the first batch of cards")


class TestKeyRotation(HaokaCase):
    def setUp(self):
        super().setUp()
        self.rows_before = committed_row_counts(self.env.registry)
        self.original = secrets.master_secret()
        self.key_dir = tempfile.mkdtemp(prefix="haoka_keys_")
        self.addCleanup(shutil.rmtree, self.key_dir, True)
        with open(os.path.join(self.key_dir, secrets.KEY_FILE), "w") as handle:
            handle.write(self.original.decode())
        key_dir_patch = patch.dict(config.options, {"haoka_key_dir": self.key_dir})
        key_dir_patch.start()
        self.addCleanup(key_dir_patch.stop)
        self.data = self._commit_secrets()
        self.addCleanup(self._clean_up)

    def _commit_secrets(self):
        """Committed records of the four secret keepers; returns {(model, id): {field: clear value}}."""
        with separate_env(self.env.registry, context=QUIET) as env:
            plan = make_sim_plan(env, "Rotation Plan")
            cards = env["stock.lot"].create([{
                "name": make_iccid("898600", 7100 + i), "product_id": plan.product_variant_id.id,
                "msisdn": "1380071%04d" % i, "puk": "7100%04d" % i, "pin": "12%02d" % i,
            } for i in range(CARDS)])
            customer = env["res.partner"].create({"name": "Rotation Customer"})
            order = env["sale.order"].create({"partner_id": customer.id, "haoka_id_number": adult_id(sequence="711")})
            agent = env["res.partner"].create({"name": "Rotation Agent", "haoka_is_distributor": True,
                                               "haoka_kyc_id_number": adult_id(sequence="712")})
            entry = env["haoka.blacklist"].create({"name": "Rotation Blocked", "reason": "fraud",
                                                   "id_number": adult_id(sequence="713")})
            self.ids = {"plan": plan.id, "cards": cards.ids, "customer": customer.id, "order": order.id,
                        "agent": agent.id, "entry": entry.id}
            data = {("stock.lot", card.id): {"puk": "7100%04d" % i, "pin": "12%02d" % i}
                    for i, card in enumerate(cards)}
            data[("sale.order", order.id)] = {"haoka_id_number": adult_id(sequence="711")}
            data[("res.partner", agent.id)] = {"haoka_kyc_id_number": adult_id(sequence="712")}
            data[("haoka.blacklist", entry.id)] = {"id_number": adult_id(sequence="713")}
            return data

    def _clean_up(self):
        self._rotate_back()
        with separate_env(self.env.registry, context=QUIET) as env:
            env["haoka.key.rotation"].search([]).unlink()
            env["haoka.card.import.job"].browse(getattr(self, "job_id", [])).unlink()
            env["ir.cron.trigger"].search([("cron_id", "=", self._cron(env).id)]).unlink()
            ids = self.ids
            env["sale.order"].browse(ids["order"]).unlink()
            env["haoka.blacklist"].browse(ids["entry"]).unlink()
            env["stock.lot"].browse(ids["cards"] + getattr(self, "extra_cards", [])).unlink()
            env["res.partner"].browse([ids["agent"], ids["customer"]]).unlink()
            env["product.template"].browse(ids["plan"]).unlink()
        self.assertNoRowsLeft(self.rows_before)

    def _rotate_back(self):
        """Rotate to the original key (placed as the next key), so committed values stay readable with it."""
        with separate_env(self.env.registry) as env:
            env["haoka.key.rotation"].search([("state", "=", "running")]).write({"state": "failed"})
        if secrets.master_secret() == self.original:
            return
        with open(os.path.join(self.key_dir, secrets.NEXT_KEY_FILE), "w") as handle:
            handle.write(self.original.decode())
        with separate_env(self.env.registry) as env:
            env["haoka.key.rotation"].action_start()._run()
        self.assertEqual(secrets.master_secret(), self.original)

    @staticmethod
    def _cron(env):
        return env.ref("haoka_distribution.ir_cron_haoka_key_rotation")

    def _tokens(self, env):
        """{(model, id): {field: stored cipher}} of the test's records."""
        tokens = {}
        for model_name, record_id in self.data:
            record = env[model_name].browse(record_id)
            tokens[(model_name, record_id)] = {name: record[record._haoka_secrets[name].cipher]
                                               for name in self.data[(model_name, record_id)]}
        return tokens

    def _read_back(self, env):
        return {(model_name, record_id): env[model_name].browse(record_id)._haoka_read_secrets(list(values))[record_id]
                for (model_name, record_id), values in self.data.items()}

    def _assert_found_by_search(self, env):
        for (model_name, record_id), values in self.data.items():
            for name, clear in values.items():
                if env[model_name]._haoka_secrets[name].hash:
                    self.assertEqual(env[model_name].search([(name, "=", clear)]).ids, [record_id], (model_name, name))

    def test_every_model_of_the_mixin_is_rotated(self):
        models = self.env["haoka.key.rotation"]._secret_models()
        self.assertLessEqual({"stock.lot", "sale.order", "res.partner", "haoka.blacklist"}, set(models))
        self.assertNotIn("product.template", models)
        self.assertNotIn("haoka.secret.mixin", models)
        for name in models:
            self.assertTrue(self.env[name]._haoka_secrets, name)

    def test_crash_in_the_middle_then_resume(self):
        """A rotation crashing after some committed batches: both keys read everything meanwhile; resumed,
        it ends on the new key with the old one retired.

        Long because the crash, the half-rotated state and the resume are one story."""
        with separate_env(self.env.registry) as env:
            old_tokens = self._tokens(env(su=True))
        old_key = secrets.writing_key()

        # batches of 2 records: the blacklist, the distributor and the order take one each (keepers without records
        # one empty batch), the crash comes after the first batch of cards
        with self.assertRaisesRegex(RuntimeError, "injected crash after the first batch of cards"), \
                separate_env(self.env.registry) as env:
            rotation = env["haoka.key.rotation"].action_start(batch_size=2)
            env.cr.commit()
            rotation._run(after_batch=crash_after_first_card_batch)

        new_key = secrets.writing_key()
        self.assertNotEqual(new_key.key_id, old_key.key_id)
        with separate_env(self.env.registry) as env:
            rotation = env["haoka.key.rotation"].search([])
            self.assertEqual((rotation.state, rotation.key_id, rotation.old_key_id),
                             ("running", new_key.key_id, old_key.key_id))
            self.assertEqual(rotation.records_done, 5)  # the blacklist, distributor and order, 2 cards
            with self.assertRaisesRegex(UserError, "already running"):
                env["haoka.key.rotation"].action_start()
            tokens = self._tokens(env(su=True))
            on_new = sum(bool(secrets.decrypt_with(new_key, t)) for v in tokens.values() for t in v.values())
            on_old = sum(bool(secrets.decrypt_with(old_key, t)) for v in tokens.values() for t in v.values())
            self.assertTrue(on_new and on_old, "half rotated: values on both keys")
            self.assertEqual(on_new + on_old, sum(len(v) for v in self.data.values()))
            # until the rotation finishes, both keys read and searches find values under both keys
            self.assertEqual(self._read_back(env), self.data)
            self._assert_found_by_search(env)
            # a value written meanwhile is encrypted with the new key
            card = env["stock.lot"].with_context(**QUIET).create({
                "name": make_iccid("898600", 7199), "product_id": env["product.template"].browse(
                    self.ids["plan"]).product_variant_id.id, "puk": "71999999"})
            self.extra_cards = card.ids
            self.assertEqual(secrets.decrypt_with(new_key, card.sudo().puk_cipher), "71999999")

        with separate_env(self.env.registry) as env:
            self.assertTrue(env["haoka.key.rotation"].search([("state", "=", "running")])._run())

        self.assertEqual([key.key_id for key in secrets.ring()], [new_key.key_id])
        self.assertTrue(os.path.exists(os.path.join(
            self.key_dir, secrets.RETIRED_KEY_FILE % old_key.key_id)))
        self.assertFalse(os.path.exists(os.path.join(self.key_dir, secrets.NEXT_KEY_FILE)))
        with separate_env(self.env.registry) as env:
            rotation = env["haoka.key.rotation"].search([])
            self.assertEqual((rotation.state, rotation.unreadable), ("done", 0))
            self.assertGreaterEqual(rotation.records_done, len(self.data))
            self.assertEqual(self._read_back(env), self.data)
            self._assert_found_by_search(env)
            for (model_name, record_id), values in self._tokens(env(su=True)).items():
                record = env[model_name].sudo().browse(record_id)
                for name, token in values.items():
                    secret = record._haoka_secrets[name]
                    self.assertEqual(secrets.decrypt_with(new_key, token), self.data[(model_name, record_id)][name])
                    if secret.hash:
                        self.assertEqual(record[secret.hash], secrets.search_hash_with(new_key, secret.normalize(
                            self.data[(model_name, record_id)][name])))
        # the old key is not read any more: a value kept from before the rotation is unreadable now
        puk_before = old_tokens[("stock.lot", self.ids["cards"][0])]["puk"]
        self.assertEqual(secrets.decrypt_with(old_key, puk_before), "71000000")
        self.assertFalse(secrets.decrypt(puk_before))

    def test_a_queued_import_file_is_rotated(self):
        """A card file queued for a background import (its PUK/PIN inside) is re-encrypted with the new key:
        once the old key is retired, the job still reads it."""
        content = "a queued card file, PUK 71234567"
        with separate_env(self.env.registry) as env:
            job = env["haoka.card.import.job"].create({
                "name": "queued.xlsx", "file_cipher": secrets.encrypt(content),
                "location_id": env["stock.warehouse"].search([], limit=1).lot_stock_id.id,
            })
            self.job_id = job.id
            old_token = job.file_cipher
        old_key = secrets.writing_key()
        with separate_env(self.env.registry) as env:
            self.assertTrue(env["haoka.key.rotation"].action_start()._run())
        self.assertNotIn(old_key.key_id, [key.key_id for key in secrets.ring()])
        self.assertFalse(secrets.decrypt(old_token))  # the old key is retired
        with separate_env(self.env.registry) as env:
            token = env["haoka.card.import.job"].browse(self.job_id).file_cipher
            self.assertEqual(secrets.decrypt_with(secrets.writing_key(), token), content)
            self.assertEqual(env["haoka.key.rotation"].search([]).line_ids.filtered(
                lambda line: line.model_name == "haoka.card.import.job").records_done, 1)

    def test_only_administrators_rotate(self):
        with self.assertRaisesRegex(UserError, "Only administrators"):
            self.env["haoka.key.rotation"].with_user(self.manager).action_start()
