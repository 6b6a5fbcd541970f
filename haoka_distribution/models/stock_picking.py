from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    haoka_courier_id = fields.Many2one("haoka.courier", string="Courier", tracking=True, copy=False)
    haoka_tracking_ref = fields.Char(string="Tracking Number", tracking=True, copy=False, index="btree_not_null")
