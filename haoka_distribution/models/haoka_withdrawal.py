from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.groups import FINANCE_GROUP
from .haoka_withholding_bracket import WITHHOLDING_METHODS

#: states in which the amount is held on the 提现中 account
HELD_STATES = ("submitted", "approved")


class HaokaWithdrawal(models.Model):
    """提现: a distributor's request to be paid part of a withdrawable balance to its own bank account.

    草稿 → 已提交 (the amount moves from the wallet to the 提现中 hold account) → 已审核 (号卡财务) → 已打款 (an
    outbound payment of the net amount, the fee and the withheld tax, all taken from the hold); or 已驳回 /
    已取消 / 打款失败, which give the held amount back to the wallet. The rules checked at submission are in
    ``haoka_withdrawal_rules.py``, the payment in ``haoka_withdrawal_payment.py``."""

    _name = "haoka.withdrawal"
    _description = "Distributor Withdrawal"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, default="/", copy=False)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner", string="Distributor", required=True, index=True, tracking=True,
        domain=[("haoka_is_distributor", "=", True)],
    )
    is_company_distributor = fields.Boolean(related="partner_id.is_company", string="Company Distributor")
    wallet_type_id = fields.Many2one(
        "haoka.wallet.type", string="Wallet", required=True, check_company=True, tracking=True,
        domain="[('withdrawable', '=', True), ('company_id', '=', company_id)]",
        default=lambda self: self._default_wallet_type(),
    )
    amount = fields.Monetary(required=True, tracking=True, help="Taken from the wallet; fee and tax come out of it.")
    partner_bank_id = fields.Many2one(
        "res.partner.bank", string="Bank Account", tracking=True, ondelete="restrict",
        domain="[('partner_id', '=', partner_id)]",
        help="The distributor's own account, in its verified legal name (同名) and trusted for outbound payments.",
    )
    invoice_ref = fields.Char(
        string="Invoice Number", tracking=True,
        help="Company distributors: the invoice (发票) issued for the commission; no tax is withheld for them.",
    )
    fee = fields.Monetary(readonly=True, tracking=True)
    tax_withheld = fields.Monetary(string="Tax Withheld", readonly=True, tracking=True)
    net_amount = fields.Monetary(string="Net Amount", compute="_compute_net_amount", store=True,
                                 help="What the bank transfers: the amount less the fee and the tax withheld.")
    withholding_method = fields.Selection([("none", "None")] + WITHHOLDING_METHODS, readonly=True)
    tax_taxable = fields.Monetary(string="Taxable Income", readonly=True)
    tax_rate = fields.Float(string="Tax Rate (%)", readonly=True, digits=(5, 2))
    tax_quick_deduction = fields.Monetary(string="Quick Deduction", readonly=True)
    state = fields.Selection(
        [("draft", "Draft"), ("submitted", "Submitted"), ("approved", "Approved"), ("paid", "Paid"),
         ("rejected", "Rejected"), ("cancelled", "Cancelled"), ("failed", "Payment Failed")],
        default="draft", required=True, readonly=True, index=True, tracking=True, copy=False,
    )
    reject_reason = fields.Char(string="Rejection Reason", readonly=True, tracking=True, copy=False)
    failure_reason = fields.Char(string="Failure Reason", readonly=True, tracking=True, copy=False)
    submit_date = fields.Datetime(string="Submitted On", readonly=True, copy=False, index=True)
    approve_date = fields.Datetime(string="Approved On", readonly=True, copy=False)
    approver_id = fields.Many2one("res.users", string="Approved By", readonly=True, copy=False)
    paid_date = fields.Date(string="Paid On", readonly=True, copy=False, index=True)
    payment_id = fields.Many2one("account.payment", string="Payment", readonly=True, copy=False)
    payout_exported = fields.Boolean(string="In a Payout File", readonly=True, copy=False)
    transaction_ids = fields.One2many(
        "haoka.wallet.transaction", compute="_compute_transaction_ids", string="Wallet Movements",
    )

    _sql_constraints = [
        ("amount_positive", "CHECK (amount > 0)", "A withdrawal's amount must be positive."),
    ]

    def _default_wallet_type(self):
        return self.env["haoka.wallet.type"].search(
            [("withdrawable", "=", True), ("company_id", "=", self.env.company.id)], limit=1)

    @api.depends("amount", "fee", "tax_withheld")
    def _compute_net_amount(self):
        for withdrawal in self:
            withdrawal.net_amount = withdrawal.amount - withdrawal.fee - withdrawal.tax_withheld

    @api.depends("state")
    def _compute_transaction_ids(self):
        Transaction = self.env["haoka.wallet.transaction"]
        for withdrawal in self:
            withdrawal.transaction_ids = Transaction.search([
                ("source_ref", "=", f"{self._name},{withdrawal.id}")]) if withdrawal.id else Transaction

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("haoka.withdrawal") or "/"
        return super().create(vals_list)

    def write(self, vals):
        if set(vals) & {"amount", "partner_id", "wallet_type_id", "partner_bank_id", "company_id"} and \
                self.filtered(lambda w: w.state != "draft"):
            raise UserError(self.env._("Only a draft withdrawal can be changed: cancel it and make a new one."))
        return super().write(vals)

    def unlink(self):
        if self.filtered(lambda w: w.state not in ("draft", "cancelled")):
            raise UserError(self.env._("Only draft or cancelled withdrawals can be deleted."))
        return super().unlink()

    # ------------------------------------------------------------------ helpers

    def _haoka_check_finance(self, action):
        if not (self.env.su or self.env.user.has_group(FINANCE_GROUP)):
            raise AccessError(self.env._("Only SIM finance (号卡财务) %(action)s withdrawals.", action=action))

    def _haoka_check_state(self, states, action):
        labels = dict(self._fields["state"]._description_selection(self.env))
        for withdrawal in self:
            if withdrawal.state not in states:
                raise UserError(self.env._(
                    "%(withdrawal)s is %(state)s: only %(allowed)s withdrawals can be %(action)s.",
                    withdrawal=withdrawal.name, state=labels[withdrawal.state], action=action,
                    allowed=" / ".join(labels[state] for state in states)))

    def _haoka_hold_key(self, step):
        return f"withdrawal:{self.id}:{step}"

    def _haoka_release(self):
        """Give the held amount back to the wallet (once: the movement is keyed by the withdrawal)."""
        Transaction = self.env["haoka.wallet.transaction"]
        for withdrawal in self:
            Transaction._haoka_post_movement(
                withdrawal.partner_id, withdrawal.wallet_type_id, withdrawal.amount, "withdrawal_release",
                withdrawal.company_id.haoka_withdrawal_hold_account_id, key=withdrawal._haoka_hold_key("release"),
                source=withdrawal, ref=self.env._("Withdrawal %(name)s released", name=withdrawal.name),
            )

    # ------------------------------------------------------------------ workflow

    def action_submit(self):
        """已提交: every rule of the company checked, then the amount held (see ``_haoka_submit``)."""
        for withdrawal in self:
            withdrawal._haoka_submit()
        return True

    def action_approve(self):
        self._haoka_check_finance(self.env._("approves"))
        self._haoka_check_state(("submitted",), self.env._("approved"))
        self.sudo().write({"state": "approved", "approve_date": fields.Datetime.now(), "approver_id": self.env.uid})
        return True

    def action_reject(self, reason=None):
        """已驳回 by 号卡财务, with a reason; the held amount goes back to the wallet."""
        self._haoka_check_finance(self.env._("rejects"))
        if not (reason or "").strip():
            raise UserError(self.env._("A rejection needs a reason."))
        self._haoka_check_state(HELD_STATES, self.env._("rejected"))
        self._haoka_lock_rows()
        self._haoka_release()
        self.sudo().write({"state": "rejected", "reject_reason": reason.strip()})
        return True

    def action_cancel(self):
        """已取消 by the distributor (through its portal) or finance, before approval."""
        self.check_access("write")
        self._haoka_check_state(("draft", "submitted"), self.env._("cancelled"))
        self._haoka_lock_rows()
        self.filtered(lambda w: w.state == "submitted").sudo()._haoka_release()
        self.sudo().write({"state": "cancelled"})
        return True

    def action_fail(self, reason=None):
        """打款失败: the bank returned the transfer; the amount goes back to the wallet."""
        self._haoka_check_finance(self.env._("records failed payments of"))
        if not (reason or "").strip():
            raise UserError(self.env._("A failed payment needs the bank's reason."))
        self._haoka_check_state(("approved",), self.env._("marked as failed"))
        self._haoka_lock_rows()
        self._haoka_release()
        self.sudo().write({"state": "failed", "failure_reason": reason.strip()})
        return True

    def action_open_reason(self):
        """The wizard asking the reason of a rejection or a failed payment (``context['haoka_action']``)."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reason"),
            "res_model": "haoka.withdrawal.reason",
            "view_mode": "form",
            "target": "new",
            "context": {"active_ids": self.ids, "haoka_action": self.env.context.get("haoka_action", "reject")},
        }

    def _haoka_lock_rows(self):
        """Lock these withdrawals' rows (two finance users acting on one request at once: one waits, then
        fails the state check or a serialization check)."""
        self.env.flush_all()
        self.env.cr.execute("SELECT id FROM haoka_withdrawal WHERE id = ANY(%s) FOR UPDATE", [self.ids])
        self.invalidate_recordset(["state"])
