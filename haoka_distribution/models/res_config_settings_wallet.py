from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    """Wallet settings of the current company (stored on the company)."""

    _inherit = "res.config.settings"

    haoka_withdrawal_hold_account_id = fields.Many2one(
        related="company_id.haoka_withdrawal_hold_account_id", readonly=False)
