from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _check_quantity(self):
        """A bulk card receipt only brings lots created in the same transaction, each with one quant
        (checked before the quants are written), so Odoo's duplicate-serial search can be skipped."""
        if self.env.context.get("haoka_bulk_receipt"):
            return True
        return super()._check_quantity()
