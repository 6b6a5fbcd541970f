"""The contract of ``haoka.secret.mixin``, held by every model that keeps a secret: cards (PUK), orders (the
holder's ID number), distributors (their real-name ID number) and the blacklist (a blocked ID number)."""

import pathlib

from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools import idcard, secrets
from ..tools.groups import FINANCE_GROUP, MANAGER_GROUP, USER_GROUP
from .common import HaokaCase, activate_chinese, adult_id, make_iccid


class TestSecretMixin(HaokaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        customer = cls.env["res.partner"].create({"name": "Holder Customer"})
        order_id, distributor_id, blacklisted_id = (adult_id(sequence=s) for s in ("601", "602", "603"))
        #: (record, masked field, clear value, what everyone sees, another valid value)
        cls.cases = [
            (cls.env["stock.lot"].create({"name": make_iccid("898600", 6001), "product_id": cls.product.id,
                                          "msisdn": "13800006001", "puk": "61234567"}),
             "puk", "61234567", "********", "61234568"),
            (cls.env["sale.order"].create({"partner_id": customer.id, "user_id": cls.staff.id,
                                           "haoka_id_number": order_id}),
             "haoka_id_number", order_id, idcard.mask_id(order_id), adult_id(sequence="611")),
            (cls.env["res.partner"].create({"name": "Secret Agent", "haoka_is_distributor": True,
                                            "haoka_kyc_id_number": distributor_id}),
             "haoka_kyc_id_number", distributor_id, idcard.mask_id(distributor_id), adult_id(sequence="612")),
            (cls.env["haoka.blacklist"].create({"name": "Blocked Holder", "id_number": blacklisted_id,
                                                "reason": "fraud"}),
             "id_number", blacklisted_id, idcard.mask_id(blacklisted_id), adult_id(sequence="613")),
        ]

    def test_every_secret_keeper_uses_the_mixin(self):
        self.assertEqual(
            set(self.env["haoka.secret.mixin"]._inherit_children),
            {"stock.lot", "sale.order", "res.partner", "haoka.blacklist", "haoka.upstream", "haoka.card.import.job"},
        )
        # the upstream's signing secret is never searched: a cipher column only, managers only
        upstream = self.env["haoka.upstream"]
        self.assertEqual((upstream._haoka_secrets["secret"].hash, upstream._fields["secret_cipher"].groups),
                         (None, MANAGER_GROUP))
        for record, name, *_ in self.cases:
            with self.subTest(model=record._name):
                secret = record._haoka_secrets[name]
                for column in (secret.cipher, secret.hash):
                    self.assertEqual(record._fields[column].groups, MANAGER_GROUP)

    def test_masked_for_everyone_and_encrypted_at_rest(self):
        self.env.flush_all()
        for record, name, clear, shown, _other in self.cases:
            with self.subTest(model=record._name):
                for user in (self.staff, self.finance, self.manager):
                    self.assertEqual(record.with_user(user).read([name])[0][name], shown)
                self.assertNotEqual(shown, clear)
                self.env.cr.execute(
                    f"SELECT row_to_json(t)::text FROM {record._table} t WHERE id = %s",  # noqa: S608
                    (record.id,),
                )
                self.assertNotIn(clear, self.env.cr.fetchone()[0])
                cipher = record._haoka_secrets[name].cipher
                self.assertEqual(secrets.decrypt(record.sudo()[cipher]), clear)
                with self.assertRaises(AccessError):
                    record.with_user(self.staff).read([cipher])

    def test_mask_written_back_changes_nothing(self):
        for record, name, clear, shown, _other in self.cases:
            with self.subTest(model=record._name):
                cipher = record._haoka_secrets[name].cipher
                before = record.sudo()[cipher]
                record.write({name: shown})
                self.assertEqual(record.sudo()[cipher], before)
                self.assertEqual(record.sudo()._haoka_read_secrets()[record.id][name], clear)

    def test_reveal_refused_to_non_managers(self):
        for record, *_ in self.cases:
            for user in (self.staff, self.finance):
                with self.subTest(model=record._name, user=user.login):
                    messages = record.message_ids
                    with self.assertRaisesRegex(AccessError, "SIM managers"):
                        record.with_user(user).action_haoka_reveal_secrets()
                    with self.assertRaises(AccessError):
                        record.with_user(user)._haoka_read_secrets()
                    self.assertEqual(record.message_ids, messages)

    def test_reveal_shows_the_clear_value_and_is_logged(self):
        for record, _name, clear, *_ in self.cases:
            with self.subTest(model=record._name):
                messages = record.message_ids
                action = record.with_user(self.manager).action_haoka_reveal_secrets()
                self.assertEqual((action["tag"], action["params"]["sticky"]), ("display_notification", True))
                self.assertIn(clear, action["params"]["message"])
                log = record.message_ids - messages
                self.assertEqual(len(log), 1)
                self.assertEqual(log.author_id, self.manager.partner_id)
                self.assertIn("revealed by Manager Li", log.body)
                self.assertNotIn(clear, log.body)

    def test_search_by_exact_value_through_the_hash(self):
        for record, name, clear, _shown, other in self.cases:
            with self.subTest(model=record._name):
                Model = self.env[record._name].with_user(self.manager).with_context(active_test=False)
                self.assertEqual(Model.search([(name, "=", clear)]), record)
                self.assertEqual(Model.search([(name, "=", " %s " % clear.lower())]), record)  # normalized
                self.assertFalse(Model.search([(name, "=", other)]))
                with self.assertRaises(UserError):
                    Model.search([(name, "ilike", clear[:6])])
                with self.assertRaises(AccessError):
                    self.env[record._name].with_user(self.staff).search([(name, "=", clear)])

    def test_a_changed_value_is_found_under_its_new_hash(self):
        for record, name, clear, _shown, other in self.cases:
            with self.subTest(model=record._name):
                record.write({name: other})
                Model = self.env[record._name].with_context(active_test=False)
                self.assertEqual(Model.search([(name, "=", other)]), record)
                self.assertFalse(Model.search([(name, "=", clear)]))
                record.write({name: False})
                self.assertFalse(record[name])
                self.assertFalse(record.sudo()[record._haoka_secrets[name].hash])

    def test_missing_hashes_are_filled_from_the_ciphers(self):
        """A hash column added to a model already holding secrets (the distributors' ID hash) is filled by
        the upgrade from the ciphers."""
        for record, name, clear, *_ in self.cases:
            with self.subTest(model=record._name):
                hash_column = record._haoka_secrets[name].hash
                record.sudo()[hash_column] = False
                self.assertFalse(self.env[record._name].with_context(active_test=False).search([(name, "=", clear)]))
                self.assertGreaterEqual(self.env[record._name]._haoka_fill_secret_hashes(), 1)
                self.assertEqual(
                    self.env[record._name].with_context(active_test=False).search([(name, "=", clear)]), record
                )

    def test_messages_in_the_readers_language(self):
        activate_chinese(self.env)
        card, _name, clear, *_ = self.cases[0]
        zh = {"lang": "zh_CN"}
        with self.assertRaisesRegex(ValidationError, r"号卡 .*%s 的PUK 码（8 位数字）无效" % card.name):
            card.with_context(zh).puk = "1234"
        with self.assertRaisesRegex(ValidationError, "不是有效的居民身份证号码"):
            self.cases[2][0].with_context(zh).haoka_kyc_id_number = "110105199001011234"
        with self.assertRaisesRegex(AccessError, "只有号卡主管可以查看或查询PUK 码/PIN 码。"):
            card.with_user(self.staff).with_context(zh).action_haoka_reveal_secrets()
        action = card.with_user(self.manager).with_context(zh).action_haoka_reveal_secrets()
        self.assertEqual(action["params"]["message"], "PUK 码: %s   PIN 码: -" % clear)
        self.assertIn("Manager Li 查看了PUK 码/PIN 码。", card.message_ids[0].body)


class TestGroupConstants(HaokaCase):
    def test_the_constants_name_the_addon_groups(self):
        self.assertEqual(
            [self.env.ref(xmlid).name for xmlid in (USER_GROUP, MANAGER_GROUP, FINANCE_GROUP)],
            ["SIM Staff", "SIM Manager", "SIM Finance"],
        )
        self.assertTrue(self.manager.has_group(MANAGER_GROUP))
        self.assertFalse(self.staff.has_group(MANAGER_GROUP))

    def test_python_names_the_groups_only_through_the_constants(self):
        addon = pathlib.Path(__file__).parents[1]
        xmlid_start = "haoka_distribution" + ".group_haoka_"  # not spelled whole here
        spelled = sorted(
            str(path.relative_to(addon)) for path in addon.rglob("*.py")
            if path != addon / "tools" / "groups.py" and xmlid_start in path.read_text()
        )
        self.assertEqual(spelled, [], "use the constants of tools/groups.py")
