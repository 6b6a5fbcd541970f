from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    """The SIM distribution settings that differ per company (shown in Settings for the current company).
    Cards and orders read the settings of their own company; cards of no company those of the current
    company. The 一证五户 limit is a national rule and stays one setting for the database."""

    _inherit = "res.company"

    haoka_hold_minutes = fields.Integer(
        string="Number Hold (minutes)", default=30,
        help="How long a number chosen on a quotation stays held for the customer.",
    )
    haoka_auto_receipt_days = fields.Integer(
        string="Automatic Receipt (days)", default=7,
        help="Shipped orders are taken as received this many days after shipping.",
    )
    haoka_activation_days = fields.Integer(
        string="Activation Deadline (days)", default=30,
        help="Commissions waiting for an activation or a first top-up are not payable when the carrier has not "
        "reported it this many days after shipping (未在期限内激活).",
    )
    haoka_expiry_warning_days = fields.Integer(
        string="Expiry Warning (days)", default=30,
        help="Cards that expire within this many days raise an activity for the SIM managers.",
    )

    @api.constrains("haoka_hold_minutes", "haoka_auto_receipt_days", "haoka_activation_days",
                    "haoka_expiry_warning_days")
    def _check_haoka_settings(self):
        for company in self:
            for field_name, minimum in self._haoka_setting_minimums().items():
                if company[field_name] < minimum:
                    raise ValidationError(self.env._(
                        "%(setting)s of company %(company)s must be at least %(minimum)s (not %(value)s).",
                        setting=self._fields[field_name].get_description(self.env)["string"],
                        company=company.name, minimum=minimum, value=company[field_name],
                    ))

    @api.model
    def _haoka_setting_minimums(self):
        return {"haoka_hold_minutes": 1, "haoka_auto_receipt_days": 1, "haoka_activation_days": 1,
                "haoka_expiry_warning_days": 0}
