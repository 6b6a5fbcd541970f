from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import format_amount

from ..tools.groups import MANAGER_GROUP

PERIODS = ("month", "last_month", "year", "all")


class HaokaDistributionDashboard(models.AbstractModel):
    """分销看板: the figures of the distribution reports for one period, with the action behind each figure.

    Everything is read with the user's own rights (record rules apply), labels are translated here,
    amounts are formatted in the company currency."""

    _name = "haoka.distribution.dashboard"
    _description = "Distribution Dashboard"

    @api.model
    def _period_bounds(self, period):
        today = fields.Date.context_today(self)
        if period == "month":
            return today.replace(day=1), None
        if period == "last_month":
            start = today.replace(day=1) - relativedelta(months=1)
            return start, today.replace(day=1)
        if period == "year":
            return today.replace(month=1, day=1), None
        return None, None

    @api.model
    def _period_domain(self, period, field="date"):
        start, end = self._period_bounds(period)
        domain = []
        if start:
            domain.append((field, ">=", start))
        if end:
            domain.append((field, "<", end))
        return domain

    @api.model
    def _action(self, xmlid, domain, name=None, context=None):
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = domain
        action["context"] = context or {}
        if name:
            action["name"] = name
        return action

    @api.model
    def _sees_commissions(self):
        """Commissions and settlements are for 号卡主管 and 号卡财务 (and distributors, their own)."""
        return self.env["haoka.commission.line"].has_access("read")

    @api.model
    def get_data(self, period="month"):
        """Figures for the dashboard client action; ``period`` is one of month, last_month, year, all."""
        _ = self.env._
        period = period if period in PERIODS else "month"
        currency = self.env.company.currency_id
        money = lambda value: format_amount(self.env, value or 0.0, currency)  # noqa: E731
        domain = self._period_domain(period) + [("company_id", "in", self.env.companies.ids)]
        totals = self._report_totals(domain)
        commissions = self._sees_commissions()
        return {
            "periods": [
                {"key": "month", "label": _("This Month")}, {"key": "last_month", "label": _("Last Month")},
                {"key": "year", "label": _("This Year")}, {"key": "all", "label": _("All Time")},
            ],
            "period": period,
            "labels": self._labels(),
            "sees_commissions": commissions,
            "kpis": self._kpis(totals, domain, period, money, commissions),
            "funnel": self._funnel(totals, commissions),
            "distributors": self._top_distributors(domain, money),
            "plans": self._top(domain, "product_tmpl_id", money),
            "commissions": self._commissions_by_state(period, money) if commissions else [],
            "todo": self._todo(),
        }

    @api.model
    def _kpis(self, totals, domain, period, money, commissions):
        """The figures at the top, each opening the records it counts."""
        _ = self.env._
        report = "haoka_distribution.action_haoka_distribution_report"
        kpis = [
            {"key": "orders", "label": _("Orders"), "value": totals["orders"],
             "action": self._action("haoka_distribution.action_haoka_orders",
                                    [("order_line.product_id.is_sim_card", "=", True), ("state", "=", "sale")]
                                    + self._period_domain(period, "date_order"))},
            {"key": "cards", "label": _("Cards Ordered"), "value": totals["cards_ordered"],
             "action": self._action(report, domain)},
            {"key": "sales", "label": _("Sales"), "value": money(totals["amount"]),
             "action": self._action(report, domain)},
        ]
        if commissions:
            kpis += [
                {"key": "commission", "label": _("Commission"), "value": money(totals["commission"]),
                 "action": self._action(report, domain)},
                {"key": "settled", "label": _("Commission Settled"), "value": money(totals["commission_settled"]),
                 "action": self._action(report, domain)},
            ]
        return kpis

    @api.model
    def _funnel(self, totals, commissions):
        """下单 → 发货 → 签收 → 激活 → 首充 (→ 结算 for those who see commissions), each with its rate of ordered."""
        _ = self.env._
        funnel_steps = [
            ("cards_ordered", _("Ordered")), ("cards_shipped", _("Shipped")), ("cards_received", _("Received")),
            ("cards_activated", _("Activated")), ("cards_topped_up", _("First Top-up")),
            ("cards_settled", _("Settled")),
        ]
        if not commissions:
            funnel_steps.pop()  # settled cards are counted on commission lines
        ordered = totals["cards_ordered"]
        return [
            {"key": key, "label": label, "value": totals[key],
             "rate": round(100.0 * totals[key] / ordered, 1) if ordered else 0.0}
            for key, label in funnel_steps
        ]

    @api.model
    def _labels(self):
        """The client's texts, in the user's language."""
        _ = self.env._
        return {
            "title": _("Distribution Dashboard"), "funnel": _("Funnel"), "distributors": _("Top Distributors"),
            "plans": _("Sales by Plan"), "commissions": _("Commissions by State"), "todo": _("To Do"),
            "distributor": _("Distributor"), "plan": _("Plan"), "cards": _("Cards"), "sales": _("Sales"),
            "commission": _("Commission"), "state": _("State"), "lines": _("Lines"), "amount": _("Amount"),
            "rate": _("Of Ordered"), "empty": _("Nothing in this period."),
            "earned": _("Commission Earned"), "upline_commission": _("Uplines' Commission"),
            "earned_help": _("Commission the distributor earns on the period's sales: its own sales and its "
                             "downline's."),
            "upline_help": _("Commission the distributor's uplines earn on its own sales."),
            "funnel_help": _("Cards of the period's orders. Each step is a subset of the previous one: shipped "
                             "(refunded ones included), received, activated, first top-up reported, settled "
                             "(topped-up cards of an order line whose commission is settled)."),
        }

    @api.model
    def _report_totals(self, domain):
        Report = self.env["haoka.distribution.report"]
        measures = ["cards_ordered", "cards_shipped", "cards_received", "cards_activated", "cards_topped_up",
                    "cards_settled", "amount"]
        if self._sees_commissions():
            measures += ["commission", "commission_settled"]
        [row] = Report._read_group(domain, [], ["order_id:count_distinct"] + [f"{m}:sum" for m in measures])
        return dict(zip(["orders"] + measures, (value or 0 for value in row), strict=True))

    @api.model
    def _top(self, domain, field, money, limit=10):
        Report = self.env["haoka.distribution.report"]
        commissions = self._sees_commissions()
        aggregates = ["cards_ordered:sum", "amount:sum"] + (["commission:sum"] if commissions else [])
        rows = Report._read_group(domain + [(field, "!=", False)], [field], aggregates,
                                  order="amount:sum desc", limit=limit)
        return [{
            "id": record.id, "name": record.display_name, "cards": cards, "sales": money(amount),
            "commission": money(commission[0]) if commission else "",
            "action": self._action("haoka_distribution.action_haoka_distribution_report",
                                   domain + [(field, "=", record.id)], name=record.display_name),
        } for record, cards, amount, *commission in rows]

    @api.model
    def _top_distributors(self, domain, money, limit=10):
        """代理排行: each distributor's own sales, the commission it earns on the period's sales (its own lines,
        whatever their tier), and what its uplines earn on its sales; by sales, then by commission earned.
        The commission figures only for the users who see commissions."""
        Report = self.env["haoka.distribution.report"]
        commissions = self._sees_commissions()
        sales = {
            distributor: (cards, amount, upline[0] if upline else 0)
            for distributor, cards, amount, *upline in Report._read_group(
                domain + [("distributor_id", "!=", False)], ["distributor_id"],
                ["cards_ordered:sum", "amount:sum"] + (["commission_upline:sum"] if commissions else []))
        }
        earned = dict(self.env["haoka.commission.line"]._read_group(
            [("order_line_id", "in", Report._search(domain)), ("state", "not in", ("reversed", "not_payable"))],
            ["distributor_id"], ["amount:sum"])) if commissions else {}
        ranked = sorted(set(sales) | set(earned), key=lambda d: (
            -sales.get(d, (0, 0, 0))[1], -earned.get(d, 0), d.display_name or ""))[:limit]
        rows = []
        for distributor in ranked:
            cards, amount, upline = sales.get(distributor, (0, 0, 0))
            rows.append({
                "id": distributor.id, "name": distributor.display_name, "cards": cards, "sales": money(amount),
                "commission": money(earned.get(distributor, 0)) if commissions else "",
                "upline_commission": money(upline) if commissions else "",
                "action": self._action("haoka_distribution.action_haoka_distribution_report",
                                       domain + [("distributor_id", "=", distributor.id)],
                                       name=distributor.display_name),
            })
        return rows

    @api.model
    def _commissions_by_state(self, period, money):
        Line = self.env["haoka.commission.line"]
        domain = self._period_domain(period, "order_id.date_order")
        states = dict(Line._fields["state"]._description_selection(self.env))
        rows = Line._read_group(domain, ["state"], ["__count", "amount:sum"])
        order = list(states)
        return [{
            "state": state, "label": states[state], "lines": count, "amount": money(amount),
            "action": self._action("haoka_distribution.action_haoka_commission_lines",
                                   domain + [("state", "=", state)], name=states[state]),
        } for state, count, amount in sorted(rows, key=lambda row: order.index(row[0]))]

    @api.model
    def _todo(self):
        """What waits for someone: orders to ship, commission lines to settle, distributors to verify."""
        _ = self.env._
        items = []
        to_ship = [("haoka_fulfilment_state", "=", "to_ship")]
        items.append({"key": "to_ship", "label": _("Orders to Ship"),
                      "value": self.env["sale.order"].search_count(to_ship),
                      "action": self._action("haoka_distribution.action_haoka_orders_to_ship", to_ship)})
        eligible = [("state", "=", "eligible"), ("settlement_id", "=", False)]
        if self._sees_commissions():
            items.append({"key": "eligible", "label": _("Commission Lines to Settle"),
                          "value": self.env["haoka.commission.line"].search_count(eligible),
                          "action": self._action("haoka_distribution.action_haoka_commission_lines", eligible)})
        if self.env.user.has_group(MANAGER_GROUP):
            kyc = [("haoka_is_distributor", "=", True), ("haoka_kyc_state", "=", "submitted")]
            items.append({"key": "kyc", "label": _("Distributors to Verify"),
                          "value": self.env["res.partner"].search_count(kyc),
                          "action": self._action("haoka_distribution.action_haoka_distributors", kyc)})
        return items
