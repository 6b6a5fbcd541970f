from odoo import models


class StockQuant(models.Model):
    """A bulk reservation of chosen cards reserves their quants in one statement (see
    :meth:`.stock_bulk.HaokaStockBulk._reserve_chosen_cards`): creating their move lines reserves nothing again."""

    _inherit = "stock.quant"

    def _update_reserved_quantity(self, product_id, location_id, quantity, lot_id=None, package_id=None,
                                  owner_id=None, strict=True):
        if self.env["haoka.stock.bulk"]._is_reserved_in_bulk(lot_id, quantity):
            return None
        return super()._update_reserved_quantity(product_id, location_id, quantity, lot_id=lot_id,
                                                 package_id=package_id, owner_id=owner_id, strict=strict)
