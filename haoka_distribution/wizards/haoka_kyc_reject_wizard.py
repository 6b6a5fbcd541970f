from odoo import api, fields, models


class HaokaKycRejectWizard(models.TransientModel):
    """拒绝实名认证: a SIM manager rejects distributors' real-name verification with a reason, logged in
    their chatter."""

    _name = "haoka.kyc.reject.wizard"
    _description = "Reject Real-name Verification"

    partner_ids = fields.Many2many("res.partner", string="Distributors", required=True, readonly=True)
    reason = fields.Char(required=True, help="Shown to the distributor and kept in its chatter.")

    @api.model
    def default_get(self, fields_list):
        self.env["res.partner"]._haoka_check_reviewer()
        return super().default_get(fields_list)

    def action_reject(self):
        self.ensure_one()
        self.partner_ids.action_haoka_kyc_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
