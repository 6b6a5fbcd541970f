from odoo import api, models

from ..tools.wallet_statement import format_amount

SECTION_TEMPLATE = "haoka_distribution.report_haoka_wallet_statement_section"


class ReportHaokaWalletStatement(models.AbstractModel):
    """The printed 分销商对账单 (``report_haoka_wallet_statement``): the statements' sections computed once,
    amounts preformatted (one format call a figure, no field widget per cell), and each wallet's table
    rendered on its own (``report_haoka_wallet_statement_section``) then placed in the layout as one piece:
    rendered inside the layout, each of its ten thousand rows' cells would pass through every nested
    template of the layout (five times slower)."""

    _name = "report.haoka_distribution.report_haoka_wallet_statement"
    _description = "Distributor Statement Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        statements = self.env["haoka.wallet.statement"].browse(docids)
        statements._haoka_check_access()
        sections = {statement.id: statement._haoka_sections() for statement in statements}
        QWeb = self.env["ir.qweb"]
        return {
            "doc_ids": docids,
            "doc_model": "haoka.wallet.statement",
            "docs": statements,
            "sections": sections,
            "section_tables": {
                statement_id: [QWeb._render(SECTION_TEMPLATE, {"section": section, "fmt": format_amount})
                               for section in statement_sections]
                for statement_id, statement_sections in sections.items()},
            "infos": {statement.id: statement._haoka_info() for statement in statements},
        }
