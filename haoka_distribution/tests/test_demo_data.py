"""The demo's own helpers: what `make demo` loads must show every feature it advertises."""

from odoo import fields

from ..tools import grade
from .common import HaokaCase


class TestDemoCards(HaokaCase):
    def _shadowed(self, rule):
        """A lucky-string grade whose own numbers all go to another grade first (same level, lower sequence):
        no number can have it."""
        if rule.pattern_kind != "lucky":
            return False
        rules = self.env["haoka.number.grade"]._classifier_rules(self.cmcc)
        match = grade.classify("138" + rule.lucky_string.rjust(8, "0"), rules)
        return match.key != rule.id and match.level >= rule.level

    def test_every_number_grade_has_cards_on_sale(self):
        Lot = self.env["stock.lot"]
        products = self.product | self.product_cu
        Lot._haoka_create_demo_cards(products.product_tmpl_id.ids, 60)
        cards = Lot.search([("product_id", "in", products.ids)])
        in_stock = self.env["stock.quant"].search([
            ("lot_id", "in", cards.ids), ("location_id.usage", "=", "internal"), ("quantity", "=", 1),
        ]).lot_id
        now = fields.Datetime.now()
        on_sale = in_stock.filtered(lambda card: card.card_state == "available" and card.expiration_date > now)
        grades = self.env["haoka.number.grade"].search([])
        shadowed = grades.filtered(self._shadowed)
        self.assertEqual(shadowed.mapped("name"), [], "every shipped grade can be given to a number")
        self.assertEqual((grades - shadowed - on_sale.grade_id).mapped("name"), [])
        for rule in grades - shadowed:
            self.assertGreaterEqual(len(on_sale.filtered(lambda card, rule=rule: card.grade_id == rule)), 2, rule.name)
        found = Lot.search([("msisdn", "like", "8888"), ("id", "in", on_sale.ids)])
        self.assertGreaterEqual(len(found), 1)
        # the plain numbers still show the other card states
        self.assertEqual(set(cards.mapped("card_state")) >= {"available", "expired", "void"}, True,
                         set(cards.mapped("card_state")))
