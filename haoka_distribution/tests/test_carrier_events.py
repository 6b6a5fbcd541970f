"""Carrier reports (激活, 首充, 销户) move the activation, first top-up and in-service commissions."""

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form

from .common import CarrierEventCase


class TestCarrierEvents(CarrierEventCase):
    topup_payout_timing = "monthly"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule_service = cls.env["haoka.commission.rule"].create({
            "name": "Upline 5/card after 3 months", "tier": 1, "amount": 5, "trigger": "in_service",
            "service_months": 3, "payout_timing": "instant"})

    def test_activation_reaches_the_activation_commission(self):
        order = self.shipped_order(qty=2)
        line = self.line(order, "activated")
        self.assertEqual((line.state, line.amount), ("expected", 40))
        first, second = order.order_line.haoka_lot_ids
        first._haoka_record_carrier_event("activation", self.today - relativedelta(days=2))
        self.assertEqual(line.state, "expected", "one card of two is not enough")
        self.assertEqual(first.card_state, "activated")
        self.assertEqual(order.haoka_fulfilment_state, "shipped")
        second._haoka_record_carrier_event("activation")
        self.assertEqual((line.state, line.reason_code), ("eligible", "ready"))
        self.assertEqual(order.haoka_fulfilment_state, "activated")
        first._haoka_record_carrier_event("activation", self.today)
        self.assertEqual(first.haoka_activated_date, self.today - relativedelta(days=2), "the first report stays")

    def test_first_topup_below_minimum_is_not_payable(self):
        order = self.shipped_order()
        order.order_line.haoka_lot_ids._haoka_record_carrier_event("first_topup", self.today, 30)
        line = self.line(order, "first_topup")
        self.assertEqual((line.state, line.reason_code), ("not_payable", "topup_too_low"))
        self.assertEqual(line.reason, "First top-up too low")
        self.assertEqual(self.line(order, "activated").state, "eligible", "a top-up implies the activation")

    def test_closure_inside_the_assessment_window(self):
        order = self.shipped_order()
        card = order.order_line.haoka_lot_ids
        card._haoka_record_carrier_event("first_topup", self.today - relativedelta(days=3), 100)
        line = self.line(order, "first_topup")
        self.assertEqual((line.state, line.reason_code), ("frozen", "assessment_window"))
        self.assertEqual(line.frozen_until, self.today - relativedelta(days=3) + relativedelta(months=1, day=31))
        instant = self.line(order, "activated")
        self.assertEqual(instant.state, "eligible")
        card._haoka_record_carrier_event("closure", self.today)
        self.assertEqual((line.state, line.reason_code), ("not_payable", "closed_early"))
        self.assertEqual(line.reason, "Closed before the end of next month")
        self.assertEqual(instant.state, "eligible", "an eligible line is past its window")
        self.assertEqual(self.line(order, "in_service").reason_code, "closed_early")

    def test_in_service_months_count_the_activation_month(self):
        order = self.shipped_order()
        line = self.line(order, "in_service")
        self.assertEqual(line.distributor_id, self.mid)
        card = order.order_line.haoka_lot_ids
        activated = self.today - relativedelta(months=2, day=1)  # month 1 of 3 began two months ago
        card._haoka_record_carrier_event("activation", activated)
        self.assertEqual(line.state, "expected")
        self.env["haoka.commission.line"]._cron_carrier_deadlines()
        self.assertEqual(line.state, "expected", "the third month is the current one")
        card.sudo().haoka_activated_date = activated - relativedelta(months=1)
        self.env["haoka.commission.line"]._cron_carrier_deadlines()
        self.assertEqual((line.state, line.reason_code), ("eligible", "ready"))

    def test_activation_deadline(self):
        late, on_time = self.shipped_order(), self.shipped_order()
        late.haoka_shipped_date = fields.Datetime.now() - relativedelta(days=31)
        on_time.haoka_shipped_date = fields.Datetime.now() - relativedelta(days=31)
        on_time.order_line.haoka_lot_ids._haoka_record_carrier_event("activation", self.today)
        self.env["haoka.commission.line"]._cron_carrier_deadlines()
        for trigger in ("activated", "first_topup", "in_service"):
            self.assertEqual(self.line(late, trigger).reason_code, "not_activated", trigger)
        self.assertEqual(self.line(late, "activated").reason, "Not activated in time")
        self.assertEqual(self.line(on_time, "activated").state, "eligible")
        self.assertEqual(self.line(on_time, "first_topup").reason_code, "topup_too_low", "no top-up in time")
        self.assertEqual(self.line(on_time, "in_service").state, "expected")
        self.env.company.haoka_activation_days = 60
        fresh = self.shipped_order()
        fresh.haoka_shipped_date = fields.Datetime.now() - relativedelta(days=31)
        self.env["haoka.commission.line"]._cron_carrier_deadlines()
        self.assertEqual(self.line(fresh, "activated").state, "expected")

    def test_bad_reports_are_refused_with_the_card(self):
        order = self.shipped_order()
        card = order.order_line.haoka_lot_ids
        unsold = self.cards.filtered(lambda c: c.card_state == "available")[:1]
        with self.assertRaisesRegex(UserError, unsold.name):
            unsold._haoka_record_carrier_event("activation")
        with self.assertRaisesRegex(UserError, "future"):
            card._haoka_record_carrier_event("activation", self.today + relativedelta(days=1))
        with self.assertRaisesRegex(UserError, "amount"):
            card._haoka_record_carrier_event("first_topup", self.today, 0)
        card._haoka_record_carrier_event("activation", self.today)
        with self.assertRaisesRegex(UserError, card.name):
            card._haoka_record_carrier_event("closure", self.today - relativedelta(days=1))
        self.assertFalse(card.haoka_closed_date)

    def test_wizard_for_managers_only(self):
        order = self.shipped_order()
        card = order.order_line.haoka_lot_ids
        Wizard = self.env["haoka.card.carrier.event"].with_context(active_model="stock.lot", active_ids=card.ids)
        with self.assertRaises(AccessError):
            Wizard.with_user(self.staff).create({"event": "activation"})
        form = Form(Wizard.with_user(self.manager))
        form.event = "first_topup"
        form.amount = 100
        form.save().action_apply()
        self.assertEqual((card.haoka_first_topup_amount, card.haoka_activated_date), (100, self.today))
        self.env.flush_all()
        funnel = self.env["haoka.distribution.funnel"].search([("distributor_id", "=", self.seller.id)])
        self.assertEqual((funnel.activated, funnel.topped_up, funnel.topped_up_rate), (1, 1, 100.0))

    def test_commission_lines_name_their_cards(self):
        order = self.shipped_order(qty=2)
        line = self.line(order, "activated")
        cards = order.order_line.haoka_lot_ids
        self.assertEqual(line.lot_ids, cards)
        found = self.env["haoka.commission.line"].search([("lot_ids.msisdn", "=", cards[0].msisdn)])
        self.assertEqual(found, order.haoka_commission_line_ids)
