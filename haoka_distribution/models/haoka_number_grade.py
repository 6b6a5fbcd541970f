from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import grade


class HaokaNumberGrade(models.Model):
    _name = "haoka.number.grade"
    _description = "Number Grade Rule"
    _order = "level desc, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10, help="Among rules of the same level, the lower sequence wins.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", string="Company", index=True)
    carrier_id = fields.Many2one(
        "haoka.carrier", string="Carrier", help="Leave empty for a rule that applies to every carrier."
    )
    pattern_kind = fields.Selection(grade.PATTERN_KINDS, required=True, default="repeat")
    min_length = fields.Integer(
        string="Minimum Length",
        default=3,
        help="For runs (N-of-a-kind, ascending, descending, ABAB): how many digits the run at the end "
        "of the number must have.",
    )
    lucky_string = fields.Char(help="For lucky strings: the digits the number must end with, e.g. 168.")
    level = fields.Integer(string="Grade Level", required=True, default=1, help="Higher is more valuable.")
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", string="Currency", readonly=True
    )
    price_premium = fields.Monetary(currency_field="currency_id", help="Added to the plan price.")
    min_monthly_spend = fields.Monetary(
        string="Minimum Monthly Spend", currency_field="currency_id", help="低消: monthly minimum spend."
    )
    prepayment = fields.Monetary(currency_field="currency_id", help="预存: amount paid in advance.")
    contract_months = fields.Integer(help="协议期: months the holder commits to.")
    card_count = fields.Integer(compute="_compute_card_count", string="Cards")

    @api.depends("company_id")
    def _compute_currency_id(self):
        for rule in self:
            rule.currency_id = (rule.company_id or self.env.company).currency_id

    @api.constrains("pattern_kind", "lucky_string", "min_length")
    def _check_pattern(self):
        for rule in self:
            if rule.pattern_kind == "lucky" and not (rule.lucky_string or "").isdigit():
                raise ValidationError(
                    self.env._("Grade rule %(rule)s: a lucky string rule needs digits, e.g. 168.", rule=rule.name)
                )
            if rule.min_length < 0 or rule.min_length > 11:
                raise ValidationError(
                    self.env._(
                        "Grade rule %(rule)s: minimum length %(length)s must be between 0 and 11.",
                        rule=rule.name,
                        length=rule.min_length,
                    )
                )

    def _compute_card_count(self):
        counts = dict(self.env["stock.lot"]._read_group([("grade_id", "in", self.ids)], ["grade_id"], ["__count"]))
        for rule in self:
            rule.card_count = counts.get(rule, 0)

    @api.model
    def _classifier_rules(self, carrier=None, company=None):
        """Active rules as :class:`grade.Rule` tuples for the classifier."""
        domain = [("active", "=", True)]
        rules = self.sudo().search(domain)
        result = []
        for rule in rules:
            if carrier is not None and rule.carrier_id and rule.carrier_id != carrier:
                continue
            if company is not None and rule.company_id and rule.company_id != company:
                continue
            result.append(
                grade.Rule(rule.id, rule.pattern_kind, rule.min_length, rule.lucky_string, rule.level, rule.sequence)
            )
        return result

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self._regrade_cards()
        return rules

    def write(self, vals):
        result = super().write(vals)
        self._regrade_cards()
        return result

    def unlink(self):
        result = super().unlink()
        self._regrade_cards()
        return result

    @api.model
    def _regrade_cards(self):
        """Grades are stored on the cards: re-classify every card after the rules changed."""
        self.env["stock.lot"].sudo()._haoka_recompute_grades()

    def action_view_cards(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("haoka_distribution.action_haoka_card")
        action["domain"] = [("grade_id", "=", self.id)]
        return action
