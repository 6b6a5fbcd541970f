"""Texts the addon stores (chatter notes, activity summaries) are written in their readers' language,
also when no user acts (scheduled jobs, the demo's install), instead of being frozen in English."""

from datetime import timedelta

from odoo import fields

from ..tools import texts
from .common import HaokaCase, adult_id


class TestStoredTextLanguage(HaokaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.internal_users = cls.env["res.users"].search([("share", "=", False)])

    def test_company_language_is_that_of_most_internal_users(self):
        self.internal_users.write({"lang": "en_US"})
        self.assertEqual(texts.company_lang(self.env), "en_US")
        self.internal_users.write({"lang": "zh_CN"})
        self.env.ref("base.user_admin").lang = "en_US"
        self.assertEqual(texts.company_lang(self.env), "zh_CN")

    def test_hold_expired_note_of_a_job_in_the_users_language(self):
        self.internal_users.write({"lang": "zh_CN"})
        card = self.create_card(1, "13800135790", expiration_date=self.days(300))
        order = self.env["sale.order"].create({
            "partner_id": self.env["res.partner"].create({"name": "陈先生"}).id,
            "haoka_holder_name": "陈先生", "haoka_id_number": adult_id(),
            "order_line": [fields.Command.create({"product_id": self.product.id,
                                                  "haoka_lot_ids": [fields.Command.set(card.ids)]})],
        })
        card.haoka_hold_until = fields.Datetime.now() - timedelta(minutes=1)
        # a scheduled job runs with no language in its context
        self.env["sale.order"].with_context({"tracking_disable": True})._cron_haoka_release_holds()
        self.assertIn("预占已过期：号码 13800135790 已重新上架。", order.message_ids[0].body)

    def test_expiry_activity_in_the_assignees_language(self):
        responsible = self.env["stock.lot"]._haoka_expiry_responsible()
        responsible.lang = "zh_CN"
        self.create_card(2, expiration_date=self.days(5))
        self.env["stock.lot"].with_context(lang="en_US")._cron_haoka_card_expiry()
        activity = self.env["mail.activity"].search([
            ("res_model", "=", "product.template"), ("res_id", "=", self.plan.id),
            ("activity_type_id", "=", self.env.ref("haoka_distribution.mail_activity_type_card_expiry").id),
        ])
        self.assertEqual(activity.user_id, responsible)
        self.assertEqual(activity.summary, "号卡即将过期")
        self.assertIn("天内到期", activity.note)
