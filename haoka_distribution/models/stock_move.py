from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _check_quantity(self):
        """A bulk card receipt only brings lots created in the same transaction, each with one quant
        (checked before the quants are written), so Odoo's duplicate-serial search can be skipped."""
        if self.env.context.get("haoka_bulk_receipt"):
            return True
        return super()._check_quantity()

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") == "done" and self._haoka_is_bulk():
            # the lines were written done and picked: nothing to recompute for them (see _haoka_insert_move_lines)
            self.env["stock.lot"]._haoka_skip_line_recomputes(self.move_line_ids)
        return result

    def _get_in_move_lines(self):
        if not self._haoka_is_bulk():
            return super()._get_in_move_lines()
        self.ensure_one()
        return self._haoka_valued_lines(incoming=True)

    def _get_out_move_lines(self):
        if not self._haoka_is_bulk():
            return super()._get_out_move_lines()
        lines = self.env["stock.move.line"]
        for move in self:
            lines |= move._haoka_valued_lines(incoming=False)
        return lines

    def _haoka_is_bulk(self):
        return self.env.context.get("haoka_bulk_receipt") or self.env.context.get("haoka_bulk_transfer")

    def _haoka_valued_lines(self, incoming):
        """Odoo's selection of the lines entering (or leaving) the valued stock, computed per group of lines
        sharing locations and owner instead of per line: bulk card moves have tens of thousands of lines."""
        self.ensure_one()
        self.env["stock.move.line"].flush_model(["move_id", "picked", "owner_id", "company_id", "location_id",
                                                 "location_dest_id"])
        self.env.cr.execute(
            """SELECT ml.location_id, ml.location_dest_id, array_agg(ml.id ORDER BY ml.id)
                 FROM stock_move_line ml JOIN res_company c ON c.id = ml.company_id
                WHERE ml.move_id = %s AND ml.picked AND (ml.owner_id IS NULL OR ml.owner_id = c.partner_id)
                GROUP BY ml.location_id, ml.location_dest_id""",
            (self.id,),
        )
        Location = self.env["stock.location"]
        ids = []
        for source_id, dest_id, line_ids in self.env.cr.fetchall():
            source_valued = Location.browse(source_id)._should_be_valued()
            dest_valued = Location.browse(dest_id)._should_be_valued()
            if (not source_valued and dest_valued) if incoming else (source_valued and not dest_valued):
                ids.extend(line_ids)
        return self.env["stock.move.line"].browse(ids)
