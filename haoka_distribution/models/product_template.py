from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import spreadsheet

#: a SIM plan is a serial-tracked storable good with expiry dates; Odoo 18 resets ``tracking`` to
#: 'none' unless ``is_storable`` is set in the same write, so these are always written together.
SIM_PLAN_VALUES = {
    "type": "consu",
    "is_storable": True,
    "tracking": "serial",
    "use_expiration_date": True,
}


class ProductTemplate(models.Model):
    _inherit = "product.template"

    is_sim_card = fields.Boolean(
        string="Is a SIM Plan",
        index=True,
        help="A SIM plan (套餐): each unit is a physical SIM card tracked by its ICCID.",
    )
    haoka_carrier_id = fields.Many2one("haoka.carrier", string="Carrier", index=True, ondelete="restrict")
    haoka_monthly_fee = fields.Monetary(string="Monthly Fee", currency_field="currency_id")
    haoka_data_gb = fields.Float(string="General Data (GB)", digits=(16, 2))
    haoka_directional_data_gb = fields.Float(string="Directional Data (GB)", digits=(16, 2))
    haoka_voice_minutes = fields.Integer(string="Voice Minutes")
    haoka_sms = fields.Integer(string="SMS")
    haoka_contract_months = fields.Integer(string="Contract Months")
    haoka_first_topup_required = fields.Boolean(string="First Top-up Required")
    haoka_first_topup_amount = fields.Monetary(string="First Top-up Amount", currency_field="currency_id")
    haoka_min_age = fields.Integer(string="Minimum Holder Age", default=16)
    haoka_max_age = fields.Integer(string="Maximum Holder Age", default=65)
    haoka_forbidden_state_ids = fields.Many2many(
        "res.country.state",
        "product_template_haoka_forbidden_state_rel",
        "product_tmpl_id",
        "state_id",
        string="Shipping-Prohibited Regions",
        help="禁发区: orders for this plan cannot be delivered to these regions.",
    )
    haoka_card_count = fields.Integer(compute="_compute_haoka_card_count", string="Cards in Stock")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("is_sim_card"):
                vals.update(SIM_PLAN_VALUES)
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("is_sim_card"):
            vals = dict(vals, **SIM_PLAN_VALUES)
        return super().write(vals)

    @api.onchange("is_sim_card")
    def _onchange_is_sim_card(self):
        if self.is_sim_card:
            for field_name, value in SIM_PLAN_VALUES.items():
                self[field_name] = value

    @api.constrains("is_sim_card", "type", "is_storable", "tracking")
    def _check_sim_plan_tracking(self):
        for template in self.filtered("is_sim_card"):
            if template.type != "consu" or not template.is_storable or template.tracking != "serial":
                raise ValidationError(
                    self.env._(
                        "SIM plan %(plan)s must be a storable good tracked by serial number (one ICCID per card).",
                        plan=template.display_name,
                    )
                )

    @api.constrains("is_sim_card", "haoka_min_age", "haoka_max_age")
    def _check_sim_plan_ages(self):
        for template in self.filtered("is_sim_card"):
            if template.haoka_min_age < 0 or template.haoka_max_age < 0:
                raise ValidationError(
                    self.env._("SIM plan %(plan)s: holder ages cannot be negative.", plan=template.display_name)
                )
            if template.haoka_max_age and template.haoka_min_age > template.haoka_max_age:
                raise ValidationError(
                    self.env._(
                        "SIM plan %(plan)s: the minimum holder age (%(min)s) is above the maximum (%(max)s).",
                        plan=template.display_name,
                        min=template.haoka_min_age,
                        max=template.haoka_max_age,
                    )
                )

    @api.constrains("is_sim_card", "haoka_carrier_id")
    def _check_sim_plan_carrier(self):
        for template in self.filtered(lambda t: t.is_sim_card and not t.haoka_carrier_id):
            raise ValidationError(
                self.env._("SIM plan %(plan)s needs a carrier.", plan=template.display_name)
            )

    @api.model
    def _haoka_plan_lookup(self):
        """``{normalised key: plan}`` of the SIM plans the user may read, a plan found by its name in every
        language stored (installed or not), its internal reference or its display name; keys compared after
        :func:`spreadsheet.header_key` (case and width do not matter). A key two plans share keeps the first
        plan (by the plans' order)."""
        plans = self.search([("is_sim_card", "=", True)])
        if not plans:
            return {}
        plans.flush_recordset(["name"])
        self.env.cr.execute("SELECT id, name FROM product_template WHERE id = ANY(%s)", (plans.ids,))
        stored_names = {plan_id: list((names or {}).values()) for plan_id, names in self.env.cr.fetchall()}
        lookup = {}
        for plan in plans:
            for name in [plan.default_code, plan.display_name, plan.name, *stored_names.get(plan.id, [])]:
                key = spreadsheet.header_key(name) if name else ""
                if key:
                    lookup.setdefault(key, plan)
        return lookup

    def _compute_haoka_card_count(self):
        sims = self.filtered("is_sim_card")
        counts = {}
        if sims:
            groups = self.env["stock.lot"]._read_group(
                [("product_id.product_tmpl_id", "in", sims.ids), ("card_state", "=", "available")],
                ["product_id"],
                ["__count"],
            )
            for product, count in groups:
                counts[product.product_tmpl_id.id] = counts.get(product.product_tmpl_id.id, 0) + count
        for template in self:
            template.haoka_card_count = counts.get(template.id, 0)

    def action_haoka_simulate_commissions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "haoka.commission.simulation", "view_mode": "form",
            "target": "new", "name": self.env._("Simulate Payout"),
            "context": {"default_product_tmpl_id": self.id},
        }

    def action_view_haoka_cards(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("haoka_distribution.action_haoka_card")
        action["domain"] = [("product_id.product_tmpl_id", "=", self.id)]
        return action
