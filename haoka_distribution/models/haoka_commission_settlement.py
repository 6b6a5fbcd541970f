from collections import defaultdict

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools import texts
from ..tools.groups import FINANCE_GROUP


class HaokaCommissionSettlement(models.Model):
    """结算: a distributor's eligible commissions (and clawbacks) of a period, paid by a vendor bill."""

    _name = "haoka.commission.settlement"
    _description = "Commission Settlement"
    _inherit = ["mail.thread"]
    _order = "date_to desc, id desc"

    name = fields.Char(required=True, readonly=True, default="/", copy=False)
    distributor_id = fields.Many2one("res.partner", string="Distributor", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(readonly=True)
    date_to = fields.Date(string="Period End", required=True, readonly=True)
    line_ids = fields.One2many("haoka.commission.line", "settlement_id", string="Commission Lines", readonly=True)
    line_count = fields.Integer(compute="_compute_line_count", string="Lines")
    total = fields.Monetary(compute="_compute_total", store=True)
    state = fields.Selection(
        [("draft", "Draft"), ("confirmed", "Confirmed"), ("paid", "Paid"), ("cancelled", "Cancelled")],
        default="draft", required=True, tracking=True, readonly=True, index=True,
    )
    move_id = fields.Many2one("account.move", string="Vendor Bill", readonly=True, copy=False)

    @api.depends("line_ids.amount")
    def _compute_total(self):
        for settlement in self:
            settlement.total = sum(settlement.line_ids.mapped("amount"))

    def _compute_line_count(self):
        counts = dict(self.env["haoka.commission.line"]._read_group(
            [("settlement_id", "in", self.ids)], ["settlement_id"], ["__count"]))
        for settlement in self:
            settlement.line_count = counts.get(settlement, 0)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("haoka.commission.settlement") or "/"
        return super().create(vals_list)

    def _check_finance(self):
        if not (self.env.su or self.env.user.has_group(FINANCE_GROUP)):
            raise AccessError(self.env._("Only SIM finance (号卡财务) confirms and cancels settlements."))

    # ------------------------------------------------------------------ preparing

    @api.model
    def _prepare(self, date_to, distributors=None, company=None):
        """One draft settlement per distributor with the eligible lines not yet settled up to
        ``date_to``. The lines are locked first; lines another run holds are skipped, so a line is
        never in two settlements even when two users run this at once."""
        company = company or self.env.company
        self.env.flush_all()
        cr = self.env.cr
        query = """SELECT id FROM haoka_commission_line
                    WHERE state = 'eligible' AND settlement_id IS NULL AND company_id = %s
                      AND COALESCE(reached_date, create_date)::date <= %s"""
        params = [company.id, date_to]
        if distributors:
            query += " AND distributor_id = ANY(%s)"
            params.append(distributors.ids)
        try:
            with cr.savepoint(flush=False):
                cr.execute(query + " ORDER BY id FOR UPDATE SKIP LOCKED", params)
                ids = [row[0] for row in cr.fetchall()]
        except psycopg2.errors.SerializationFailure:
            raise UserError(self.env._(
                "Another settlement is being prepared for these commissions right now: try again in a moment."
            )) from None
        lines = self.env["haoka.commission.line"].browse(ids)
        lines.invalidate_recordset(["settlement_id", "state"])
        lines = lines.filtered(lambda l: not l.settlement_id and l.state == "eligible")
        by_distributor = defaultdict(list)  # ids, not ``|=`` of records: a union copies the whole set each time
        for line in lines:
            by_distributor[line.distributor_id].append(line.id)
        settlements = self.browse()
        for distributor, line_ids in by_distributor.items():
            settlement = self.create({"distributor_id": distributor.id, "company_id": company.id,
                                      "date_to": date_to})
            lines.browse(line_ids).write({"settlement_id": settlement.id})
            settlements |= settlement
        return settlements

    @api.model
    def _cron_prepare_monthly(self):
        """Monthly: draft settlements of last month's eligible commissions, for finance to confirm."""
        last_month_end = fields.Date.context_today(self).replace(day=1) - fields.date_utils.relativedelta(days=1)
        for company in self.env["res.company"].search([]):
            settlements = self.with_company(company)
            if texts.lacks_lang(settlements):  # the chatter notes in the language of the company's users
                settlements = texts.in_readers_lang(settlements)
            settlements._prepare(last_month_end, company=company)

    # ------------------------------------------------------------------ confirming and paying

    def action_confirm(self):
        """Create and post the vendor bills (a refund when clawbacks exceed commissions), all in one
        batch; the lines become settled. The lines are locked and read again first: a line that is no
        longer payable (refunded, cancelled, ...) is dropped and named in the chatter, and the clawbacks of
        the settlement's lines are netted in, so that the bill is what is owed now."""
        self._check_finance()
        for settlement in self:
            if settlement.state != "draft":
                raise UserError(self.env._("Settlement %(name)s is not a draft.", name=settlement.name))
            if not settlement.line_ids:
                raise UserError(self.env._("Settlement %(name)s has no commission line.", name=settlement.name))
        self._lock_lines()
        for settlement in self:
            # its own lines only: each settlement's writes invalidate line_ids, which the prefetch of the whole
            # batch would read again for every settlement (50,000 lines x 100 settlements)
            settlement = settlement.with_prefetch()
            settlement._drop_lines(settlement.line_ids.filtered(lambda line: line.state != "eligible"))
            settlement._add_clawbacks()
        to_settle = self.filtered(lambda s: s.state == "draft")
        to_settle.line_ids._set_state("settled", "settled")
        netted = to_settle.filtered(lambda s: s.currency_id.is_zero(s.total))
        for settlement in netted:
            # commissions and clawbacks cancel out: nothing to pay
            settlement.message_post(body=self.env._("Commissions and clawbacks net to zero: no bill."))
        netted.state = "paid"
        to_bill = to_settle - netted
        if not to_bill:
            return True
        bills = self.env["account.move"].sudo().with_company(to_bill[0].company_id).create(
            [settlement._bill_vals() for settlement in to_bill]
        )
        bills.action_post()
        for settlement, bill in zip(to_bill, bills, strict=True):
            settlement.write({"move_id": bill.id, "state": "confirmed"})
        to_bill.filtered(lambda s: s.distributor_id.haoka_payout_method == "wallet")._haoka_credit_wallet()
        return True

    def _haoka_credit_wallet(self):
        """Pay the confirmed settlements' bills by their distributors' 佣金余额, all at once: per company, one
        wallet entry for the run (a thousand distributors) posted in that company's environment, a movement per
        settlement (key ``settlement:<id>``) whose line is reconciled with the bill's payable in one
        ``_reconcile_plan`` (a vendor refund — clawbacks — debits the wallet, possibly below zero). The
        result is the one of crediting them one by one; a settlement already paid (a second run) is left
        alone."""
        to_credit = self.filtered(lambda s: s.state == "confirmed" and s.move_id.state == "posted")
        for company in to_credit.company_id:
            settlements = to_credit.filtered(lambda s, c=company: s.company_id == c).with_company(company)
            wallet_type = settlements.env["haoka.wallet.type"]._haoka_get("commission", company)
            settlements.move_id.line_ids.fetch(["tax_ids"])  # for all the bills at once (else bill by bill)
            payables = [settlement._haoka_open_payable() for settlement in settlements]
            movements = [settlement._haoka_credit_movement(payable, wallet_type)
                         for settlement, payable in zip(settlements, payables, strict=True) if payable]
            if movements:
                transactions = settlements.env["haoka.wallet.transaction"]._haoka_post_movements(
                    movements, one_entry=self.env._("Commission settlements credited to wallets"))
                # the movements come back in the order of ``movements``: no look-up of their source
                settlements._haoka_reconcile_bills([
                    tx.counterpart_line_id | payable
                    for tx, payable in zip(transactions, filter(None, payables), strict=True)])
            settlements.state = "paid"

    def _haoka_reconcile_bills(self, pairs):
        """Reconcile each ``(wallet line | bill payable)`` of ``pairs`` in one ``_reconcile_plan``. When every
        line is in the company's currency (no exchange difference can arise), the plan runs without Odoo's
        invoice synchronisation (``skip_invoice_sync``, as Odoo's own payments and cash-basis entries do):
        reconciling changes no invoice line, tax or payment term, and the synchronisation would compute a
        thousand bills' terms and taxes before and after for nothing (half of the run's reconciliation)."""
        Line = self.env["account.move.line"]
        lines = Line.union(*pairs)
        if all(line.currency_id == line.company_currency_id for line in lines):
            Line = Line.with_context(skip_invoice_sync=True)
        Line._reconcile_plan(pairs)

    def _haoka_open_payable(self):
        """The bill's payable lines still open (none once the bill is paid)."""
        return self.move_id.line_ids.filtered(lambda line: line.account_type == "liability_payable"
                                              and not line.reconciled)

    def _haoka_credit_movement(self, payable, wallet_type):
        """The movement of ``wallet_type`` (佣金余额) paying ``payable``, the open payable of this settlement's
        bill."""
        bill = self.move_id
        return {
            "partner": self.distributor_id,
            "wallet_type": wallet_type,
            "amount": -sum(payable.mapped("amount_residual")),  # owed to the distributor: > 0 for a bill
            "kind": "commission_credit", "counterpart_account": payable.account_id[:1],
            "key": f"settlement:{self.id}", "source": self,
            "ref": self.env._("Settlement %(name)s (%(bill)s)", name=self.name, bill=bill.name),
        }

    def _lock_lines(self):
        """Lock the settlements and their lines until the transaction ends, and read their state again:
        a refund or another confirmation running at the same time waits, or this one fails and is retried."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute("SELECT id FROM haoka_commission_settlement WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                   [self.ids])
        cr.execute("SELECT id FROM haoka_commission_line WHERE settlement_id = ANY(%s) ORDER BY id FOR UPDATE",
                   [self.ids])
        lines = self.env["haoka.commission.line"].browse(row[0] for row in cr.fetchall())
        self.invalidate_recordset(["state", "line_ids"])
        lines.invalidate_recordset(["state", "settlement_id", "amount"])

    def _drop_lines(self, lines):
        """Take ``lines`` (no longer payable) out of this draft settlement, name them in the chatter, and
        cancel the settlement when nothing is left to pay."""
        self.ensure_one()
        if not lines:
            return
        states = dict(lines._fields["state"]._description_selection(self.env))
        lines.write({"settlement_id": False})
        self.message_post(body=self.env._(
            "Removed from the settlement, no longer payable: %(lines)s.",
            lines="; ".join("%s (%s, %s)" % (line.display_name, self.currency_id.format(line.amount),
                                             states.get(line.state)) for line in lines),
        ))
        if not self.line_ids:
            self.state = "cancelled"
            self.message_post(body=self.env._("Nothing is left to pay: the settlement is cancelled."))

    def _add_clawbacks(self):
        """Net in the clawbacks (partial refunds) of this settlement's own lines that no settlement holds yet."""
        self.ensure_one()
        if self.state != "draft":
            return
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT id FROM haoka_commission_line
                WHERE clawback_of_id = ANY(%s) AND state = 'eligible' AND settlement_id IS NULL
                ORDER BY id FOR UPDATE SKIP LOCKED""", [self.line_ids.ids])
        clawbacks = self.env["haoka.commission.line"].browse(row[0] for row in self.env.cr.fetchall())
        clawbacks.invalidate_recordset(["state", "settlement_id"])
        clawbacks.filtered(lambda line: line.state == "eligible" and not line.settlement_id).write(
            {"settlement_id": self.id})

    def _bill_vals(self):
        self.ensure_one()
        product = self.env.ref("haoka_distribution.product_commission")
        sign = 1 if self.total >= 0 else -1
        return {
            "move_type": "in_invoice" if self.total >= 0 else "in_refund",
            "partner_id": self.distributor_id.id,
            "company_id": self.company_id.id,
            "invoice_date": fields.Date.context_today(self),
            "ref": self.name,
            "invoice_origin": self.name,
            "invoice_line_ids": [
                fields.Command.create({
                    "product_id": product.id,
                    "name": name,
                    "quantity": quantity,
                    "price_unit": sign * price,
                    "tax_ids": [fields.Command.clear()],
                    "haoka_plan_id": plan.product_tmpl_id.id,
                })
                for name, quantity, price, plan in self._bill_lines()
            ],
        }

    def _bill_lines(self):
        """``(label, quantity, unit price, plan)`` of the bill: the commissions by plan, trigger, tier and amount
        per card (or rate), as cards × amount per card; each clawback group on its own negative line. A
        group whose amount is not a whole number of cards times a price is one line of its amount."""
        self.ensure_one()
        groups = defaultdict(list)  # ids, not ``|=`` of records: a union copies the whole set each time
        for line in self.line_ids:
            unit = line.rate if line.rate else line.fixed_amount
            cause = line.reason_cause or line._clawback_cause() if line.clawback_of_id else False
            groups[(line.product_id, bool(line.clawback_of_id), cause, line.trigger, line.tier, bool(line.rate),
                    unit)].append(line.id)
        rows = []
        for (plan, clawback, cause, trigger, tier, percent, unit), line_ids in sorted(
            groups.items(), key=lambda item: (item[0][0].display_name or "", item[0][1], item[0][3], item[0][4])
        ):
            lines = self.line_ids.browse(line_ids)
            amount = sum(lines.mapped("amount"))
            if self.currency_id.is_zero(amount):
                continue
            cards = abs(sum(lines.mapped("quantity")))
            price = self.currency_id.round(amount / cards) if cards else amount
            if not cards or self.currency_id.compare_amounts(price * cards, amount):
                cards, price = 1, amount
            rows.append((self._bill_line_label(lines, plan, clawback, cause, trigger, tier, percent, unit),
                         cards, price, plan))
        return rows

    def _bill_line_label(self, lines, plan, clawback, cause, trigger, tier, percent, unit):
        _ = self.env._
        Line = self.env["haoka.commission.line"]
        period = self.date_to.strftime("%Y-%m")
        if clawback:
            causes = dict(Line._fields["reason_cause"]._description_selection(self.env))
            head = _("Clawback %(period)s (%(cause)s)", period=period, cause=causes[cause]) if cause else \
                _("Clawback %(period)s", period=period)
        else:
            head = _("Commission %(period)s", period=period)
        parts = [plan.display_name, dict(Line._fields["trigger"]._description_selection(self.env))[trigger]]
        if tier:
            parts.append(_("tier %(tier)s", tier=tier))
        if percent:
            base = abs(sum(lines.mapped("base_amount")))
            parts.append(_("%(rate)s %% of %(base)s", rate="%g" % unit, base=self.currency_id.format(base)))
        else:
            parts.append(_("%(price)s per card", price=self.currency_id.format(unit)))
        return _("%(head)s: %(detail)s", head=head, detail=", ".join(parts))

    def action_mark_paid(self):
        for settlement in self:
            if settlement.move_id.payment_state in ("paid", "in_payment", "reversed"):
                settlement.state = "paid"
        return True

    def action_cancel(self):
        """Cancel a settlement whose bill is not paid: its lines become eligible again."""
        self._check_finance()
        for settlement in self:
            if settlement.state == "paid" or settlement.move_id.payment_state in ("paid", "in_payment"):
                raise UserError(self.env._("Settlement %(name)s is paid: it cannot be cancelled.",
                                           name=settlement.name))
            if settlement.move_id:
                settlement.move_id.sudo().button_draft()
                settlement.move_id.sudo().button_cancel()
            settlement.line_ids.filtered(lambda line: line.state == "settled")._set_state("eligible", "ready")
            settlement.line_ids.write({"settlement_id": False})
            settlement.state = "cancelled"
        return True
