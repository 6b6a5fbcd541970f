from odoo import fields, models
from odoo.tools import SQL

from .haoka_finance_analysis import COMMISSION_BILL_ROWS, COST_ROWS, SALE_ROWS, WALLET_ROWS


class HaokaBusinessReport(models.Model):
    """号卡经营报表: revenue, cost of the cards, commissions, refunds and margin of the SIM business per month,
    plan and carrier, from the journal items (Odoo Community has no profit-and-loss report).

    One row per journal item: revenue (the SIM lines of customer invoices and their 靓号费), refunds (of credit
    notes), commissions (the settlements' bill lines, commissions credited to a wallet without a bill) and the
    cost of the cards. The cost is what the ledger holds for it: with automated valuation (perpetual), the
    COGS lines of the invoices and credit notes (anglo-saxon accounting, Odoo's generic chart) or the
    valuation entries of the deliveries and customer returns (continental accounting, as ``l10n_cn`` sets its
    companies); with manual (periodic) valuation, the vendor bills of cards booked to an expense account, in
    the month they are billed. Margin = revenue − refunds − cost − commissions, untaxed."""

    _name = "haoka.business.report"
    _inherit = "haoka.finance.analysis"
    _description = "SIM Business Report"
    _auto = False
    _haoka_row_sources = (SALE_ROWS, COMMISSION_BILL_ROWS, WALLET_ROWS, COST_ROWS)

    revenue = fields.Monetary(readonly=True)
    refund = fields.Monetary(string="Refunds", readonly=True)
    cost = fields.Monetary(string="Cost of Cards", readonly=True)
    commission = fields.Monetary(string="Commissions", readonly=True)
    margin = fields.Monetary(readonly=True, help="Revenue less refunds, cost of the cards and commissions.")

    @property
    def _table_query(self):
        # only the rows of the business's result: not the top-ups, fees and adjustments of the wallets
        return SQL("SELECT * FROM (%s) report WHERE report.line_type IN %s", super()._table_query,
                   ("sale", "refund", "commission_bill", "commission_wallet", "cost"))

    def _haoka_measures(self):
        return SQL("""%(base)s,
            CASE WHEN rows.line_type = 'sale' THEN -rows.balance ELSE 0 END AS revenue,
            CASE WHEN rows.line_type = 'refund' THEN rows.balance ELSE 0 END AS refund,
            CASE WHEN rows.line_type = 'cost' THEN rows.balance ELSE 0 END AS cost,
            CASE WHEN starts_with(rows.line_type, 'commission') THEN rows.balance ELSE 0 END AS commission,
            -rows.balance AS margin""", base=super()._haoka_measures())
