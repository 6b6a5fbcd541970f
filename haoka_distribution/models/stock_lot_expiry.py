from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from ..tools import texts
from ..tools.groups import MANAGER_GROUP
from .stock_lot import SELLABLE_STATES


class StockLot(models.Model):
    """Expiry of SIM cards (有效期): cards expiring soon, the daily job that takes expired cards off the
    sale, and one activity per plan for the SIM managers."""

    _inherit = "stock.lot"

    def _haoka_settings_company(self):
        """The company whose settings apply to this card: its own, or for a card of no company (a plan shared
        by all companies) the current company."""
        self.ensure_one()
        return self.company_id or self.env.company

    @api.depends_context("company")
    def _compute_expiring_soon(self):
        now = fields.Datetime.now()
        for lot in self:
            limit = now + timedelta(days=lot._haoka_settings_company().haoka_expiry_warning_days)
            lot.expiring_soon = bool(
                lot.is_sim_card and lot.expiration_date and now <= lot.expiration_date <= limit
            )

    def _search_expiring_soon(self, operator, value):
        """Cards expiring within the warning days of their company (of the current company for cards of no
        company)."""
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on 'expiring soon'."))
        now = fields.Datetime.now()
        per_company = []
        for company in self.env["res.company"].sudo().with_context(active_test=False).search([]):
            companies = [company.id] + ([False] if company == self.env.company else [])
            limit = now + timedelta(days=company.haoka_expiry_warning_days)
            per_company.append([("company_id", "in", companies), ("expiration_date", "<=", limit)])
        domain = expression.AND([
            [("is_sim_card", "=", True), ("expiration_date", ">=", now)], expression.OR(per_company),
        ])
        if (operator == "=") != value:
            return ["!"] + expression.normalize_domain(domain)
        return domain

    @api.model
    def _cron_haoka_card_expiry(self):
        """Daily: cards past expiry leave the sale (已过期); cards expiring soon raise one activity per
        plan for the SIM managers (kept up to date, not repeated)."""
        if texts.lacks_lang(self):
            return texts.in_readers_lang(self)._cron_haoka_card_expiry()
        now = fields.Datetime.now()
        expired = self.search(
            [("is_sim_card", "=", True), ("card_state", "in", SELLABLE_STATES), ("expiration_date", "<", now)]
        )
        expired.write({"card_state": "expired"})
        self._haoka_schedule_expiry_activities()
        return len(expired)

    @api.model
    def _haoka_schedule_expiry_activities(self):
        """One activity per plan with cards on sale expiring soon, for a SIM manager: created, or its
        note brought up to date."""
        per_template = self._haoka_expiring_per_template()
        if not per_template:
            return
        activity_type = self.env.ref("haoka_distribution.mail_activity_type_card_expiry")
        responsible = self._haoka_expiry_responsible()
        _ = texts.in_readers_lang(self, responsible).env._  # the summary and note in the assignee's language
        for template, (count, first_expiry) in per_template.items():
            days = (template.company_id or self.env.company).haoka_expiry_warning_days
            note = _(
                "%(count)s card(s) of plan %(plan)s expire within %(days)s days (first on %(date)s).",
                count=count, plan=template.display_name, days=days, date=fields.Date.to_string(first_expiry),
            )
            activity = self.env["mail.activity"].search(
                [
                    ("res_model", "=", "product.template"),
                    ("res_id", "=", template.id),
                    ("activity_type_id", "=", activity_type.id),
                ],
                limit=1,
            )
            if activity:
                activity.write({"note": note})
            else:
                template.activity_schedule(
                    activity_type_id=activity_type.id,
                    summary=_("Cards expiring soon"),
                    note=note,
                    user_id=responsible.id,
                    date_deadline=fields.Date.to_date(first_expiry),
                )

    @api.model
    def _haoka_expiring_per_template(self):
        """``{product.template: [count, first expiry]}`` of the cards on sale expiring soon."""
        groups = self._read_group(
            [("expiring_soon", "=", True), ("card_state", "in", SELLABLE_STATES)],
            ["product_id"],
            ["__count", "expiration_date:min"],
        )
        per_template = defaultdict(lambda: [0, None])
        for product, count, first_expiry in groups:
            entry = per_template[product.product_tmpl_id]
            entry[0] += count
            entry[1] = min(entry[1], first_expiry) if entry[1] else first_expiry
        return per_template

    @api.model
    def _haoka_expiry_responsible(self):
        managers = self.env.ref(MANAGER_GROUP).users.filtered(lambda u: u.active and not u.share and u.id != 1)
        return managers.sorted("id")[:1] or self.env.ref("base.user_admin")
