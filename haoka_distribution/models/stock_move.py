from odoo import models


class StockMove(models.Model):
    """Under the bulk context, delegates to ``haoka.stock.bulk`` (see :mod:`.stock_bulk`)."""

    _inherit = "stock.move"

    def _check_quantity(self):
        """A bulk card receipt only brings lots created in the same transaction, each with one quant
        (checked before the quants are written), so Odoo's duplicate-serial search can be skipped."""
        if self.env["haoka.stock.bulk"]._is_receipt():
            return True
        return super()._check_quantity()

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") == "done" and self.env["haoka.stock.bulk"]._lines_written_done():
            # the lines were written done and picked: nothing to recompute for them
            self.env["haoka.stock.bulk"]._skip_line_recomputes(self.move_line_ids)
        return result

    def _action_assign(self, force_qty=False):
        """The cards a sale line chose are reserved on its delivery at once (see
        :meth:`.stock_bulk.HaokaStockBulk._reserve_chosen_cards`); Odoo reserves the other moves."""
        if force_qty:
            return super()._action_assign(force_qty=force_qty)
        reserved = self.env["haoka.stock.bulk"]._reserve_chosen_cards(self)
        return super(StockMove, self - reserved)._action_assign(force_qty=force_qty)

    def _get_in_move_lines(self):
        if not self._haoka_is_bulk():
            return super()._get_in_move_lines()
        return self.env["haoka.stock.bulk"]._valued_lines(self, incoming=True)

    def _get_out_move_lines(self):
        if not self._haoka_is_bulk():
            return super()._get_out_move_lines()
        lines = self.env["stock.move.line"]
        for move in self:
            lines |= self.env["haoka.stock.bulk"]._valued_lines(move, incoming=False)
        return lines

    def _get_in_svl_vals(self, forced_quantity):
        """Odoo's values of the incoming valuation layers. A bulk receipt's move of a plan valued per product
        (the fast path's only case) gets one layer for its lines' total quantity, read from the cache in one
        call (stock_account adds each card's quantity per lot, record by record, then sums them)."""
        if forced_quantity or not self._haoka_is_bulk():
            return super()._get_in_svl_vals(forced_quantity)
        vals_list = []
        for move in self:
            if move.product_id.lot_valuated:
                vals_list += super(StockMove, move)._get_in_svl_vals(forced_quantity)
                continue
            move = move.with_company(move.company_id)
            no_lot = self.env["stock.lot"]
            unit_cost = {no_lot: move.product_id.standard_price}
            if move.product_id.cost_method != "standard":
                unit_cost = move._get_price_unit()  # {lot: price}
            quantity = sum(move._get_in_move_lines().mapped("quantity_product_uom"))
            vals = move.product_id._prepare_in_svl_vals(quantity, abs(unit_cost[no_lot]))
            vals.update(move._prepare_common_svl_vals())
            vals_list.append(vals)
        return vals_list

    def _haoka_is_bulk(self):
        return bool(self.env["haoka.stock.bulk"]._bulk_moves())
