from odoo import SUPERUSER_ID, models
from odoo.http import request


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        """Routes marked ``haoka_company_lang`` (the upstream webhook) answer machines that send no
        Accept-Language of an installed language: Odoo would then find the language by reading the superuser, its
        company and the company's partner (three whole rows) on every request. One narrow query gives the same
        language (the company's), set before Odoo looks for it."""
        if rule.endpoint.routing.get("haoka_company_lang") and not request.env.uid:
            env = request.env(user=SUPERUSER_ID)
            installed = {code for code, __ in env["res.lang"].get_installed()}
            if request.env.context.get("lang") not in installed:
                env.cr.execute("""SELECT p.lang FROM res_users u JOIN res_company c ON c.id = u.company_id
                                  JOIN res_partner p ON p.id = c.partner_id WHERE u.id = %s""", [SUPERUSER_ID])
                row = env.cr.fetchone()
                if row and row[0] in installed:
                    request.update_context(lang=row[0])
        return super()._pre_dispatch(rule, args)
