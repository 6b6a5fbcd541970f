from odoo import api, fields, models

from ..tools import bank_account
from .haoka_withdrawal import HELD_STATES


class ResPartnerBank(models.Model):
    """A distributor's bank account as the portal shows it (masked) and whether a withdrawal in flight
    uses it (then it cannot be archived)."""

    _inherit = "res.partner.bank"

    haoka_acc_number_masked = fields.Char(string="Account Number (masked)", compute="_compute_haoka_acc_number_masked")

    @api.depends("acc_number")
    def _compute_haoka_acc_number_masked(self):
        for bank in self:
            bank.haoka_acc_number_masked = bank_account.mask(bank.acc_number)

    def _haoka_withdrawals_in_flight(self):
        """The withdrawals not finished (draft, or submitted or approved: their amount held) paying to this
        account."""
        return self.env["haoka.withdrawal"].sudo().search(
            [("partner_bank_id", "in", self.ids), ("state", "in", ("draft", *HELD_STATES))])
