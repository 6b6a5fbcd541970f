from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    haoka_withdrawal_hold_account_id = fields.Many2one(
        "account.account", string="Withdrawals in Progress Account",
        help="提现中: liability account holding the distributors' withdrawals between request and payout.",
    )
