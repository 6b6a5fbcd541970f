from odoo import models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _load(self, template_code, company, install_demo, force_create=True):
        """A company given a chart of accounts gets its distributor wallets."""
        result = super()._load(template_code, company, install_demo, force_create)
        self.env()["haoka.wallet.type"]._haoka_setup_company(self.env()["res.company"].browse(company.id))
        return result
