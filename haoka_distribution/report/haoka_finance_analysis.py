from odoo import api, fields, models
from odoo.addons.account.models.account_move import PAYMENT_STATE_SELECTION
from odoo.exceptions import UserError
from odoo.tools import SQL

#: what a journal item of the SIM business is, and whether it is income or expense for the company
LINE_TYPES = [
    ("sale", "Order Income"),
    ("topup", "Top-up"),
    ("withdrawal_fee", "Withdrawal Fee"),
    ("commission_bill", "Commission (Vendor Bill)"),
    ("commission_wallet", "Commission (Wallet Credit)"),
    ("refund", "Refund"),
    ("adjustment", "Wallet Adjustment"),
    ("cost", "Cost of Cards"),
]
INCOME_TYPES = ("sale", "topup", "withdrawal_fee")
#: the documents a line opens
DOCUMENT_MODELS = [
    ("account.move", "Journal Entry"),
    ("account.payment", "Payment"),
    ("haoka.withdrawal", "Withdrawal"),
    ("haoka.wallet.transaction", "Wallet Movement"),
]

#: customer invoices and credit notes: their lines of a SIM plan, and the 靓号费 lines of an order's SIM line
SALE_ROWS = """
    SELECT aml.id, aml.date,
           CASE WHEN am.move_type = 'out_refund' THEN 'refund' ELSE 'sale' END AS line_type,
           NULL AS account_direction, aml.balance, aml.move_id, aml.account_id, aml.journal_id, aml.company_id,
           am.commercial_partner_id AS partner_id,
           COALESCE(so.haoka_distributor_id,
                    CASE WHEN customer.haoka_is_distributor THEN customer.id END) AS distributor_id,
           CASE WHEN pt.is_sim_card THEN pt.id ELSE source_product.product_tmpl_id END AS product_tmpl_id,
           so.id AS sale_order_id, NULL::integer AS wallet_transaction_id, am.payment_state,
           'account.move' AS res_model, am.id AS res_id
      FROM account_move_line aml
      JOIN account_move am ON am.id = aml.move_id
      JOIN res_partner customer ON customer.id = am.commercial_partner_id
      JOIN product_product pp ON pp.id = aml.product_id
      JOIN product_template pt ON pt.id = pp.product_tmpl_id
      LEFT JOIN LATERAL (
            SELECT sol.order_id, sol.haoka_premium_source_id
              FROM sale_order_line_invoice_rel rel JOIN sale_order_line sol ON sol.id = rel.order_line_id
             WHERE rel.invoice_line_id = aml.id ORDER BY sol.id LIMIT 1
      ) sale_line ON TRUE
      LEFT JOIN sale_order so ON so.id = sale_line.order_id
      LEFT JOIN sale_order_line source_line ON source_line.id = sale_line.haoka_premium_source_id
      LEFT JOIN product_product source_product ON source_product.id = source_line.product_id
     WHERE am.move_type IN ('out_invoice', 'out_refund') AND aml.display_type = 'product'
       AND aml.parent_state = 'posted' AND (pt.is_sim_card OR source_line.id IS NOT NULL)
"""

#: the lines of the settlements' vendor bills (vendor refunds for clawbacks), paid by bank or credited to the
#: wallet; the plan is the line's, or the settlement's only plan for bills made before lines named it
COMMISSION_BILL_ROWS = """
    SELECT aml.id, aml.date,
           CASE WHEN wallet.id IS NULL THEN 'commission_bill' ELSE 'commission_wallet' END AS line_type,
           NULL AS account_direction, aml.balance, aml.move_id, aml.account_id, aml.journal_id, aml.company_id,
           am.commercial_partner_id AS partner_id, settlement.distributor_id,
           COALESCE(aml.haoka_plan_id, (
                SELECT CASE WHEN count(DISTINCT plan.product_tmpl_id) = 1 THEN min(plan.product_tmpl_id) END
                  FROM haoka_commission_line cl JOIN product_product plan ON plan.id = cl.product_id
                 WHERE cl.settlement_id = settlement.id)) AS product_tmpl_id,
           NULL::integer AS sale_order_id, wallet.id AS wallet_transaction_id, am.payment_state,
           'account.move' AS res_model, am.id AS res_id
      FROM haoka_commission_settlement settlement
      JOIN account_move am ON am.id = settlement.move_id
      JOIN account_move_line aml ON aml.move_id = am.id AND aml.display_type = 'product'
      LEFT JOIN (
            SELECT DISTINCT ON (source_ref) source_ref, id FROM haoka_wallet_transaction
             WHERE kind = 'commission_credit' AND state = 'posted'
               AND starts_with(source_ref, 'haoka.commission.settlement,')
             ORDER BY source_ref, id
      ) wallet ON wallet.source_ref = 'haoka.commission.settlement,' || settlement.id
     WHERE aml.parent_state = 'posted'
"""

#: 充值: the credit of the 预存款 account (opens the payment)
TOPUP_ROWS = """
    SELECT aml.id, aml.date, 'topup' AS line_type, NULL AS account_direction, aml.balance, aml.move_id,
           aml.account_id, aml.journal_id, aml.company_id, tx.partner_id, tx.partner_id AS distributor_id,
           NULL::integer AS product_tmpl_id, NULL::integer AS sale_order_id, tx.id AS wallet_transaction_id,
           NULL AS payment_state,
           CASE WHEN starts_with(tx.source_ref, 'account.payment,') THEN 'account.payment'
                ELSE 'haoka.wallet.transaction' END AS res_model,
           CASE WHEN starts_with(tx.source_ref, 'account.payment,') THEN split_part(tx.source_ref, ',', 2)::integer
                ELSE tx.id END AS res_id
      FROM haoka_wallet_transaction tx
      JOIN haoka_wallet_type wallet_type ON wallet_type.id = tx.wallet_type_id
      JOIN account_move_line aml ON aml.move_id = tx.move_id AND aml.account_id = wallet_type.account_id
                                AND aml.id IS DISTINCT FROM tx.counterpart_line_id
     WHERE tx.kind = 'topup' AND tx.state = 'posted' AND aml.parent_state = 'posted'
"""

#: wallet movements whose other side is income or expense (not a document they pay): the withdrawal fee the
#: company keeps (提现手续费收入), commissions credited without a bill, adjustments by finance
WALLET_ROWS = """
    SELECT aml.id, aml.date,
           CASE tx.kind WHEN 'withdrawal_fee' THEN 'withdrawal_fee'
                        WHEN 'commission_credit' THEN 'commission_wallet' ELSE 'adjustment' END AS line_type,
           CASE WHEN starts_with(account.account_type, 'income') THEN 'income' ELSE 'expense' END AS account_direction,
           aml.balance, aml.move_id, aml.account_id, aml.journal_id, aml.company_id, tx.partner_id,
           tx.partner_id AS distributor_id, NULL::integer AS product_tmpl_id, NULL::integer AS sale_order_id,
           tx.id AS wallet_transaction_id, NULL AS payment_state,
           CASE WHEN tx.kind = 'withdrawal_fee' AND starts_with(tx.source_ref, 'haoka.withdrawal,')
                THEN 'haoka.withdrawal' ELSE 'haoka.wallet.transaction' END AS res_model,
           CASE WHEN tx.kind = 'withdrawal_fee' AND starts_with(tx.source_ref, 'haoka.withdrawal,')
                THEN split_part(tx.source_ref, ',', 2)::integer ELSE tx.id END AS res_id
      FROM haoka_wallet_transaction tx
      JOIN account_move_line aml ON aml.id = tx.counterpart_line_id
      JOIN account_account account ON account.id = aml.account_id
     WHERE tx.state = 'posted' AND tx.kind <> 'topup' AND aml.parent_state = 'posted'
       AND (starts_with(account.account_type, 'income') OR starts_with(account.account_type, 'expense'))
"""

#: the cost of the cards: COGS of anglo-saxon invoices (automated valuation), the deliveries' (and returns')
#: valuation entries of a continental company (automated valuation), and bills of cards booked to an expense
#: account (manual valuation: the cards' cost when bought)
COST_ROWS = """
    SELECT aml.id, aml.date, 'cost' AS line_type, NULL AS account_direction, aml.balance, aml.move_id,
           aml.account_id, aml.journal_id, aml.company_id, am.commercial_partner_id AS partner_id,
           NULL::integer AS distributor_id, pt.id AS product_tmpl_id, NULL::integer AS sale_order_id,
           NULL::integer AS wallet_transaction_id, NULL AS payment_state,
           'account.move' AS res_model, am.id AS res_id
      FROM account_move_line aml
      JOIN account_move am ON am.id = aml.move_id
      JOIN account_account account ON account.id = aml.account_id
      JOIN res_company company ON company.id = aml.company_id
      JOIN product_product pp ON pp.id = aml.product_id
      JOIN product_template pt ON pt.id = pp.product_tmpl_id AND pt.is_sim_card
      LEFT JOIN stock_move sm ON sm.id = am.stock_move_id
      LEFT JOIN stock_location source ON source.id = sm.location_id
      LEFT JOIN stock_location destination ON destination.id = sm.location_dest_id
     WHERE aml.parent_state = 'posted' AND (
           (starts_with(account.account_type, 'expense') AND (
                aml.display_type = 'cogs'
             OR (am.move_type IN ('in_invoice', 'in_refund') AND aml.display_type = 'product')))
        OR (NOT COALESCE(company.anglo_saxon_accounting, FALSE) AND sm.id IS NOT NULL AND (
                (destination.usage = 'customer' AND aml.balance > 0)
             OR (source.usage = 'customer' AND aml.balance < 0))))
"""


class HaokaFinanceAnalysis(models.Model):
    """收支明细: the journal items of the SIM business, each classified as income or expense.

    Income: the SIM lines of customer invoices (and the 靓号费 charged with them), top-ups (the credit of the
    预存款 account), the withdrawal fees the company keeps. Expense: commissions (the settlements' vendor bill
    lines, marked credited to the wallet when the settlement paid its bill by a wallet credit; commissions
    credited to a wallet without a bill), refunds (the SIM lines of credit notes). Wallet adjustments by finance
    go to the side of their income or expense account. A wallet movement that pays a document (an order paid
    from a balance, a commission bill credited, a refund paid back) is not counted again: its document is.
    Amounts are untaxed, in the company's currency, of posted entries."""

    _name = "haoka.finance.analysis"
    _description = "SIM Income and Expense Analysis"
    _auto = False
    _rec_name = "move_id"
    _order = "date desc, id desc"
    #: the row sources of the view (the business report adds the cost of the cards)
    _haoka_row_sources = (SALE_ROWS, COMMISSION_BILL_ROWS, TOPUP_ROWS, WALLET_ROWS)

    date = fields.Date(readonly=True)
    line_type = fields.Selection(LINE_TYPES, string="Type", readonly=True)
    direction = fields.Selection([("income", "Income"), ("expense", "Expense")], readonly=True)
    income = fields.Monetary(readonly=True)
    expense = fields.Monetary(readonly=True)
    net = fields.Monetary(string="Net", readonly=True, help="Income less expense.")
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True)
    account_id = fields.Many2one("account.account", string="Account", readonly=True)
    journal_id = fields.Many2one("account.journal", string="Journal", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Partner", readonly=True)
    distributor_id = fields.Many2one("res.partner", string="Distributor", readonly=True)
    product_tmpl_id = fields.Many2one("product.template", string="Plan", readonly=True)
    carrier_id = fields.Many2one("haoka.carrier", string="Carrier", readonly=True)
    sale_order_id = fields.Many2one("sale.order", string="Order", readonly=True)
    wallet_transaction_id = fields.Many2one("haoka.wallet.transaction", string="Wallet Movement", readonly=True)
    payment_state = fields.Selection(PAYMENT_STATE_SELECTION, string="Payment Status", readonly=True)
    document_ref = fields.Reference(DOCUMENT_MODELS, string="Document", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)

    _depends = {
        "account.move": ["move_type", "state", "payment_state", "commercial_partner_id", "stock_move_id"],
        "account.move.line": ["date", "balance", "move_id", "account_id", "journal_id", "company_id",
                              "product_id", "display_type", "parent_state", "haoka_plan_id", "sale_line_ids"],
        "account.account": ["account_type"],
        "product.product": ["product_tmpl_id"],
        "product.template": ["is_sim_card", "haoka_carrier_id"],
        "sale.order": ["haoka_distributor_id"],
        "sale.order.line": ["order_id", "product_id", "haoka_premium_source_id"],
        "haoka.commission.settlement": ["move_id", "distributor_id"],
        "haoka.commission.line": ["settlement_id", "product_id"],
        "haoka.wallet.transaction": ["kind", "state", "source_ref", "move_id", "counterpart_line_id",
                                     "partner_id", "wallet_type_id"],
        "haoka.wallet.type": ["account_id"],
        "res.company": ["anglo_saxon_accounting", "currency_id"],
        "res.partner": ["haoka_is_distributor"],
    }

    @property
    def _table_query(self):
        return SQL(
            """SELECT rows.id, rows.date, rows.line_type,
                      CASE WHEN rows.line_type IN %(income_types)s
                             OR rows.account_direction = 'income' THEN 'income' ELSE 'expense' END AS direction,
                      %(measures)s,
                      rows.move_id, rows.account_id, rows.journal_id, rows.partner_id, rows.distributor_id,
                      rows.product_tmpl_id, plan.haoka_carrier_id AS carrier_id, rows.sale_order_id,
                      rows.wallet_transaction_id, rows.payment_state,
                      rows.res_model || ',' || rows.res_id AS document_ref,
                      rows.company_id, company.currency_id
                 FROM (%(rows)s) rows
                 JOIN res_company company ON company.id = rows.company_id
                 LEFT JOIN product_template plan ON plan.id = rows.product_tmpl_id""",
            income_types=INCOME_TYPES, measures=self._haoka_measures(),
            rows=SQL(" UNION ALL ".join(self._haoka_row_sources)),
        )

    @api.model
    def _haoka_measures(self):
        """The amount columns from a row's ``balance`` (debit positive) and direction."""
        return SQL("""
            CASE WHEN rows.line_type IN %(income_types)s OR rows.account_direction = 'income'
                 THEN -rows.balance ELSE 0 END AS income,
            CASE WHEN rows.line_type IN %(income_types)s OR rows.account_direction = 'income'
                 THEN 0 ELSE rows.balance END AS expense,
            -rows.balance AS net""", income_types=INCOME_TYPES)

    def action_open_document(self):
        """The document of the line: the invoice, credit note or bill, the top-up's payment, the withdrawal
        whose fee it is, or the wallet movement."""
        self.ensure_one()
        document = self.document_ref
        if not document or not document.exists():
            raise UserError(self.env._("The document of this line no longer exists."))
        document.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": document._name,
            "res_id": document.id,
            "views": [(False, "form")],
            "view_mode": "form",
            "target": "current",
        }
