"""Two quotations choose numbers at the same moment, each in its own database transaction.

Adding a chosen number to a quotation line first writes the line's link to the card (the link's foreign
key takes a KEY SHARE lock on the card row), then holds the card (locks the row and marks it reserved).
The tests interleave two transactions between those two steps, as two users clicking at once do.
"""

import uuid
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .common import adult_id, make_iccid, remove_plan_stock


@tagged("post_install", "-at_install")
class TestSimultaneousHolds(TransactionCase):
    """Committed fixtures on real cursors (the two transactions must see them), removed afterwards."""

    def setUp(self):
        super().setUp()
        self.registry_ = self.env.registry
        tag = uuid.uuid4().hex[:8]
        serial = int(uuid.uuid4().int % 10**8)
        with self.registry_.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            plan = env["product.template"].create({
                "name": "Race plan " + tag, "is_sim_card": True,
                "haoka_carrier_id": env.ref("haoka_distribution.carrier_cmcc").id,
            })
            Lot = env["stock.lot"].with_context(haoka_manual_entry=True)
            cards = Lot.create([{
                "name": make_iccid("898600", serial * 10 + index), "product_id": plan.product_variant_id.id,
                "msisdn": "139%08d" % ((serial * 10 + index) % 10**8),
                "expiration_date": fields.Datetime.now() + timedelta(days=200),
            } for index in range(2)])
            partner = env["res.partner"].create({"name": "Race customer " + tag})
            orders = env["sale.order"].create([{
                "partner_id": partner.id, "haoka_holder_name": "并发测试",
                "haoka_id_number": adult_id(sequence="%03d" % index),
            } for index in range(2)])
            self.plan_id, self.variant_id = plan.id, plan.product_variant_id.id
            self.card_ids, self.numbers = cards.ids, cards.mapped("msisdn")
            self.partner_id, self.order_ids = partner.id, orders.ids
            cr.commit()
        self.addCleanup(self._remove_fixtures)

    def _remove_fixtures(self):
        with self.registry_.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            orders = env["sale.order"].browse(self.order_ids).exists()
            orders.order_line.with_context(haoka_no_hold=True).unlink()
            orders.unlink()
            remove_plan_stock(cr, self.variant_id)
            env["product.template"].browse(self.plan_id).unlink()
            env["res.partner"].browse(self.partner_id).unlink()
            cr.commit()

    def _line_vals(self, card_id):
        return {"product_id": self.variant_id, "product_uom_qty": 1,
                "haoka_lot_ids": [fields.Command.set([card_id])]}

    def _race(self, card_a, card_b):
        """Transaction B writes its line's link to ``card_b``; transaction A adds a line choosing
        ``card_a`` (the whole hold); then B holds its card. Returns {order: 'held' or the error}."""
        outcomes = {}
        with self.registry_.cursor() as cr_a, self.registry_.cursor() as cr_b:
            env_a = api.Environment(cr_a, SUPERUSER_ID, {"tracking_disable": True})
            env_b = api.Environment(cr_b, SUPERUSER_ID, {"tracking_disable": True})
            order_a, order_b = env_a["sale.order"].browse(self.order_ids[0]), env_b["sale.order"].browse(
                self.order_ids[1])
            # B: the first half of create() — the link row is written, the card not held yet
            line_b = env_b["sale.order.line"].with_context(haoka_no_hold=True).create(
                dict(self._line_vals(card_b), order_id=order_b.id))
            env_b.flush_all()
            try:
                order_a.write({"order_line": [fields.Command.create(self._line_vals(card_a))]})
                env_a.flush_all()
                outcomes["A"] = "held"
            except UserError as error:
                outcomes["A"] = str(error)
            try:
                # B: the second half of create() — hold the chosen card
                line_b._haoka_hold_cards(env_b["stock.lot"])
                env_b.flush_all()
                outcomes["B"] = "held"
            except UserError as error:
                outcomes["B"] = str(error)
            for key, cr in (("A", cr_a), ("B", cr_b)):
                if outcomes[key] == "held":
                    cr.commit()
                else:
                    cr.rollback()
        return outcomes

    def _card_states(self):
        with self.registry_.cursor() as cr:
            cr.execute(
                "SELECT l.card_state, sol.order_id FROM stock_lot l "
                "LEFT JOIN sale_order_line sol ON sol.id = l.haoka_hold_line_id WHERE l.id = ANY(%s) ORDER BY l.id",
                (self.card_ids,),
            )
            return cr.fetchall()

    def test_same_free_number_exactly_one_holds(self):
        outcomes = self._race(self.card_ids[0], self.card_ids[0])
        self.assertEqual(outcomes["A"], "held", outcomes)
        self.assertIn("is being sold by another order right now", outcomes["B"])
        self.assertIn(self.numbers[0], outcomes["B"])
        self.assertEqual(self._card_states()[0], ("reserved", self.order_ids[0]))

    def test_different_numbers_both_held(self):
        outcomes = self._race(self.card_ids[0], self.card_ids[1])
        self.assertEqual(outcomes, {"A": "held", "B": "held"})
        self.assertEqual(self._card_states(), [("reserved", self.order_ids[0]), ("reserved", self.order_ids[1])])
