"""The demo's money (``make demo``): the distributors' bank accounts, their balances and their withdrawals in
every state, made through the methods the back office and the portal use (a bank transfer credited by finance,
an opening balance posted as an adjustment, settlements paid to the wallet, withdrawals submitted by the
distributor's portal user and approved, paid, rejected or failed by finance)."""

import re

from odoo import api, fields, models

from ..tools import texts

#: the company's withdrawal rules in the demo (Settings › 号卡分销 › 提现)
DEMO_RULES = {
    "haoka_withdrawal_min_amount": 50, "haoka_withdrawal_max_per_day": 20000,
    "haoka_withdrawal_one_in_flight": False, "haoka_withdrawal_interval_days": 0,
    "haoka_withdrawal_fee_percent": 1, "haoka_withdrawal_fee_min": 2, "haoka_withdrawal_fee_max": 50,
    "haoka_withholding_method": "per_payment",
}
#: per demo distributor, in the order given: bank, account number, top-up to 预存款, opening 佣金余额,
#: withdrawals as (amount, steps after its creation, reason of a rejection or a failed payment)
DEMO_WALLETS = [
    ("招商银行杭州分行", "6225880137000001", 2000, 3000, [
        (1000, ("submit", "approve"), None),
        (400, ("submit", "reject"), "本月已有一笔提现在处理中，请打款后再申请"),
    ]),
    ("中国建设银行上海徐汇支行", "6217001210000002", 1000, 2000, [
        (500, ("submit", "approve", "pay"), None),
        (300, ("submit",), None),
    ]),
    ("中国工商银行上海浦东分行", "6222021001000003", 500, 4000, [
        (1200, ("submit", "approve", "pay"), None),                             # 已打款, tax withheld
        (300, ("submit", "reject"), "银行卡开户行信息有误，请核对后重新申请"),    # 已驳回
        (200, ("submit", "cancel"), None),                                      # 已取消 by the distributor
        (500, ("submit", "approve", "fail"), "银行退回：收款账户状态异常（已冻结）"),  # 打款失败
        (800, ("submit", "approve"), None),                                     # 已审核
        (600, ("submit",), None),                                               # 已提交
        (150, (), None),                                                        # 草稿, fee and tax shown
    ]),
]


class HaokaDemo(models.AbstractModel):
    _inherit = "haoka.demo"

    @api.model
    def _haoka_create_demo_wallets(self, partner_ids):
        """The demo distributors ``partner_ids`` (as many as ``DEMO_WALLETS``) get a trusted bank account in
        their verified name, 预存款 from a bank transfer, 佣金余额 from an opening balance and from their
        settled commissions, and the withdrawals of ``DEMO_WALLETS``; the company gets withdrawal rules."""
        if texts.lacks_lang(self):  # installing: stored texts in the language of the company's users
            return texts.in_readers_lang(self)._haoka_create_demo_wallets(partner_ids)
        partners = self.env["res.partner"].browse(partner_ids)
        self.env.company.write(DEMO_RULES)
        finance = self.with_user(self.env.ref("base.user_admin")).sudo()
        partners.write({"haoka_payout_method": "wallet"})
        banks = [self._haoka_demo_bank_account(partner, bank, number)
                 for partner, (bank, number, *_rest) in zip(partners, DEMO_WALLETS, strict=True)]
        for partner, (_bank, _number, topup, opening, _withdrawals) in zip(partners, DEMO_WALLETS, strict=True):
            finance._haoka_demo_topup(partner, topup)
            finance._haoka_demo_opening_balance(partner, opening)
        finance._haoka_demo_settle(partners)
        for partner, bank, (*_rest, withdrawals) in zip(partners, banks, DEMO_WALLETS, strict=True):
            for amount, steps, reason in withdrawals:
                self._haoka_demo_withdrawal(partner, bank, amount, steps, reason)
        return True

    @api.model
    def _haoka_demo_bank_account(self, partner, bank_name, number):
        """A bank account held in the distributor's verified name, trusted by finance for outbound payments."""
        bank = self.env["res.partner.bank"].sudo().create({
            "partner_id": partner.id, "acc_number": number, "acc_holder_name": partner.haoka_kyc_name,
            "bank_id": self.env["res.bank"].sudo().create({"name": bank_name}).id,
        })
        bank.allow_out_payment = True
        return bank

    @api.model
    def _haoka_demo_topup(self, partner, amount):
        """预存款: the distributor's bank transfer, recorded and credited to its wallet by finance."""
        journal = self.env["account.journal"].search(
            [("company_id", "=", self.env.company.id), ("type", "=", "bank")], limit=1)
        payment = self.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": partner.id, "amount": amount,
            "journal_id": journal.id, "memo": self.env._("Bank transfer top-up"),
        })
        payment.action_post()
        payment.action_haoka_wallet_topup()

    @api.model
    def _haoka_demo_opening_balance(self, partner, amount):
        """佣金余额 carried over from the previous system: an adjustment posted by finance with its reason."""
        company = self.env.company
        counterpart = self.env["account.account"].search(
            [*self.env["account.account"]._check_company_domain(company), ("account_type", "=", "expense")],
            order="code", limit=1)
        adjustment = self.env["haoka.wallet.transaction"].create({
            "kind": "adjustment", "partner_id": partner.id, "amount": amount, "company_id": company.id,
            "wallet_type_id": self.env["haoka.wallet.type"]._haoka_get("commission", company).id,
            "counterpart_account_id": counterpart.id,
            "reason": self.env._("Opening commission balance carried over from the previous system"),
        })
        adjustment.action_post()

    @api.model
    def _haoka_demo_settle(self, partners):
        """Settle the distributors' payable commissions to today: a vendor bill each, paid to the wallet."""
        settlements = self.env["haoka.commission.settlement"]._prepare(
            fields.Date.context_today(self), distributors=partners)
        if settlements:
            settlements.action_confirm()

    @api.model
    def _haoka_demo_withdrawal(self, partner, bank, amount, steps, reason):
        """A withdrawal made by the distributor (its portal user when it has one) as the portal makes it, its
        fee and tax computed; then ``steps``: submit and cancel by the distributor, the others by finance."""
        user = partner.user_ids[:1] or self.env.user
        withdrawal = self.env["haoka.withdrawal"].with_user(user).sudo().create({
            "partner_id": partner.id, "amount": amount, "partner_bank_id": bank.id,
            "wallet_type_id": self.env["haoka.wallet.type"]._haoka_get("commission").id,
        })
        withdrawal._haoka_compute_deductions()
        finance = withdrawal.with_user(self.env.ref("base.user_admin")).sudo()
        for step in steps:
            if step in ("submit", "cancel"):
                getattr(withdrawal, f"action_{step}")()
            elif step in ("reject", "fail"):
                getattr(finance, f"action_{step}")(reason)
            else:
                getattr(finance, f"action_{step}")()
        return withdrawal

    @api.model
    def _haoka_restore_payment_demo_values(self):
        """Odoo 18's Chinese translation of ``payment_demo`` translates the values of the Demo provider's
        "Payment Status" options (``done`` → 完成, ...): in Chinese every demo payment then ends in error
        ("您选择了以下演示付款状态：完成"). Put the source's option values back into every translation of that
        template (nothing to do when payment_demo is not installed); True when a translation was fixed."""
        view = self.env.ref("payment_demo.payment_details", raise_if_not_found=False)
        if not view:
            return False
        option = re.compile(r'(<option value=")([^"]*)(")')
        fixes = {}
        for term in view.get_field_translations("arch_db")[0]:
            values = [match[1] for match in option.findall(term["source"])]
            if not term["value"] or len(option.findall(term["value"])) != len(values):
                continue
            restored = iter(values)
            fixed = option.sub(lambda match, restored=restored: match[1] + next(restored) + match[3], term["value"])
            if fixed != term["value"]:
                fixes.setdefault(term["lang"], {})[term["source"]] = fixed
        if fixes:
            view.sudo().update_field_translations("arch_db", fixes)
            self.env.registry.clear_cache("templates")
        return bool(fixes)
