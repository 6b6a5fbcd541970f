from odoo import models

# key of the line groups kept in the cursor's cache while a bulk picking is validated
BULK_LINE_GROUPS = "haoka_bulk_line_groups"


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
        Location = self.env["stock.location"]
        ids = []
        for source_id, dest_id, line_ids in self._haoka_line_groups():
            source_valued = Location.browse(source_id)._should_be_valued()
            dest_valued = Location.browse(dest_id)._should_be_valued()
            if (not source_valued and dest_valued) if incoming else (source_valued and not dest_valued):
                ids.extend(line_ids)
        return self.env["stock.move.line"].browse(ids)

    def _haoka_line_groups(self):
        """The move's picked lines owned by nobody else, grouped by (source, destination): a list of
        ``(source id, destination id, line ids)``. Validating asks for them about six times per move; while
        a bulk picking is validated (:meth:`stock.lot._haoka_validate_bulk`) its lines do not change, so
        the groups are read once and kept for the validation."""
        memo = self.env.cr.cache.get(BULK_LINE_GROUPS)
        if memo is not None and self.id not in (self._haoka_is_bulk() or ()):
            memo = None  # another move, validated along (e.g. assigned by this receipt): its lines may change
        if memo is not None and self.id in memo:
            return memo[self.id]
        self.env["stock.move.line"].flush_model(["move_id", "picked", "owner_id", "company_id", "location_id",
                                                 "location_dest_id"])
        self.env.cr.execute(
            """SELECT ml.location_id, ml.location_dest_id, array_agg(ml.id ORDER BY ml.id)
                 FROM stock_move_line ml JOIN res_company c ON c.id = ml.company_id
                WHERE ml.move_id = %s AND ml.picked AND (ml.owner_id IS NULL OR ml.owner_id = c.partner_id)
                GROUP BY ml.location_id, ml.location_dest_id""",
            (self.id,),
        )
        groups = self.env.cr.fetchall()
        if memo is not None:
            memo[self.id] = groups
        return groups
