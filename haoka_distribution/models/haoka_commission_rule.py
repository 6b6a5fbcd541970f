from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.groups import COMMISSION_GROUPS

TRIGGERS = [
    ("confirmed", "Order confirmed"),
    ("shipped", "Shipped"),
    ("received", "Received"),
    ("activated", "Activated"),
    ("first_topup", "First top-up"),
    ("in_service", "In service N months"),
]


class HaokaCommissionRule(models.Model):
    _name = "haoka.commission.rule"
    _description = "Commission Rule"
    _inherit = ["mail.thread"]
    _order = "priority desc, id"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, required=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    product_tmpl_id = fields.Many2one("product.template", string="Plan", domain=[("is_sim_card", "=", True)],
                                      tracking=True)
    categ_id = fields.Many2one("product.category", string="Product Category", tracking=True)
    carrier_id = fields.Many2one("haoka.carrier", string="Carrier", tracking=True)
    tier = fields.Integer(
        default=0, tracking=True, help="0 = the selling distributor, 1 = its upline, 2 = the upline's upline, ...",
    )
    distributor_level = fields.Integer(string="Distributor Level", tracking=True,
                                       help="Only for distributors of this level (0 = any level).")
    distributor_id = fields.Many2one(
        "res.partner", string="Distributor", domain=[("haoka_is_distributor", "=", True)], tracking=True,
        help="Only for this distributor.",
    )
    amount_type = fields.Selection([("fixed", "Fixed per card"), ("percent", "Percentage of the line")],
                                   default="fixed", required=True, tracking=True)
    amount = fields.Float(required=True, tracking=True, digits=(16, 2),
                          help="Amount per card, or percentage of the line's untaxed amount.")
    trigger = fields.Selection(TRIGGERS, default="activated", required=True, tracking=True)
    first_topup_min = fields.Monetary(string="Minimum First Top-up", currency_field="currency_id")
    service_months = fields.Integer(string="Months in Service")
    payout_timing = fields.Selection(
        [("instant", "Immediately (秒返)"), ("monthly", "Next monthly settlement (次月返)")],
        default="monthly", required=True, tracking=True,
    )
    date_from = fields.Date(string="Valid From")
    date_to = fields.Date(string="Valid To")
    priority = fields.Integer(default=10, help="Among equally specific rules, the higher priority wins.")
    line_count = fields.Integer(compute="_compute_line_count", string="Commission Lines",
                                groups=COMMISSION_GROUPS)
    version = fields.Integer(default=1, readonly=True, copy=False)
    previous_version_id = fields.Many2one("haoka.commission.rule", string="Previous Version", readonly=True,
                                          copy=False)
    next_version_id = fields.Many2one("haoka.commission.rule", string="Next Version", readonly=True, copy=False)

    @api.constrains("amount", "amount_type", "tier", "date_from", "date_to")
    def _check_rule(self):
        for rule in self:
            if rule.amount < 0 or (rule.amount_type == "percent" and rule.amount > 100):
                raise ValidationError(self.env._("Rule %(rule)s: the amount %(amount)s is not valid.",
                                                 rule=rule.name, amount=rule.amount))
            if rule.tier < 0:
                raise ValidationError(self.env._("Rule %(rule)s: the tier cannot be negative.", rule=rule.name))
            if rule.date_from and rule.date_to and rule.date_from > rule.date_to:
                raise ValidationError(self.env._("Rule %(rule)s ends before it starts.", rule=rule.name))

    @api.model
    def _versioned_fields(self):
        return {
            "product_tmpl_id", "categ_id", "carrier_id", "tier", "distributor_level", "distributor_id",
            "amount_type", "amount", "trigger", "first_topup_min", "service_months", "payout_timing",
        }

    def write(self, vals):
        """A rule that has produced commission lines is never changed in place: the change makes a new
        version (the old one is archived), and existing lines keep the version they used."""
        if not (set(vals) & self._versioned_fields()) or self.env.context.get("haoka_rule_versioning"):
            return super().write(vals)
        used = self.filtered("line_count")
        for rule in used:
            new = rule.copy(dict(vals, version=rule.version + 1, previous_version_id=rule.id,
                                 name=vals.get("name", rule.name)))
            super(HaokaCommissionRule, rule.with_context(haoka_rule_versioning=True)).write(
                {"active": False, "next_version_id": new.id}
            )
            rule.message_post(body=self.env._("Changed into version %(version)s.", version=new.version))
        return super(HaokaCommissionRule, self - used).write(vals) if self - used else True

    def _compute_line_count(self):
        counts = dict(self.env["haoka.commission.line"]._read_group(
            [("rule_id", "in", self.ids)], ["rule_id"], ["__count"]))
        for rule in self:
            rule.line_count = counts.get(rule, 0)

    def _specificity(self):
        """Higher is more specific: a named distributor beats a level, a plan beats a category beats
        a carrier beats all."""
        self.ensure_one()
        return (
            4 if self.distributor_id else (2 if self.distributor_level else 0),
            3 if self.product_tmpl_id else (2 if self.categ_id else (1 if self.carrier_id else 0)),
            self.priority,
        )

    def _applies(self, product, distributor, level, tier, day):
        self.ensure_one()
        template = product.product_tmpl_id
        return (
            self.tier == tier
            and (not self.product_tmpl_id or self.product_tmpl_id == template)
            and (not self.categ_id or product.categ_id == self.categ_id
                 or self.categ_id.parent_path and product.categ_id.parent_path.startswith(self.categ_id.parent_path))
            and (not self.carrier_id or self.carrier_id == template.haoka_carrier_id)
            and (not self.distributor_id or self.distributor_id == distributor)
            and (not self.distributor_level or self.distributor_level == level)
            and (not self.date_from or self.date_from <= day)
            and (not self.date_to or day <= self.date_to)
        )

    @api.model
    def _best_rules(self, product, distributor, level, tier, day, company, rules=None):
        """The most specific rule per trigger for this card sale (``rules``: the company's active rules,
        when the caller has them already)."""
        best = {}
        if rules is None:
            rules = self.search([("company_id", "=", company.id)])
        for rule in rules:
            if not rule._applies(product, distributor, level, tier, day):
                continue
            current = best.get(rule.trigger)
            if current is None or rule._specificity() > current._specificity():
                best[rule.trigger] = rule
        return best
