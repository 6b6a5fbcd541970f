from odoo import models

from .stock_bulk import RECEIPT


class StockMoveLine(models.Model):
    """Bulk card moves (context ``haoka_bulk_receipt`` or ``haoka_bulk_transfer``) write their quants with
    statements on many cards at once instead of one ORM quant update per serial: see :mod:`.stock_bulk`.
    The moves, the picking, valuation and accounting still go through Odoo's own ``_action_done``."""

    _inherit = "stock.move.line"

    def _action_done(self):
        Bulk = self.env["haoka.stock.bulk"]
        if not Bulk._bulk_moves():
            return super()._action_done()
        return Bulk._lines_done(self)

    def sorted(self, key=None, reverse=False):
        """Odoo's order of a bulk receipt's lines without a search of tens of thousands of ids (``_action_done``
        sorts the lines it validates): see :meth:`.stock_bulk.HaokaStockBulk._written_lines_sorted`."""
        if key is None and self.env.context.get(RECEIPT):
            ordered = self.env["haoka.stock.bulk"]._written_lines_sorted(self, reverse)
            if ordered is not None:
                return ordered
        return super().sorted(key, reverse)
