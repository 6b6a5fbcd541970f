from odoo import api, fields, models

#: the wallet types every company with a chart of accounts gets: code → (account code on l10n_cn, names
#: (en_US, zh_CN), withdrawable, spendable, sequence)
WALLET_TYPES = {
    "prepaid": ("2203", ("Prepaid Balance", "预存款"), False, True, 10),
    "commission": ("2241", ("Commission Balance", "佣金余额"), True, True, 20),
}
#: accounts created when the chart has none of the code: code → (en_US, zh_CN)
WALLET_ACCOUNT_NAMES = {
    "2203": ("Distributor Prepaid Balances", "分销商预存款"),
    "2241": ("Distributor Commission Balances", "分销商佣金余额"),
}
HOLD_ACCOUNT = ("2241.HK", ("Distributor Withdrawals in Progress", "提现中"))
JOURNAL = ("WLT", ("Distributor Wallets", "分销商钱包"))


class HaokaWalletType(models.Model):
    """A kind of distributor balance of a company: a liability account and the journal of its movements.
    A distributor's balance of a type is the sum of the posted journal items on that account for it."""

    _name = "haoka.wallet.type"
    _description = "Distributor Wallet Type"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    code = fields.Selection([("prepaid", "Prepaid Balance"), ("commission", "Commission Balance")],
                            required=True)
    sequence = fields.Integer(default=10, help="Order in which balances pay an order (lowest first).")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    account_id = fields.Many2one("account.account", string="Liability Account", required=True, check_company=True,
                                 domain=[("account_type", "in", ("liability_current", "liability_non_current"))])
    journal_id = fields.Many2one("account.journal", required=True, check_company=True,
                                 domain=[("type", "=", "general")])
    withdrawable = fields.Boolean(help="Distributors may withdraw this balance to their bank account.")
    spendable = fields.Boolean(default=True, help="Distributors may pay orders with this balance.")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_company_uniq", "unique (code, company_id)", "A company has one wallet type of each kind."),
    ]

    # ------------------------------------------------------------------ set-up per company

    @api.model
    def _haoka_get(self, code, company=None):
        """The company's wallet type ``code`` ('prepaid' or 'commission'), created with its accounts and
        journal when missing (a company whose chart was loaded before this module)."""
        company = company or self.env.company
        wallet_type = self.sudo().with_context(active_test=False).search(
            [("code", "=", code), ("company_id", "=", company.id)], limit=1)
        if not wallet_type:
            wallet_type = self._haoka_setup_company(company).filtered(lambda t: t.code == code)
        return wallet_type.with_env(self.env)

    @api.model
    def _haoka_setup_company(self, company):
        """Create the wallet types, their journal and accounts, and the withdrawal hold account of
        ``company`` when it has a chart of accounts; reuse the chart's 2203 / 2241 when present."""
        if not company.chart_template:
            return self.browse()
        Type = self.sudo().with_context(active_test=False)
        journal = self._haoka_journal(company)
        types = Type.search([("company_id", "=", company.id)])
        for code, (account_code, names, withdrawable, spendable, sequence) in WALLET_TYPES.items():
            if code in types.mapped("code"):
                continue
            wallet_type = Type.create({
                "name": names[0], "code": code, "company_id": company.id, "sequence": sequence,
                "account_id": self._haoka_account(company, account_code, WALLET_ACCOUNT_NAMES[account_code]).id,
                "journal_id": journal.id, "withdrawable": withdrawable, "spendable": spendable,
            })
            _set_chinese(wallet_type, names[1])
            types |= wallet_type
        if not company.haoka_withdrawal_hold_account_id:
            company.sudo().haoka_withdrawal_hold_account_id = self._haoka_account(company, *HOLD_ACCOUNT)
        return types

    @api.model
    def _haoka_setup_all_companies(self):
        for company in self.env["res.company"].sudo().search([("chart_template", "!=", False)]):
            self._haoka_setup_company(company)

    @api.model
    def _haoka_account(self, company, code, names):
        """The chart's account ``code`` (l10n_cn's 2203 / 2241, padded to six digits as the chart stores
        them), created when the chart has none."""
        Account = self.env["account.account"].sudo().with_company(company)
        account = self.env["account.chart.template"].with_company(company).ref(
            f"l10n_cn_common_account_{code}", raise_if_not_found=False) if code.isdigit() else Account
        if not account:
            account = Account.search([*Account._check_company_domain(company),
                                      ("code", "in", [code, code.ljust(6, "0")])], limit=1)
        if not account:
            account = Account.create({"code": code, "name": names[0], "account_type": "liability_current",
                                      "company_ids": [fields.Command.set(company.ids)]})
            _set_chinese(account, names[1])
        return account

    @api.model
    def _haoka_journal(self, company):
        Journal = self.env["account.journal"].sudo().with_company(company)
        code, names = JOURNAL
        journal = Journal.search([("company_id", "=", company.id), ("code", "=", code)], limit=1)
        if not journal:
            journal = Journal.create({"name": names[0], "code": code, "type": "general", "company_id": company.id})
            _set_chinese(journal, names[1])
        return journal


def _set_chinese(record, name):
    """The Chinese name of a record made in code, when Chinese is installed (the install's --load-language)."""
    if "zh_CN" in dict(record.env["res.lang"].get_installed()):
        record.update_field_translations("name", {"zh_CN": name})
