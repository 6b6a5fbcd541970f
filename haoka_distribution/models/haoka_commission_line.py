from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

from ..tools import pgcopy
from .haoka_commission_rule import TRIGGERS

STATES = [
    ("expected", "Expected"),
    ("frozen", "Frozen"),
    ("eligible", "Eligible"),
    ("settled", "Settled"),
    ("not_payable", "Not Payable"),
    ("reversed", "Reversed"),
]
PAYABLE_STATES = ("eligible", "settled")
REASONS = [
    ("trigger_pending", "Waiting for the trigger"),
    ("assessment_window", "In the assessment window"),
    ("ready", "Ready for settlement"),
    ("settled", "Settled"),
    ("kyc_missing", "Distributor not verified"),
    ("distributor_suspended", "Distributor suspended"),
    ("order_refunded", "Order refunded"),
    ("order_cancelled", "Order cancelled"),
    ("clawback", "Clawback of a settled commission"),
    ("not_activated", "Not activated in time"),
    ("topup_too_low", "First top-up too low"),
    ("closed_early", "Closed before the end of next month"),
]


class HaokaCommissionLine(models.Model):
    _name = "haoka.commission.line"
    _description = "Commission Line"
    _order = "id desc"

    order_id = fields.Many2one("sale.order", required=True, index=True, ondelete="restrict", readonly=True)
    order_line_id = fields.Many2one("sale.order.line", required=True, index=True, ondelete="restrict", readonly=True)
    product_id = fields.Many2one(related="order_line_id.product_id", store=True, string="Plan")
    lot_ids = fields.Many2many(related="order_line_id.haoka_lot_ids", string="Cards")
    distributor_id = fields.Many2one("res.partner", string="Distributor", required=True, index=True, readonly=True)
    tier = fields.Integer(required=True, readonly=True)
    rule_id = fields.Many2one("haoka.commission.rule", string="Rule (version)", required=True, readonly=True,
                              ondelete="restrict", index=True)
    trigger = fields.Selection(TRIGGERS, required=True, readonly=True)
    payout_timing = fields.Selection(related="rule_id.payout_timing", store=True)
    quantity = fields.Integer(string="Number of Cards", readonly=True)
    base_amount = fields.Monetary(readonly=True, help="The line's untaxed amount the percentage applies to.")
    rate = fields.Float(string="Rate (%)", readonly=True)
    fixed_amount = fields.Monetary(string="Fixed per Card", readonly=True)
    amount = fields.Monetary(string="Commission", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id", store=True)
    state = fields.Selection(STATES, default="expected", required=True, index=True, readonly=True)
    reason_code = fields.Selection(REASONS, string="Reason Code", readonly=True)
    reason_cause = fields.Selection(REASONS, string="Because Of", readonly=True,
                                    help="For a clawback: why the commission is taken back (refund, cancellation).")
    reason_note = fields.Char(string="Reason Detail", readonly=True, help="An optional free-text detail.")
    reason = fields.Char(
        compute="_compute_reason", string="Reason",
        help="The reason code (and cause) in the reader's language, with the detail if any. Codes, not text, "
             "are stored, so a line created by an English user reads in Chinese for a Chinese user.",
    )
    reached_date = fields.Datetime(string="Trigger Reached On", readonly=True)
    frozen_until = fields.Date(readonly=True)
    clawback_of_id = fields.Many2one(
        "haoka.commission.line", string="Clawback Of", readonly=True, index="btree_not_null"
    )
    clawback_ids = fields.One2many("haoka.commission.line", "clawback_of_id", string="Clawbacks")
    settlement_id = fields.Many2one("haoka.commission.settlement", string="Settlement", readonly=True,
                                    index="btree_not_null", ondelete="restrict", copy=False)

    _sql_constraints = [
        ("settled_in_settlement", "CHECK (state != 'settled' OR settlement_id IS NOT NULL)",
         "A settled commission line belongs to a settlement."),
    ]

    def init(self):
        # one commission per order line, distributor, tier and trigger; one clawback per commission
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS haoka_commission_line_key_uniq
                ON haoka_commission_line (order_line_id, distributor_id, tier, trigger) WHERE clawback_of_id IS NULL;
            CREATE UNIQUE INDEX IF NOT EXISTS haoka_commission_line_clawback_uniq
                ON haoka_commission_line (clawback_of_id) WHERE clawback_of_id IS NOT NULL;
            """
        )

    @api.depends("distributor_id", "order_id", "trigger", "amount")
    def _compute_display_name(self):
        for line in self:
            line.display_name = "%s / %s / %s" % (line.order_id.name, line.distributor_id.name,
                                                  dict(TRIGGERS).get(line.trigger))

    @api.depends("reason_code", "reason_cause", "reason_note", "clawback_of_id")
    @api.depends_context("lang")
    def _compute_reason(self):
        labels = dict(self._fields["reason_code"]._description_selection(self.env))
        for line in self:
            reason = labels.get(line.reason_code) or ""
            cause = line.reason_cause or line._clawback_cause()
            if cause:
                reason = self.env._("%(reason)s: %(cause)s", reason=reason, cause=labels[cause])
            if line.reason_note:
                reason = self.env._("%(reason)s (%(detail)s)", reason=reason, detail=line.reason_note)
            line.reason = reason or False

    def _clawback_cause(self):
        """The cause of a clawback made before causes were stored (their text was frozen then): the order's."""
        if self.reason_code != "clawback":
            return False
        order = self.sudo().clawback_of_id.order_id
        if order.state == "cancel":
            return "order_cancelled"
        return "order_refunded" if order.haoka_fulfilment_state in ("refunded", "partially_refunded") else False

    @api.model
    def _bulk_insert(self, vals_list):
        """Insert commission lines with one COPY (ids drawn from the sequence first). Each dict holds the
        columns of :meth:`_prepare_vals`, ``state`` being a (state, reason code) pair."""
        if not vals_list:
            return self.browse()
        self.env.flush_all()
        currencies = {}
        now = fields.Datetime.now()
        uid = self.env.uid
        ids = pgcopy.next_ids(self.env.cr, "haoka_commission_line", len(vals_list))
        columns = ["id", "order_id", "order_line_id", "product_id", "distributor_id", "tier", "rule_id", "trigger",
                   "payout_timing", "quantity", "base_amount", "rate", "fixed_amount", "amount", "company_id",
                   "currency_id", "state", "reason_code", "create_uid", "create_date", "write_uid",
                   "write_date"]
        rows = []
        for line_id, vals in zip(ids, vals_list, strict=True):
            company_id = vals["company_id"]
            if company_id not in currencies:
                currencies[company_id] = self.env["res.company"].browse(company_id).currency_id.id
            state, reason_code = vals["state"]
            rows.append((
                line_id, vals["order_id"], vals["order_line_id"], vals["product_id"], vals["distributor_id"],
                vals["tier"], vals["rule_id"], vals["trigger"], vals["payout_timing"], vals["quantity"],
                vals["base_amount"], vals["rate"], vals["fixed_amount"], vals["amount"], company_id,
                currencies[company_id], state, reason_code, uid, now, uid, now,
            ))
        pgcopy.copy_rows(self.env.cr, self._table, columns, rows)
        self.invalidate_model()
        self.env["sale.order"].invalidate_model(["haoka_commission_line_ids"])
        return self.browse(ids)

    # ------------------------------------------------------------------ computation from orders (计佣)
    # As OCA's ``commission`` does, the order asks the commission model to compute the lines of its lines:
    # sale.order keeps thin hooks (_haoka_compute_commissions, _haoka_commission_event).

    @api.model
    def _compute_for_orders(self, orders):
        """Commission lines for every SIM line × chain tier × trigger that has a rule, for the orders whose
        distributor chain is stored. Idempotent: existing lines are kept as they are (a database index
        forbids duplicates). Written with one COPY for the whole set of orders."""
        orders = orders.filtered("haoka_chain_ids")
        existing = self._existing_keys(orders)
        best_rules = self._best_rules_lookup()
        vals_list = [
            self._prepare_vals(sale_line, distributor, tier, rule)
            for order in orders
            for sale_line, distributor, tier, rule in self._order_candidates(order, best_rules)
            if (sale_line.id, distributor.id, tier, rule.trigger) not in existing
        ]
        return self.sudo()._bulk_insert(vals_list)

    @api.model
    def _existing_keys(self, orders):
        """(order line, distributor, tier, trigger) of the commissions the orders have already."""
        if not orders:
            return set()
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT order_line_id, distributor_id, tier, trigger FROM haoka_commission_line
                WHERE order_id = ANY(%s) AND clawback_of_id IS NULL""", (orders.ids,))
        return set(self.env.cr.fetchall())

    @api.model
    def _best_rules_lookup(self):
        """:meth:`haoka.commission.rule._best_rules` with memory: each company's rules are read once, the
        best rules of each (plan, distributor, level, tier, day, company) chosen once."""
        Rule = self.env["haoka.commission.rule"].sudo()
        rules_by_company, best = {}, {}

        def best_rules(product, distributor, level, tier, day, company):
            if company not in rules_by_company:
                rules_by_company[company] = Rule.search([("company_id", "=", company.id)])
            key = (product, distributor, level, tier, day, company)
            if key not in best:
                best[key] = Rule._best_rules(*key, rules_by_company[company])
            return best[key]

        return best_rules

    @api.model
    def _order_candidates(self, order, best_rules):
        """(sale line, distributor, tier, rule) for each SIM line of the order, each tier of its chain
        snapshot and each trigger that has a rule on the day of the order."""
        day = fields.Date.to_date(order.date_order)
        links = [(link.tier, link.distributor_id, link.level) for link in order.haoka_chain_ids]
        for sale_line in order._haoka_sim_lines():
            for tier, distributor, level in links:
                for rule in best_rules(sale_line.product_id, distributor, level, tier, day, order.company_id).values():
                    yield sale_line, distributor, tier, rule

    @api.model
    def _prepare_vals(self, sale_line, distributor, tier, rule):
        """The columns of the commission of ``distributor`` at ``tier`` on ``sale_line`` under ``rule``."""
        order = sale_line.order_id
        quantity = int(sale_line.product_uom_qty)
        base = sale_line.price_subtotal
        return {
            "order_id": order.id,
            "order_line_id": sale_line.id,
            "product_id": sale_line.product_id.id,
            "distributor_id": distributor.id,
            "tier": tier,
            "rule_id": rule.id,
            "payout_timing": rule.payout_timing,
            "state": self._start_state(distributor),
            "trigger": rule.trigger,
            "quantity": quantity,
            "base_amount": base,
            "rate": rule.amount if rule.amount_type == "percent" else 0,
            "fixed_amount": rule.amount if rule.amount_type == "fixed" else 0,
            "amount": order.company_id.currency_id.round(self._rule_amount(rule, quantity, base)),
            "company_id": order.company_id.id,
        }

    @api.model
    def _rule_amount(self, rule, quantity, base):
        """What ``rule`` pays for ``quantity`` cards sold for ``base`` (untaxed), not rounded."""
        if rule.amount_type == "fixed":
            return rule.amount * quantity
        return base * rule.amount / 100

    @api.model
    def _start_state(self, distributor):
        """(state, reason code) of a new commission: not payable to a suspended or unverified distributor."""
        if distributor.haoka_distributor_state != "active":
            return "not_payable", "distributor_suspended"
        if distributor.haoka_kyc_state != "approved":
            return "not_payable", "kyc_missing"
        return "expected", "trigger_pending"

    @api.model
    def _reach_for_orders(self, orders, trigger):
        """The orders reached ``trigger`` (confirmed, shipped, received): so did their commissions of it."""
        lines = orders.sudo().haoka_commission_line_ids.filtered(lambda l: l.trigger == trigger)
        lines._reach()

    @api.model
    def _reverse_refunded_cards(self, order, cards):
        """退款: the commissions of each SIM line of ``order`` are reversed for the share of its cards
        refunded (settled ones clawed back)."""
        for sale_line in order._haoka_sim_lines():
            refunded_here = len(sale_line.haoka_lot_ids & cards)
            if refunded_here:
                share = refunded_here / max(sale_line.product_uom_qty, 1)
                order.sudo().haoka_commission_line_ids.filtered(
                    lambda l, sl=sale_line: l.order_line_id == sl
                )._reverse("order_refunded", share=share)

    def _set_state(self, state, reason_code, **extra):
        self.write(dict(extra, state=state, reason_code=reason_code))
        if state not in PAYABLE_STATES:
            self._leave_draft_settlements()

    def _leave_draft_settlements(self):
        """Lines no longer payable (refund, cancellation, ...) leave the draft settlement holding them, so
        that the draft shows, and its bill pays, only what is owed."""
        held = self.filtered(lambda line: line.settlement_id.state == "draft" and line.state not in PAYABLE_STATES)
        for settlement, lines in held.grouped("settlement_id").items():
            settlement._drop_lines(lines)

    def _reach(self, on=None):
        """The trigger happened (``on`` that day, default today): 秒返 lines become eligible, 次月返 lines
        stay frozen until the end of the next month (次月底), the window in which a closure voids them."""
        now = fields.Datetime.now()
        today = on or fields.Date.context_today(self)
        pending = self.filtered(lambda line: line.state == "expected")
        pending.filtered(lambda l: l.payout_timing == "instant")._set_state("eligible", "ready", reached_date=now)
        pending.filtered(lambda l: l.payout_timing == "monthly")._set_state(
            "frozen", "assessment_window", reached_date=now,
            frozen_until=today + relativedelta(months=1, day=31),
        )

    @api.model
    def _cron_release_frozen(self):
        """Daily: frozen lines whose assessment window is over become eligible for settlement."""
        lines = self.search([("state", "=", "frozen"), ("frozen_until", "<=", fields.Date.context_today(self))])
        lines._set_state("eligible", "ready")
        return len(lines)

    def _reverse(self, reason_code, share=1.0):
        """Refund or cancellation: unsettled lines are reversed; settled lines get a negative clawback
        line, netted in the next settlement. ``share`` is the refunded part of the order line."""
        for line in self.filtered(lambda l: not l.clawback_of_id and l.state not in ("reversed", "not_payable")):
            if line.state != "settled" and share >= 1:
                line._set_state("reversed", reason_code)
            elif not line.clawback_ids:
                line.copy({
                    "settlement_id": False,
                    "amount": -round(line.amount * share, 2),
                    "quantity": -round(line.quantity * share),
                    "clawback_of_id": line.id,
                    "state": "eligible",
                    "reason_code": "clawback",
                    "reason_cause": reason_code,
                })

    # ------------------------------------------------------------------ carrier triggers (激活, 首充, 在网)

    def _evaluate_carrier_triggers(self):
        """Move expected and frozen lines on what the carrier reported about their order line's cards.

        A line's trigger is reached when it holds for every card of the order line: all activated
        (激活), all topped up by at least the rule's minimum (首充 ≥ X), all still in service at the end
        of their N-th month, the activation month counting as the first (在网 N 月). A closure (销户)
        before the end of the assessment window makes the line not payable."""
        outcomes = defaultdict(list)  # (state and reason, or reached on a day) -> line ids: one write per outcome
        for line in self.filtered(lambda l: l.state in ("expected", "frozen") and not l.clawback_of_id):
            outcome = line._carrier_trigger_outcome()
            if outcome:
                outcomes[outcome].append(line.id)
        for (kind, value), ids in outcomes.items():
            lines = self.browse(ids)
            if kind == "reach":
                lines._reach(on=value)
            else:
                lines._set_state("not_payable", value)

    def _carrier_trigger_outcome(self):
        """What the cards of this expected or frozen line's order line make of it: ``("reach", day)``,
        ``("not_payable", reason)`` or None (nothing yet)."""
        cards = self.order_line_id.haoka_lot_ids
        if not cards:
            return None
        closed = [card.haoka_closed_date for card in cards if card.haoka_closed_date]
        if self.state == "frozen":
            if closed and self.frozen_until and min(closed) <= self.frozen_until:
                return "not_payable", "closed_early"
            return None
        activated = [card.haoka_activated_date for card in cards]
        if self.trigger == "activated" and all(activated):
            return "reach", max(activated)
        if self.trigger == "first_topup":
            topups = [card.haoka_first_topup_amount for card in cards if card.haoka_first_topup_date]
            if topups and min(topups) < self.rule_id.first_topup_min:
                return "not_payable", "topup_too_low"
            if len(topups) == len(cards):
                return "reach", max(card.haoka_first_topup_date for card in cards)
        elif self.trigger == "in_service":
            if closed:
                return "not_payable", "closed_early"
            if all(activated):
                due = self._in_service_due(max(activated))
                if due < fields.Date.context_today(self):
                    return "reach", due
        return None

    def _in_service_due(self, activated):
        """The last day of the N-th month in service, the activation month being the first (首月)."""
        months = max(self.rule_id.service_months, 1)
        return activated + relativedelta(months=months - 1, day=31)

    @api.model
    def _cron_carrier_deadlines(self):
        """Daily: in-service lines whose months are over are reached; lines waiting for an activation or a
        first top-up that did not come within the deadline after shipping are not payable."""
        carrier_triggers = ("activated", "first_topup", "in_service")
        waiting = self.search([("state", "=", "expected"), ("trigger", "in", carrier_triggers),
                               ("clawback_of_id", "=", False)])
        waiting._evaluate_carrier_triggers()
        late = self.browse()
        for company in self.env["res.company"].sudo().search([]):
            deadline = fields.Datetime.now() - relativedelta(days=company.haoka_activation_days)
            late |= self.search([
                ("state", "=", "expected"), ("trigger", "in", carrier_triggers), ("clawback_of_id", "=", False),
                ("company_id", "=", company.id), ("order_id.haoka_shipped_date", "<", deadline),
            ])
        for line in late:
            cards = line.order_line_id.haoka_lot_ids
            if not all(cards.mapped("haoka_activated_date")):
                line._set_state("not_payable", "not_activated")
            elif line.trigger == "first_topup" and not all(cards.mapped("haoka_first_topup_date")):
                line._set_state("not_payable", "topup_too_low")
        return len(late)
