from odoo import api, fields, models

from .stock_picking import company_sends_delivery_sms


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    haoka_expiry_warning_days = fields.Integer(related="company_id.haoka_expiry_warning_days", readonly=False)
    haoka_hold_minutes = fields.Integer(related="company_id.haoka_hold_minutes", readonly=False)
    haoka_max_cards_per_id = fields.Integer(
        string="Cards per ID and Carrier",
        config_parameter="haoka_distribution.max_cards_per_id",
        default=5,
        help="一证五户: how many active cards one ID number may hold with one carrier.",
    )
    haoka_auto_receipt_days = fields.Integer(related="company_id.haoka_auto_receipt_days", readonly=False)
    haoka_activation_days = fields.Integer(related="company_id.haoka_activation_days", readonly=False)
    haoka_delivery_sms = fields.Boolean(
        string="SMS to Customers on Shipping",
        help="Text the customer (Odoo's delivery SMS, paid per message) when the SIM cards are shipped. Off until "
        "the company chooses it here or answers Odoo's SMS question in Inventory.",
    )

    @api.model
    def get_values(self):
        values = super().get_values()
        values["haoka_delivery_sms"] = company_sends_delivery_sms(self.env.company)
        return values

    def set_values(self):
        """The delivery SMS changes only when this setting was changed: saving the settings for anything else
        leaves the company's SMS choice (or its absence) as it was."""
        super().set_values()
        company = self.company_id
        if "stock_move_sms_validation" in company._fields and \
                self.haoka_delivery_sms != company_sends_delivery_sms(company):
            company.sudo().write({
                "stock_move_sms_validation": self.haoka_delivery_sms,
                "has_received_warning_stock_sms": True,
            })
