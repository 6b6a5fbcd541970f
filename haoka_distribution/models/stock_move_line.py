from odoo import fields, models
from odoo.exceptions import UserError


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    def _action_done(self):
        """Bulk card receipts (context ``haoka_bulk_receipt``) move their brand-new cards' quants with
        one INSERT per batch instead of one ORM quant update per serial; the moves, the picking,
        valuation and accounting still go through Odoo's own ``_action_done``."""
        if self.env.context.get("haoka_bulk_transfer"):
            if self:
                self._haoka_move_transfer_quants()
            return None
        if not self.env.context.get("haoka_bulk_receipt"):
            return super()._action_done()
        if not self:
            return None
        self._haoka_check_bulk_receipt_lines()
        self._haoka_insert_receipt_quants()  # the lines were written with the receipt's date already
        return None

    def _haoka_move_transfer_quants(self):
        """Internal transfer of whole cards: each card's single unreserved quant changes location,
        keeping its in-date, as ``_synchronize_quant`` would leave it (minus an empty source quant)."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            UPDATE stock_quant q SET location_id = ml.location_dest_id, write_date = now() AT TIME ZONE 'UTC',
                   write_uid = %s
              FROM stock_move_line ml
              JOIN stock_lot lot ON lot.id = ml.lot_id
             WHERE ml.move_id = ANY(%s) AND q.lot_id = ml.lot_id AND q.location_id = ml.location_id
               AND q.quantity = 1 AND q.reserved_quantity = 0 AND lot.is_sim_card AND ml.quantity_product_uom = 1
            """,
            (self.env.uid, self.move_id.ids),
        )
        if self.env.cr.rowcount != len(self):
            raise UserError(self.env._(
                "Some cards of this transfer are no longer available where the transfer takes them from: "
                "check them and try again."
            ))
        self.env.cr.execute(
            """UPDATE stock_lot lot SET location_id = ml.location_dest_id
                 FROM stock_move_line ml WHERE ml.move_id = ANY(%s) AND lot.id = ml.lot_id""",
            (self.move_id.ids,),
        )
        self.env["stock.quant"].invalidate_model()
        self.env["stock.lot"].invalidate_model(["quant_ids", "location_id", "product_qty"])

    def _haoka_check_bulk_receipt_lines(self):
        self.env.flush_all()
        moves = self.move_id
        self.env.cr.execute(
            "SELECT count(*) FROM stock_move_line WHERE move_id = ANY(%s)", (moves.ids,)
        )
        all_lines = self.env.cr.fetchone()[0]
        self.env.cr.execute(
            """
            SELECT count(*) FROM stock_move_line ml
              JOIN stock_lot lot ON lot.id = ml.lot_id
              JOIN stock_location src ON src.id = ml.location_id
             WHERE ml.move_id = ANY(%s) AND lot.is_sim_card AND ml.quantity_product_uom = 1 AND ml.picked
               AND src.usage NOT IN ('internal', 'transit')
            """,
            (moves.ids,),
        )
        fitting = self.env.cr.fetchone()[0]
        self.env.cr.execute(
            "SELECT count(*) FROM unnest(%s::int[]) AS v(lot_id) JOIN stock_quant q ON q.lot_id = v.lot_id",
            (self.lot_id.ids,),
        )
        fitting -= self.env.cr.fetchone()[0]
        if all_lines != len(self) or fitting != len(self):
            raise UserError(
                self.env._("A bulk card receipt only takes new SIM cards, one per line, from outside the warehouse.")
            )

    def _haoka_insert_receipt_quants(self):
        """Two quants per new card, as ``_synchronize_quant`` makes them: -1 at the (supplier) source,
        +1 at the destination; written by one INSERT ... SELECT from the move lines."""
        self.env.cr.execute(
            "SELECT DISTINCT location_id, location_dest_id FROM stock_move_line WHERE move_id = ANY(%s)",
            (self.move_id.ids,),
        )
        locations = self.env["stock.location"].browse({loc for row in self.env.cr.fetchall() for loc in row})
        now, uid = fields.Datetime.now(), self.env.uid
        self.env.cr.execute(
            """
            WITH loc(id, company_id, inventory_date) AS (SELECT * FROM unnest(%s::int[], %s::int[], %s::date[]))
            INSERT INTO stock_quant (product_id, company_id, location_id, lot_id, quantity, inventory_diff_quantity,
                                     inventory_date, in_date, expiration_date, removal_date,
                                     create_uid, create_date, write_uid, write_date,
                                     reserved_quantity, inventory_quantity, inventory_quantity_set)
            SELECT ml.product_id, loc.company_id, loc.id, ml.lot_id, side.quantity, -side.quantity,
                   loc.inventory_date, %s, lot.expiration_date, lot.removal_date, %s, %s, %s, %s, 0, 0, false
              FROM stock_move_line ml
              JOIN stock_lot lot ON lot.id = ml.lot_id
              CROSS JOIN (VALUES (-1.0, true), (1.0, false)) AS side(quantity, at_source)
              JOIN loc ON loc.id = CASE WHEN side.at_source THEN ml.location_id ELSE ml.location_dest_id END
             WHERE ml.move_id = ANY(%s)
            """,
            (
                locations.ids,
                [location.company_id.id or None for location in locations],
                [location._get_next_inventory_date() or None for location in locations],
                now, uid, now, uid, now,
                self.move_id.ids,
            ),
        )
        # the lot's single location follows its quants, as the ORM computes it
        self.env.cr.execute(
            """UPDATE stock_lot lot SET location_id = ml.location_dest_id
                 FROM stock_move_line ml WHERE ml.move_id = ANY(%s) AND lot.id = ml.lot_id
                  AND lot.location_id IS DISTINCT FROM ml.location_dest_id""",
            (self.move_id.ids,),
        )
        self.env["stock.quant"].invalidate_model()
        self.env["stock.lot"].invalidate_model(["quant_ids", "location_id", "product_qty"])
