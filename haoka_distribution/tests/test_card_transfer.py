"""Bulk transfer (调拨) and void through scrap (作废)."""

import base64

from odoo.exceptions import UserError

from .common import HaokaCase, make_iccid
from .test_card_import import FUTURE, HEADER, xlsx_bytes


class TestCardTransfer(HaokaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rows = [HEADER] + [
            [make_iccid("898600", 80000 + i), "1380008%04d" % i, "", "", "Test Plan 29", FUTURE] for i in range(20)
        ]
        wizard = cls.env["haoka.card.import"].create({"file": base64.b64encode(xlsx_bytes(rows)), "filename": "a.xlsx"})
        assert wizard.action_import()["imported"] == 20
        cls.cards = cls.env["stock.lot"].search([("product_id", "=", cls.product.id)], order="name")
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.env.company.id)], limit=1)
        cls.stock = cls.warehouse.lot_stock_id
        cls.shelf = cls.env["stock.location"].create(
            {"name": "Distributor consignment", "usage": "internal", "location_id": cls.stock.id}
        )

    def quantity_at(self, location, cards):
        quants = self.env["stock.quant"].search([("lot_id", "in", cards.ids), ("location_id", "=", location.id)])
        return sum(quants.mapped("quantity"))

    def test_transfer_selected_cards(self):
        moving = self.cards[:10]
        wizard = self.env["haoka.card.transfer"].with_user(self.staff).with_context(
            active_model="stock.lot", active_ids=moving.ids
        ).create({"location_dest_id": self.shelf.id})
        self.assertEqual(wizard.card_count, 10)
        action = wizard.action_transfer()
        picking = self.env["stock.picking"].browse(action["res_id"])
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.picking_type_id, self.warehouse.int_type_id)
        self.assertEqual(picking.move_line_ids.lot_id, moving)
        self.assertEqual(self.quantity_at(self.shelf, moving), 10)
        self.assertEqual(self.quantity_at(self.stock, moving), 0)
        self.assertEqual(self.quantity_at(self.stock, self.cards - moving), 10)
        self.assertEqual(set(moving.mapped("location_id")), {self.shelf})
        self.assertEqual(self.product.with_context(location=self.shelf.id).qty_available, 10)
        self.assertEqual(self.product.qty_available, 20)
        # Odoo's own availability sees them in their new place
        available = self.env["stock.quant"]._get_available_quantity(self.product, self.shelf, lot_id=moving[0])
        self.assertEqual(available, 1)

    def test_transfer_by_iccid_range(self):
        wizard = self.env["haoka.card.transfer"].create({
            "selection": "range", "iccid_from": self.cards[4].name, "iccid_to": self.cards[2].name,
            "location_dest_id": self.shelf.id,
        })
        self.assertEqual(wizard.card_count, 3)
        wizard.action_transfer()
        self.assertEqual(self.quantity_at(self.shelf, self.cards[2:5]), 3)

    def test_same_result_as_a_standard_transfer(self):
        moving, standard = self.cards[:3], self.cards[3:6]
        self.env["haoka.stock.bulk"]._transfer(moving, self.shelf)
        picking = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.int_type_id.id,
            "location_id": self.stock.id, "location_dest_id": self.shelf.id,
            "move_ids": [(0, 0, {"name": "std", "product_id": self.product.id, "product_uom_qty": 3,
                                 "product_uom": self.product.uom_id.id, "location_id": self.stock.id,
                                 "location_dest_id": self.shelf.id})],
        })
        picking.action_confirm()
        picking.move_ids.lot_ids = standard
        picking.move_ids.picked = True
        self.assertIs(picking.button_validate(), True)
        self.env.flush_all()
        self.env.invalidate_all()  # compare the database, not the ORM cache

        def picture(cards):
            quants = self.env["stock.quant"].search([("lot_id", "in", cards.ids), ("quantity", "!=", 0)])
            lines = self.env["stock.move.line"].search(
                [("lot_id", "in", cards.ids), ("location_id", "=", self.stock.id)]
            )
            return (
                sorted((q.location_id.id, q.quantity, q.reserved_quantity) for q in quants),
                sorted((ml.state, ml.quantity, ml.picked, ml.location_dest_id.id, ml.picking_id.state,
                        ml.expiration_date == ml.lot_id.expiration_date) for ml in lines),
                sorted(card.location_id.id for card in cards),
            )

        self.assertEqual(picture(moving), picture(standard))

    def test_unavailable_cards_refused(self):
        sold = self.cards[0]
        sold.card_state = "sold"
        with self.assertRaisesRegex(UserError, sold.name):
            self.env["haoka.stock.bulk"]._transfer(self.cards[:2], self.shelf)
        self.assertEqual(self.quantity_at(self.shelf, self.cards), 0)

    def test_void_through_scrap(self):
        card = self.cards[7]
        wizard = self.env["haoka.card.void"].with_user(self.manager).with_context(
            active_model="stock.lot", active_ids=card.ids
        ).create({"reason": "damaged in transport"})
        wizard.action_void()
        self.assertEqual(card.card_state, "void")
        scrap = self.env["stock.scrap"].search([("lot_id", "=", card.id)])
        self.assertEqual(scrap.state, "done")
        self.assertEqual(scrap.origin, "damaged in transport")
        self.assertEqual(self.quantity_at(self.stock, card), 0)
        self.assertEqual(self.product.qty_available, 19)
        self.assertIn("damaged in transport", card.message_ids[0].body)

    def test_staff_cannot_void(self):
        from odoo.exceptions import AccessError

        with self.assertRaises(AccessError):
            self.env["haoka.card.void"].with_user(self.staff).create({"reason": "x", "lot_ids": self.cards[:1].ids})
