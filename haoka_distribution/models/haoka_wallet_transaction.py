from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.groups import FINANCE_GROUP

KINDS = [
    ("topup", "Top-up"),
    ("commission_credit", "Commission Credit"),
    ("order_payment", "Order Payment"),
    ("order_refund", "Order Refund"),
    ("withdrawal_hold", "Withdrawal Hold"),
    ("withdrawal_release", "Withdrawal Release"),
    ("withdrawal_paid", "Withdrawal Paid"),
    ("withdrawal_fee", "Withdrawal Fee"),
    ("tax_withheld", "Tax Withheld"),
    ("adjustment", "Adjustment"),
]
#: kinds whose debit may take a balance below zero: a clawback (negative commission credit)
NEGATIVE_ALLOWED_KINDS = {"commission_credit"}


class HaokaWalletTransaction(models.Model):
    """A movement of a distributor's balance, in business words, and the journal entry that makes it: the
    entry carries a line on the wallet type's account for the distributor (credit when ``amount`` > 0) and
    its counterpart. Posted once per ``idempotency_key``."""

    _name = "haoka.wallet.transaction"
    _description = "Distributor Wallet Movement"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    kind = fields.Selection(KINDS, required=True, default="adjustment", tracking=True)
    amount = fields.Monetary(required=True, tracking=True,
                             help="Signed: positive credits the distributor's wallet, negative debits it.")
    partner_id = fields.Many2one("res.partner", string="Distributor", required=True, index=True, tracking=True,
                                 domain=[("haoka_is_distributor", "=", True)])
    wallet_type_id = fields.Many2one("haoka.wallet.type", required=True, index=True, tracking=True,
                                     check_company=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection([("draft", "Draft"), ("posted", "Posted"), ("cancelled", "Cancelled")],
                             default="draft", required=True, readonly=True, index=True, tracking=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    source_ref = fields.Reference(selection="_selection_source_models", string="Source Document", readonly=True)
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True, index="btree_not_null",
                              copy=False)
    idempotency_key = fields.Char(readonly=True, copy=False,
                                  help="The same key never posts twice in a company (a retried request, a "
                                  "repeated provider notification).")
    reason = fields.Text(tracking=True)
    counterpart_account_id = fields.Many2one("account.account", check_company=True,
                                             help="The other side of the entry (adjustments).")
    counterpart_line_id = fields.Many2one("account.move.line", readonly=True, copy=False,
                                          string="Counterpart Journal Item")
    balance_after = fields.Monetary(readonly=True, copy=False, string="Balance After",
                                    help="The wallet's balance right after this movement (running balance).")

    _sql_constraints = [
        ("key_company_uniq", "unique (company_id, idempotency_key)",
         "A wallet movement with this idempotency key already exists in this company."),
    ]

    @api.model
    def _selection_source_models(self):
        models_ = ["sale.order", "account.move", "account.payment", "payment.transaction",
                   "haoka.commission.settlement", "haoka.withdrawal"]
        return [(model, self.env[model]._description) for model in models_ if model in self.env]

    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for tx in self:
            tx.display_name = f"{kinds.get(tx.kind)} {tx.currency_id.format(tx.amount) if tx.currency_id else ''}"

    # ------------------------------------------------------------------ the API

    @api.model
    def _haoka_post_movement(self, partner, wallet_type, amount, kind, counterpart_account, *, key, source=None,
                             ref=None, partner_for_counterpart=None, reason=None, wallet_account=None):
        """Post a movement of ``amount`` (positive credits) on ``partner``'s ``wallet_type`` against
        ``counterpart_account``, once per ``key`` in the company: the same key returns the movement already
        posted. The wallet is locked first; a debit that would take the balance below zero raises a
        UserError, unless ``kind`` may (a clawback). ``wallet_account`` replaces the wallet's account on
        the wallet side (the withdrawal hold account when a held withdrawal is paid out)."""
        return self._haoka_post_movements([{
            "partner": partner, "wallet_type": wallet_type, "amount": amount, "kind": kind,
            "counterpart_account": counterpart_account, "key": key, "source": source, "ref": ref,
            "partner_for_counterpart": partner_for_counterpart, "reason": reason, "wallet_account": wallet_account,
        }])

    @api.model
    def _haoka_post_movements(self, movements, one_entry=None):
        """:meth:`_haoka_post_movement` for many movements at once (a monthly settlement's thousand credits):
        one lock statement, one balance query, one create of the entries, one post, one create of the
        movements. ``movements``: dicts of its arguments (``partner``, ``wallet_type``, ``amount``, ``kind``,
        ``counterpart_account``, ``key``, optional ``source``, ``ref``, ``partner_for_counterpart``, ``reason``,
        ``wallet_account``). All or nothing; returns the movements (posted now or before) in order.
        ``one_entry`` (a label): the movements of a company in one journal entry of that label (same
        journal), two lines each — the fast path of a settlement run."""
        for movement in movements:
            movement["partner"] = movement["partner"].commercial_partner_id
        pairs = {(m["partner"], m["wallet_type"]) for m in movements}
        self.env["haoka.wallet"].sudo()._haoka_rows(pairs)._haoka_lock()
        done = self._haoka_by_keys(movements)
        balances = self._haoka_balances(pairs)
        todo, seen = [], set()
        for movement in movements:
            ident = (movement["wallet_type"].company_id.id, movement["key"])
            if ident in done or ident in seen:
                continue
            seen.add(ident)
            self._haoka_check_movement(movement, balances)
            todo.append(movement)
        if todo:
            entries = self._haoka_create_entries([self._haoka_move_vals(**m) for m in todo], one_entry)
            created = self.sudo().with_context(mail_create_nolog=True, mail_create_nosubscribe=True).create([
                self._haoka_movement_vals(movement, move, counterpart_line)
                for movement, (move, counterpart_line) in zip(todo, entries, strict=True)])
            self._haoka_set_sources(created, todo)
            done.update(((tx.company_id.id, tx.idempotency_key), tx) for tx in created)
        result = self.browse([done[(m["wallet_type"].company_id.id, m["key"])].id for m in movements])
        return result.with_env(self.env)

    @api.model
    def _haoka_create_entries(self, entries, one_entry=None):
        """Create and post the journal entries ``entries`` (values of :meth:`_haoka_move_vals`), each company's
        in that company's environment (a multi-company user may be working in another one); with
        ``one_entry`` (a label) one entry per company holding the lines of all. Returns, for each entry given,
        ``(journal entry, counterpart line)``."""
        by_company = {}
        for index, vals in enumerate(entries):
            by_company.setdefault(vals["company_id"], []).append(index)
        result = [None] * len(entries)
        for company_id, indexes in by_company.items():
            batch = [entries[index] for index in indexes]
            self._haoka_skip_analytic_models(batch, company_id)
            if one_entry:
                batch = [dict(batch[0], ref=one_entry, line_ids=[line for vals in batch for line in vals["line_ids"]])]
            moves = self.env["account.move"].sudo().with_company(company_id).create(batch)
            with self.env["res.partner"]._haoka_ranks_in_bulk():
                moves.with_context(haoka_defer_ranks=True).action_post()
            lines = moves.line_ids.sorted("id")  # two per entry given (wallet, counterpart), in their order
            for position, index in enumerate(indexes):
                result[index] = (lines[2 * position].move_id, lines[2 * position + 1])
        return result

    @api.model
    def _haoka_skip_analytic_models(self, entries, company_id):
        """Give the lines of ``entries`` no analytic distribution when the company has no analytic distribution
        model: Odoo would look one up for each line (a query per line) and find none."""
        Model = self.env["account.analytic.distribution.model"].sudo()
        if Model.search_count([("company_id", "in", [company_id, False])], limit=1):
            return
        for vals in entries:
            for command in vals["line_ids"]:
                command[2].setdefault("analytic_distribution", False)

    @api.model
    def _haoka_set_sources(self, transactions, movements):
        """Set the source documents of ``transactions`` (those of ``movements``, in order) in one statement:
        the ORM would check that each "model,id" exists by a query of its own (a settlement run's thousand);
        the sources are the documents being processed."""
        pairs = [(tx.id, f"{movement['source']._name},{movement['source'].id}")
                 for tx, movement in zip(transactions, movements, strict=True) if movement.get("source")]
        if not pairs:
            return
        transactions.flush_recordset()
        self.env.cr.execute(
            """UPDATE haoka_wallet_transaction t SET source_ref = v.ref
                 FROM unnest(%s::int[], %s::varchar[]) AS v(id, ref) WHERE t.id = v.id""",
            ([tx_id for tx_id, _ref in pairs], [ref for _tx_id, ref in pairs]))
        transactions.invalidate_recordset(["source_ref"])

    @api.model
    def _haoka_by_key(self, key, company):
        return self.sudo().search([("company_id", "=", company.id), ("idempotency_key", "=", key)], limit=1)

    @api.model
    def _haoka_by_keys(self, movements):
        """The movements already posted for these movements' keys, by (company id, key)."""
        keys = [m["key"] for m in movements]
        found = self.sudo().search([("idempotency_key", "in", keys),
                                    ("company_id", "in", list({m["wallet_type"].company_id.id for m in movements}))])
        return {(tx.company_id.id, tx.idempotency_key): tx for tx in found}

    @api.model
    def _haoka_balances(self, pairs):
        """{(partner, wallet type): balance} of ``pairs`` in one query (under their locks)."""
        types = {wallet_type for _partner, wallet_type in pairs}
        sums = self.env["haoka.wallet"]._haoka_ledger_sums({p.id for p, _t in pairs}, {t.account_id.id for t in types},
                                                         {t.company_id.id for t in types})
        return {(partner, wallet_type): sums.get((partner.id, wallet_type.account_id.id, wallet_type.company_id.id),
                                                 0.0)
                for partner, wallet_type in pairs}

    @api.model
    def _haoka_check_movement(self, movement, balances):
        """Check an amount and the funds of a debit; ``movement["before"]`` is the balance before it
        (``balances`` follows the movements of the batch)."""
        wallet_type, partner, amount = movement["wallet_type"], movement["partner"], movement["amount"]
        currency = wallet_type.company_id.currency_id
        if currency.is_zero(amount):
            raise UserError(self.env._("A wallet movement needs an amount (%(tx)s).", tx=movement["key"]))
        before = balances[partner, wallet_type]
        movement["before"] = before
        wallet_account = movement.get("wallet_account")
        if wallet_account and wallet_account != wallet_type.account_id:
            return  # not on the wallet account (a held withdrawal paid out)
        if amount < 0 and movement["kind"] not in NEGATIVE_ALLOWED_KINDS and \
                currency.compare_amounts(before + amount, 0) < 0:
            raise UserError(self.env._(
                "%(partner)s's %(wallet)s is %(balance)s: %(amount)s cannot be taken from it.",
                partner=partner.display_name, wallet=wallet_type.name, balance=currency.format(before),
                amount=currency.format(-amount)))
        balances[partner, wallet_type] = currency.round(before + amount)

    @api.model
    def _haoka_movement_vals(self, movement, move, counterpart_line):
        wallet_type = movement["wallet_type"]
        on_wallet = not movement.get("wallet_account") or movement["wallet_account"] == wallet_type.account_id
        return {
            "kind": movement["kind"], "amount": movement["amount"], "partner_id": movement["partner"].id,
            "wallet_type_id": wallet_type.id, "company_id": wallet_type.company_id.id,
            "idempotency_key": movement["key"], "reason": movement.get("reason") or movement.get("ref"),
            "counterpart_account_id": movement["counterpart_account"].id, "move_id": move.id, "state": "posted",
            "counterpart_line_id": counterpart_line.id,
            "date": move.date,
            "balance_after": movement["before"] + (movement["amount"] if on_wallet else 0.0),
        }

    def _haoka_post_entry(self):
        """Post this draft movement (an adjustment entered by finance) and its journal entry."""
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("Wallet movement %(tx)s is not a draft.", tx=self.display_name))
        if not self.counterpart_account_id:
            raise UserError(self.env._("Wallet movement %(tx)s has no counterpart account.", tx=self.display_name))
        movement = {"partner": self.partner_id.commercial_partner_id, "wallet_type": self.wallet_type_id,
                    "amount": self.amount, "kind": self.kind, "counterpart_account": self.counterpart_account_id,
                    "key": self.idempotency_key, "date": self.date}
        pair = (movement["partner"], movement["wallet_type"])
        self.env["haoka.wallet"].sudo()._haoka_rows({pair})._haoka_lock()
        self._haoka_check_movement(movement, self._haoka_balances({pair}))
        move = self.env["account.move"].sudo().create(self._haoka_move_vals(**movement))
        move.action_post()
        self.sudo().write({"move_id": move.id, "state": "posted", "balance_after": movement["before"] + self.amount,
                           "counterpart_line_id": move.line_ids.sorted("id")[1].id})
        return move

    @api.model
    def _haoka_move_vals(self, partner, wallet_type, amount, kind, counterpart_account, key, ref=None,
                         partner_for_counterpart=None, wallet_account=None, date=None, **_ignored):
        if ref:
            label = ref
        else:
            kinds = dict(self._fields["kind"]._description_selection(self.env))
            label = f"{wallet_type.name}: {kinds[kind]}"
        company = wallet_type.company_id
        return {
            "move_type": "entry",
            "journal_id": wallet_type.journal_id.id,
            "company_id": company.id,
            "date": date or fields.Date.context_today(self),
            "ref": label,
            "line_ids": [
                fields.Command.create(self._haoka_line_vals(wallet_account or wallet_type.account_id, partner,
                                                            label, -amount, company)),
                fields.Command.create(self._haoka_line_vals(counterpart_account, partner_for_counterpart or partner,
                                                            label, amount, company)),
            ],
        }

    @api.model
    def _haoka_line_vals(self, account, partner, label, balance, company):
        """A journal item of a wallet entry (in the company's currency, no product): when its account has no
        default taxes, with the values Odoo would compute for it (display type, currency and amount, taxes,
        quantity and totals, residual), so that a run's thousand-line entry computes none of them line by line
        (``test_bulk_credit_writes_what_odoos_standard_path_writes`` compares every stored column with Odoo's
        own computation)."""
        vals = {"account_id": account.id, "partner_id": partner.id, "name": label,
                "debit": max(balance, 0.0), "credit": max(-balance, 0.0)}
        if account.tax_ids:
            return vals  # Odoo computes the taxes and totals it would
        balance = company.currency_id.round(balance)
        residual = balance if account.reconcile or account.account_type in ("asset_cash", "liability_credit_card") \
            else 0.0
        return dict(vals, display_type="product", currency_id=company.currency_id.id, amount_currency=balance,
                    tax_ids=[fields.Command.set([])], quantity=1.0, price_subtotal=balance, price_total=balance,
                    amount_residual=residual, amount_residual_currency=residual, reconciled=False)

    def _haoka_counterpart_line(self):
        """The entry's line on the counterpart account (to reconcile with the document it settles)."""
        self.ensure_one()
        return self.counterpart_line_id

    # ------------------------------------------------------------------ adjustments by finance

    def action_post(self):
        """Post draft adjustments: 号卡财务 only, with a reason."""
        if not (self.env.su or self.env.user.has_group(FINANCE_GROUP)):
            raise AccessError(self.env._("Only SIM finance (号卡财务) adjusts wallet balances."))
        for tx in self:
            if not (tx.reason or "").strip():
                raise UserError(self.env._("An adjustment needs a reason (%(tx)s).", tx=tx.display_name))
            if not tx.idempotency_key:
                tx.sudo().idempotency_key = f"adjustment:{tx.id}"
            tx._haoka_post_entry()
        return True

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and not self.env.user.has_group(FINANCE_GROUP):
            raise AccessError(self.env._("Only SIM finance (号卡财务) records wallet movements."))
        for vals in vals_list:
            if not self.env.su and vals.get("kind", "adjustment") != "adjustment":
                raise UserError(self.env._("Only adjustments are recorded by hand; other movements come from "
                                           "their documents."))
        return super().create(vals_list)

    def write(self, vals):
        posted_fields = set(vals) - {"reason", "balance_after", "state", "move_id", "idempotency_key",
                                     "counterpart_line_id"}
        if posted_fields and any(tx.state != "draft" for tx in self):
            raise UserError(self.env._("A posted wallet movement cannot be changed: post an adjustment instead."))
        return super().write(vals)

    def unlink(self):
        if any(tx.state == "posted" for tx in self):
            raise UserError(self.env._("A posted wallet movement cannot be deleted: post an adjustment instead."))
        return super().unlink()

    # ------------------------------------------------------------------ daily check

    @api.model
    def _cron_haoka_wallet_check(self):
        """Daily: journal items on wallet accounts that no movement explains (posted by hand), and movements
        whose entry is no longer posted, reported to 号卡财务 as an activity on the wallet type."""
        by_journal = {}
        for wallet_type in self.env["haoka.wallet.type"].sudo().search([]):
            by_journal.setdefault(wallet_type.journal_id, []).extend(self._haoka_check_wallet_type(wallet_type))
        for journal, problems in by_journal.items():
            self._haoka_report_problems(journal, problems)

    @api.model
    def _haoka_report_problems(self, journal, problems):
        """An activity on the wallet journal for each 号卡财务 user of its company, listing ``problems``; the
        open report of the previous check is replaced (none when nothing is wrong)."""
        activity_type = self.env.ref("haoka_distribution.mail_activity_type_wallet_check")
        journal.activity_ids.filtered(lambda a: a.activity_type_id == activity_type).unlink()
        if not problems:
            return
        summary = self.env._("Wallet check: %(count)s problem(s)", count=len(problems))
        users = self.env.ref(FINANCE_GROUP).users.filtered(
            lambda user: journal.company_id in user.company_ids and not user.share)
        for user in users:
            journal.activity_schedule(activity_type_id=activity_type.id, summary=summary, user_id=user.id,
                                      note=Markup("<br/>").join(problems))

    @api.model
    def _haoka_check_wallet_type(self, wallet_type):
        """Human-readable problems of ``wallet_type`` (at most 20 of each kind)."""
        self.env.flush_all()
        cr = self.env.cr
        accounts = [wallet_type.account_id.id]
        hold_account = wallet_type.company_id.haoka_withdrawal_hold_account_id
        first_of_company = wallet_type == self.env["haoka.wallet.type"].sudo().search(
            [("company_id", "=", wallet_type.company_id.id)], limit=1)
        if hold_account and first_of_company:  # the company's 提现中 account, checked once
            accounts.append(hold_account.id)
        cr.execute("""
            SELECT DISTINCT l.move_id FROM account_move_line l
             WHERE l.account_id = ANY(%s) AND l.company_id = %s AND l.parent_state = 'posted'
               AND NOT EXISTS (SELECT 1 FROM haoka_wallet_transaction t
                                WHERE t.move_id = l.move_id AND t.state = 'posted')
             ORDER BY l.move_id LIMIT 20""", (accounts, wallet_type.company_id.id))
        unexplained = self.env["account.move"].browse(row[0] for row in cr.fetchall())
        cr.execute("""
            SELECT t.id FROM haoka_wallet_transaction t JOIN account_move m ON m.id = t.move_id
             WHERE t.wallet_type_id = %s AND t.state = 'posted' AND m.state != 'posted'
             ORDER BY t.id LIMIT 20""", (wallet_type.id,))
        unposted = self.browse(row[0] for row in cr.fetchall())
        _ = self.env._
        return [_("Journal entry %(move)s is on the wallet account but no wallet movement explains it.",
                  move=move.name) for move in unexplained] + \
               [_("The journal entry %(move)s of wallet movement %(tx)s (%(partner)s) is no longer posted.",
                  move=tx.move_id.name, tx=tx.display_name, partner=tx.partner_id.display_name) for tx in unposted]
