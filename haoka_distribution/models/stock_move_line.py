from odoo import models
from odoo.exceptions import UserError


class StockMoveLine(models.Model):
    """Bulk card moves (context ``haoka_bulk_receipt`` or ``haoka_bulk_transfer``) write their quants with
    statements on many cards at once instead of one ORM quant update per serial: a bulk transfer here,
    a bulk receipt with its move lines (see ``stock.lot._haoka_import_cards``), checked here. The moves, the
    picking, valuation and accounting still go through Odoo's own ``_action_done``.

    The statements read one table each, by primary key or an indexed column and arrays of ids: their plans
    do not depend on table statistics, which are stale right after tens of thousands of rows were written
    in the same transaction (a join of two such tables can turn into a nested loop over both)."""

    _inherit = "stock.move.line"

    def _action_done(self):
        receipt = self.env.context.get("haoka_bulk_receipt")
        if not receipt and not self.env.context.get("haoka_bulk_transfer"):
            return super()._action_done()
        if not self:
            return None
        lot_ids_by_move = self._haoka_lot_ids_by_move()
        self._haoka_check_bulk_lines(lot_ids_by_move, receipt)
        if not receipt:
            self._haoka_move_transfer_quants(lot_ids_by_move)
        return None

    def _haoka_lot_ids_by_move(self):
        """``{move: [lot ids]}`` of the moves of these lines, read from the database."""
        self.env.flush_all()
        result = {}
        for move in self.move_id:
            self.env.cr.execute("SELECT lot_id FROM stock_move_line WHERE move_id = %s", (move.id,))
            result[move] = [row[0] for row in self.env.cr.fetchall()]
        return result

    def _haoka_check_bulk_lines(self, lot_ids_by_move, receipt):
        """Every line of the moves is one of these lines: one picked SIM card each, with the move's
        product and locations; a receipt takes new cards from outside the warehouse, into moves whose
        quants were written with their lines (the context key ``haoka_bulk_receipt`` lists these moves)."""
        _ = self.env._
        problem = False
        total = 0
        for move, lot_ids in lot_ids_by_move.items():
            total += len(lot_ids)
            self.env.cr.execute(
                """SELECT count(*) FROM stock_move_line
                    WHERE move_id = %s AND (lot_id IS NULL OR NOT picked OR quantity_product_uom != 1
                          OR product_id != %s OR location_id != %s OR location_dest_id != %s)""",
                (move.id, move.product_id.id, move.location_id.id, move.location_dest_id.id),
            )
            problem = problem or self.env.cr.fetchone()[0] > 0
            self.env.cr.execute("SELECT count(*) FROM stock_lot WHERE id = ANY(%s) AND is_sim_card", (lot_ids,))
            problem = problem or self.env.cr.fetchone()[0] != len(set(lot_ids)) or len(set(lot_ids)) != len(lot_ids)
            if receipt:
                # the receipt's writer names the moves whose quants it wrote
                problem = problem or move.id not in receipt or move.location_id.usage in ("internal", "transit")
        if problem or total != len(self):
            if receipt:
                raise UserError(
                    _("A bulk card receipt only takes new SIM cards, one per line, from outside the warehouse.")
                )
            raise UserError(_("A bulk card transfer only moves SIM cards, one per line, between two locations."))

    def _haoka_move_transfer_quants(self, lot_ids_by_move):
        """Internal transfer of whole cards: each card's single unreserved quant changes location,
        keeping its in-date, as ``_synchronize_quant`` would leave it (minus an empty source quant)."""
        for move, lot_ids in lot_ids_by_move.items():
            self.env.cr.execute(
                """
                UPDATE stock_quant SET location_id = %s, write_date = now() AT TIME ZONE 'UTC', write_uid = %s
                 WHERE lot_id = ANY(%s) AND location_id = %s AND quantity = 1 AND reserved_quantity = 0
                """,
                (move.location_dest_id.id, self.env.uid, lot_ids, move.location_id.id),
            )
            if self.env.cr.rowcount != len(lot_ids):
                raise UserError(self.env._(
                    "Some cards of this transfer are no longer available where the transfer takes them from: "
                    "check them and try again."
                ))
            self._haoka_set_lot_location(lot_ids, move.location_dest_id)
        self.env["stock.quant"].invalidate_model()

    def _haoka_receipt_quants_statement(self, move, now):
        """A function ``lot ids -> (query, params)`` inserting two quants per new card of the receipt ``move``,
        as ``_synchronize_quant`` makes them: -1 at the (supplier) source, +1 at the destination. The
        locations are read here, so the function itself does not use the ORM."""
        sides = [
            (location.id, quantity, location.company_id.id or None, location._get_next_inventory_date() or None)
            for location, quantity in ((move.location_id, -1.0), (move.location_dest_id, 1.0))
        ]
        columns = [list(column) for column in zip(*sides, strict=True)]
        product_id, uid = move.product_id.id, self.env.uid
        query = """
            INSERT INTO stock_quant (product_id, company_id, location_id, lot_id, quantity, inventory_diff_quantity,
                                     inventory_date, in_date, expiration_date, removal_date,
                                     create_uid, create_date, write_uid, write_date,
                                     reserved_quantity, inventory_quantity, inventory_quantity_set)
            SELECT %s, side.company_id, side.location_id, lot.id, side.quantity, -side.quantity,
                   side.inventory_date, %s, lot.expiration_date, lot.removal_date, %s, %s, %s, %s, 0, 0, false
              FROM stock_lot lot
             CROSS JOIN unnest(%s::int[], %s::numeric[], %s::int[], %s::date[])
                        AS side(location_id, quantity, company_id, inventory_date)
             WHERE lot.id = ANY(%s)
        """

        def statement(lot_ids):
            return query, (product_id, now, uid, now, uid, now, *columns, lot_ids)

        return statement

    def _haoka_set_lot_location(self, lot_ids, location):
        """The lot's single location follows its quants, as the ORM computes it."""
        self.env.cr.execute(
            "UPDATE stock_lot SET location_id = %s WHERE id = ANY(%s) AND location_id IS DISTINCT FROM %s",
            (location.id, lot_ids, location.id),
        )
        self.env["stock.lot"].invalidate_model(["quant_ids", "location_id", "product_qty"])
