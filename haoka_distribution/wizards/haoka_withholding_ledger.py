import base64

from odoo import api, fields, models

from ..tools import payout_file


class HaokaWithholdingLedger(models.TransientModel):
    """个税扣缴台账: the withdrawals paid to individual distributors in a year with the tax withheld on each and
    the year-to-date totals, per distributor, as an .xlsx for the tax filing."""

    _name = "haoka.withholding.ledger"
    _description = "Yearly Withholding Ledger"

    year = fields.Integer(required=True, default=lambda self: fields.Date.context_today(self).year)
    partner_ids = fields.Many2many("res.partner", string="Distributors",
                                   domain=[("haoka_is_distributor", "=", True), ("is_company", "=", False)],
                                   help="Empty: every individual distributor paid in the year.")
    file = fields.Binary(readonly=True, attachment=False)
    filename = fields.Char(readonly=True)

    @api.model
    def default_get(self, fields_list):
        self.env["haoka.withdrawal"]._haoka_check_finance(self.env._("exports the withholding ledger of"))
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "res.partner" and "partner_ids" in fields_list:
            values["partner_ids"] = [fields.Command.set(self.env.context.get("active_ids", []))]
        return values

    def _haoka_withdrawals(self):
        domain = [("state", "=", "paid"), ("company_id", "=", self.env.company.id),
                  ("partner_id.is_company", "=", False),
                  ("paid_date", ">=", "%04d-01-01" % self.year), ("paid_date", "<=", "%04d-12-31" % self.year)]
        if self.partner_ids:
            domain.append(("partner_id", "in", self.partner_ids.ids))
        return self.env["haoka.withdrawal"].search(domain).sorted(
            lambda w: (w.partner_id.haoka_kyc_name or w.partner_id.name, w.partner_id.id, w.paid_date, w.id))

    def _haoka_rows(self):
        """One row per withdrawal with the distributor's year-to-date income and tax."""
        methods = dict(self.env["haoka.withdrawal"]._fields["withholding_method"]._description_selection(self.env))
        rows, totals = [], {}
        for withdrawal in self._haoka_withdrawals():
            partner = withdrawal.partner_id
            income, tax = totals.get(partner, (0.0, 0.0))
            income, tax = income + withdrawal.amount, tax + withdrawal.tax_withheld
            totals[partner] = (income, tax)
            rows.append([
                partner.haoka_kyc_name or partner.name, partner.display_name, withdrawal.name, withdrawal.paid_date,
                withdrawal.amount, methods.get(withdrawal.withholding_method, ""), withdrawal.tax_taxable,
                withdrawal.tax_rate, withdrawal.tax_quick_deduction, withdrawal.tax_withheld, round(income, 2),
                round(tax, 2),
            ])
        return rows

    def action_export(self):
        self.ensure_one()
        _ = self.env._
        headers = [_("Legal Name"), _("Distributor"), _("Withdrawal"), _("Paid On"), _("Income"),
                   _("Withholding Method"), _("Taxable Income"), _("Tax Rate (%)"), _("Quick Deduction"),
                   _("Tax Withheld"), _("Year-to-date Income"), _("Year-to-date Tax")]
        content = payout_file.write_xlsx(_("Withholding %(year)s", year=self.year), headers, self._haoka_rows(),
                                         [16, 24, 18, 12, 12, 20, 14, 10, 14, 12, 16, 16])
        self.write({"file": base64.b64encode(content), "filename": "withholding-%s.xlsx" % self.year})
        return {
            "type": "ir.actions.act_url",
            "url": "/web/content?model=%s&id=%s&field=file&filename_field=filename&download=true"
            % (self._name, self.id),
            "target": "self",
        }
