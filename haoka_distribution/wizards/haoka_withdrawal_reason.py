from odoo import fields, models


class HaokaWithdrawalReason(models.TransientModel):
    """The reason 号卡财务 gives when rejecting withdrawals (驳回) or recording a failed payment (打款失败)."""

    _name = "haoka.withdrawal.reason"
    _description = "Withdrawal Rejection or Failure Reason"

    withdrawal_ids = fields.Many2many("haoka.withdrawal", string="Withdrawals", required=True, readonly=True,
                                      default=lambda self: self.env.context.get("active_ids"))
    action = fields.Selection([("reject", "Reject"), ("fail", "Payment Failed")], required=True, readonly=True,
                              default=lambda self: self.env.context.get("haoka_action", "reject"))
    reason = fields.Char(required=True, help="Shown to the distributor and kept in the withdrawal's chatter.")

    def action_confirm(self):
        self.ensure_one()
        if self.action == "fail":
            self.withdrawal_ids.action_fail(self.reason)
        else:
            self.withdrawal_ids.action_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
