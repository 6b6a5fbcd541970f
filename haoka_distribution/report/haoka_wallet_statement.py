from odoo import api, models

from ..tools.wallet_statement import format_amount


class ReportHaokaWalletStatement(models.AbstractModel):
    """The printed 分销商对账单 (``report_haoka_wallet_statement``): the statements' sections computed once
    for the template, amounts preformatted (one format call a figure, no field widget per cell)."""

    _name = "report.haoka_distribution.report_haoka_wallet_statement"
    _description = "Distributor Statement Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        statements = self.env["haoka.wallet.statement"].browse(docids)
        statements._haoka_check_access()
        return {
            "doc_ids": docids,
            "doc_model": "haoka.wallet.statement",
            "docs": statements,
            "sections": {statement.id: statement._haoka_sections() for statement in statements},
            "infos": {statement.id: statement._haoka_info() for statement in statements},
            "fmt": format_amount,
        }
