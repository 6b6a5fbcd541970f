"""The daily expiry job."""

from ..tools.groups import MANAGER_GROUP
from .common import HaokaCase


class TestExpiry(HaokaCase):
    def _activities(self, template):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "product.template"),
                ("res_id", "=", template.id),
                ("activity_type_id", "=", self.env.ref("haoka_distribution.mail_activity_type_card_expiry").id),
            ]
        )

    def test_expired_cards_leave_the_sale(self):
        past = self.create_card(1, expiration_date=self.days(-1))
        sold = self.create_card(2, expiration_date=self.days(-1), card_state="sold")
        fresh = self.create_card(3, expiration_date=self.days(200))
        self.env["stock.lot"]._cron_haoka_card_expiry()
        self.assertEqual(past.card_state, "expired")
        self.assertEqual(sold.card_state, "sold")  # already sold cards are not touched
        self.assertEqual(fresh.card_state, "available")
        available = self.env["stock.lot"].search([("card_state", "=", "available"), ("id", "in", (past | fresh).ids)])
        self.assertEqual(available, fresh)

    def test_one_activity_per_plan_for_managers(self):
        self.create_card(10, expiration_date=self.days(5))
        self.create_card(11, expiration_date=self.days(20))
        self.create_card(12, expiration_date=self.days(90))
        self.create_card(13, product=self.product_b, expiration_date=self.days(200))
        Lot = self.env["stock.lot"]
        Lot._cron_haoka_card_expiry()
        activity = self._activities(self.plan)
        self.assertEqual(len(activity), 1)
        self.assertIn("2", activity.note)
        self.assertTrue(activity.user_id.has_group(MANAGER_GROUP))
        self.assertFalse(self._activities(self.plan_b))
        # running again the next day does not pile up activities
        Lot._cron_haoka_card_expiry()
        self.assertEqual(len(self._activities(self.plan)), 1)

    def test_warning_days_setting(self):
        self.create_card(20, expiration_date=self.days(50))
        self.env.company.haoka_expiry_warning_days = 60
        Lot = self.env["stock.lot"]
        self.assertEqual(Lot.search_count([("expiring_soon", "=", True), ("product_id", "=", self.product.id)]), 1)
        self.env.company.haoka_expiry_warning_days = 30
        self.assertEqual(Lot.search_count([("expiring_soon", "=", True), ("product_id", "=", self.product.id)]), 0)
        settings = self.env["res.config.settings"].create({"haoka_expiry_warning_days": 45})
        settings.execute()
        self.assertEqual(self.env.company.haoka_expiry_warning_days, 45)
