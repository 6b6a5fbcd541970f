import base64

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import payout_file


class HaokaWithdrawalPayout(models.TransientModel):
    """批量打款: approved withdrawals exported as the bank's payout file (户名, 开户行, 账号, 金额, 用途), then, from
    the bank's return, marked paid in one go (a payment each) with the failed ones recorded (打款失败)."""

    _name = "haoka.withdrawal.payout"
    _description = "Withdrawal Batch Payout"

    line_ids = fields.One2many("haoka.withdrawal.payout.line", "payout_id", string="Withdrawals")
    total = fields.Monetary(compute="_compute_total", string="Total to Transfer")
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)
    file = fields.Binary(string="Payout File", readonly=True, attachment=False)
    filename = fields.Char(readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        withdrawals = self.env["haoka.withdrawal"].browse(self.env.context.get("active_ids", []))
        withdrawals._haoka_check_finance(self.env._("pays"))
        withdrawals = withdrawals.filtered(lambda w: w.state == "approved")
        if not withdrawals:
            raise UserError(self.env._("Select approved withdrawals to pay."))
        values["line_ids"] = [fields.Command.create({"withdrawal_id": w.id}) for w in withdrawals]
        return values

    @api.depends("line_ids.withdrawal_id.net_amount")
    def _compute_total(self):
        for payout in self:
            payout.total = sum(payout.line_ids.withdrawal_id.mapped("net_amount"))

    def _haoka_file_lines(self):
        lines = []
        for withdrawal in self.line_ids.withdrawal_id:
            bank = withdrawal.partner_bank_id
            lines.append(payout_file.PayoutLine(
                holder=bank.acc_holder_name or bank.partner_id.name, bank=bank.bank_id.name or "",
                account=bank.acc_number, amount=withdrawal.net_amount,
                purpose=self.env._("Commission withdrawal %(name)s", name=withdrawal.name)))
        return lines

    def action_export(self):
        """The bank payout file of the lines, downloaded; the withdrawals remember they were exported."""
        self.ensure_one()
        self.line_ids.withdrawal_id._haoka_check_state(("approved",), self.env._("exported"))
        content = payout_file.payout_xlsx(self._haoka_file_lines())
        self.write({"file": base64.b64encode(content),
                    "filename": "payout-%s.xlsx" % fields.Date.context_today(self).strftime("%Y%m%d")})
        self.line_ids.withdrawal_id.sudo().write({"payout_exported": True})
        return {
            "type": "ir.actions.act_url",
            "url": "/web/content?model=%s&id=%s&field=file&filename_field=filename&download=true"
            % (self._name, self.id),
            "target": "self",
        }

    def action_apply_return(self):
        """The bank's return: lines marked failed get 打款失败 with their reason, the others are paid."""
        self.ensure_one()
        failed = self.line_ids.filtered("failed")
        for line in failed:
            if not (line.failure_reason or "").strip():
                raise UserError(self.env._("%(name)s is marked failed: give the bank's reason.",
                                           name=line.withdrawal_id.name))
        for line in failed:
            line.withdrawal_id.action_fail(line.failure_reason)
        (self.line_ids - failed).withdrawal_id.action_pay()
        return {"type": "ir.actions.act_window_close"}


class HaokaWithdrawalPayoutLine(models.TransientModel):
    _name = "haoka.withdrawal.payout.line"
    _description = "Withdrawal Batch Payout Line"

    payout_id = fields.Many2one("haoka.withdrawal.payout", required=True, ondelete="cascade")
    withdrawal_id = fields.Many2one("haoka.withdrawal", required=True, readonly=True)
    partner_id = fields.Many2one(related="withdrawal_id.partner_id")
    partner_bank_id = fields.Many2one(related="withdrawal_id.partner_bank_id")
    currency_id = fields.Many2one(related="withdrawal_id.currency_id")
    net_amount = fields.Monetary(related="withdrawal_id.net_amount")
    failed = fields.Boolean(string="Failed", help="The bank returned this transfer.")
    failure_reason = fields.Char(string="Bank's Reason")
