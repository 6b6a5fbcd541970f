from odoo import api, fields, models
from odoo.tools import SQL, create_index

from ..tools.groups import FINANCE_GROUP


class HaokaWallet(models.Model):
    """One row per distributor, wallet type (and so company): the row locked around every read-check-write
    of a balance, and the wallet as finance and the distributor see it. The money itself is in the
    general ledger: the balance is read from the posted journal items, never stored here."""

    _name = "haoka.wallet"
    _description = "Distributor Wallet"
    _order = "partner_id, wallet_type_id"
    _rec_names_search = ["partner_id"]

    partner_id = fields.Many2one("res.partner", string="Distributor", required=True, readonly=True,
                                 index=True, ondelete="restrict")
    wallet_type_id = fields.Many2one("haoka.wallet.type", required=True, readonly=True, ondelete="restrict")
    company_id = fields.Many2one(related="wallet_type_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="wallet_type_id.company_id.currency_id")
    balance = fields.Monetary(compute="_compute_amounts", help="On the wallet account (holds already taken out).")
    held = fields.Monetary(compute="_compute_amounts", help="Withdrawals in progress (提现中).")
    available = fields.Monetary(compute="_compute_amounts", help="What may be spent or withdrawn now.")
    lock_count = fields.Integer(readonly=True, default=0, copy=False,
                                help="Bumped by every lock of the row (see _haoka_lock).")
    transaction_ids = fields.One2many("haoka.wallet.transaction", compute="_compute_transaction_ids",
                                      string="Movements")

    _sql_constraints = [
        ("partner_type_uniq", "unique (partner_id, wallet_type_id)", "A distributor has one wallet of each type."),
    ]

    def init(self):
        super().init()
        # the balance of a distributor (100,000 movements and more) read from the index alone
        create_index(self.env.cr, "haoka_wallet_aml_balance_idx", "account_move_line",
                     ["partner_id", "account_id", "company_id", "balance"], where="parent_state = 'posted'")

    @api.model
    def _haoka_ledger_sums(self, partner_ids, account_ids, company_ids):
        """``{(partner id, account id, company id): -sum of the posted journal items}`` of these partners on
        these accounts: the one query of a wallet's balance (read from ``haoka_wallet_aml_balance_idx`` alone,
        an index-only scan). Missing keys are zero."""
        self.env["account.move.line"].flush_model(["balance", "account_id", "partner_id", "company_id",
                                                   "parent_state"])
        self.env.cr.execute(
            """SELECT partner_id, account_id, company_id, -SUM(balance) FROM account_move_line
                WHERE partner_id = ANY(%s) AND account_id = ANY(%s) AND company_id = ANY(%s)
                  AND parent_state = 'posted'
                GROUP BY partner_id, account_id, company_id""",
            (list(partner_ids), list(account_ids), list(company_ids)))
        return {row[:3]: row[3] for row in self.env.cr.fetchall()}

    @api.model
    def _haoka_ledger_sum(self, partner_id, account_id, company_id):
        """:meth:`_haoka_ledger_sums` of one partner and account, in the query shape the planner reads by an
        index-only scan without parallel workers (a grouped ``= ANY`` query over 100,000 items is planned
        parallel, slower)."""
        self.env["account.move.line"].flush_model(["balance", "account_id", "partner_id", "company_id",
                                                   "parent_state"])
        self.env.cr.execute(
            """SELECT COALESCE(-SUM(balance), 0) FROM account_move_line
                WHERE partner_id = %s AND account_id = %s AND company_id = %s AND parent_state = 'posted'""",
            (partner_id, account_id, company_id))
        return self.env.cr.fetchone()[0]

    @api.model
    def _haoka_held_sum(self, partner, wallet_type, hold_account):
        """-sum of the posted items of ``partner`` on ``hold_account`` (提现中) in the entries of
        ``wallet_type``'s movements: its withdrawals in flight."""
        self.env["account.move.line"].flush_model(["balance", "account_id", "partner_id", "parent_state"])
        self.env["haoka.wallet.transaction"].flush_model(["move_id", "wallet_type_id"])
        self.env.cr.execute(
            """SELECT COALESCE(-SUM(l.balance), 0) FROM account_move_line l
                WHERE l.partner_id = %s AND l.account_id = %s AND l.company_id = %s AND l.parent_state = 'posted'
                  AND EXISTS (SELECT 1 FROM haoka_wallet_transaction t
                               WHERE t.move_id = l.move_id AND t.wallet_type_id = %s)""",
            (partner.id, hold_account.id, wallet_type.company_id.id, wallet_type.id))
        return self.env.cr.fetchone()[0]

    def _compute_display_name(self):
        for wallet in self:
            wallet.display_name = f"{wallet.partner_id.display_name} · {wallet.wallet_type_id.name}"

    def _compute_amounts(self):
        for wallet in self:
            amounts = wallet.partner_id.sudo()._haoka_wallet_balance(wallet.wallet_type_id)
            wallet.balance, wallet.held, wallet.available = amounts["balance"], amounts["held"], amounts["available"]

    def _compute_transaction_ids(self):
        Transaction = self.env["haoka.wallet.transaction"]
        for wallet in self:
            wallet.transaction_ids = Transaction.search([("partner_id", "=", wallet.partner_id.id),
                                                         ("wallet_type_id", "=", wallet.wallet_type_id.id)])

    @api.model
    def _haoka_rows(self, pairs):
        """The wallet rows of ``pairs`` ((commercial partner, wallet type)), made when missing in one statement
        (``ON CONFLICT DO NOTHING``: two first movements at once make one row)."""
        pairs = sorted({(partner.id, wallet_type.id, wallet_type.company_id.id) for partner, wallet_type in pairs})
        if not pairs:
            return self.browse()
        cr = self.env.cr
        self.env.flush_all()
        partner_ids, type_ids, company_ids = (list(column) for column in zip(*pairs, strict=True))
        cr.execute(SQL(
            """INSERT INTO haoka_wallet (partner_id, wallet_type_id, company_id, lock_count, create_uid, write_uid,
                                         create_date, write_date)
               SELECT p, t, c, 0, %(uid)s, %(uid)s, now() at time zone 'UTC', now() at time zone 'UTC'
                 FROM unnest(%(partners)s::int[], %(types)s::int[], %(companies)s::int[]) AS pair(p, t, c)
               ON CONFLICT (partner_id, wallet_type_id) DO NOTHING""",
            uid=self.env.uid, partners=partner_ids, types=type_ids, companies=company_ids))
        cr.execute("""SELECT w.id FROM haoka_wallet w
                        JOIN unnest(%s::int[], %s::int[]) AS pair(p, t) ON w.partner_id = p AND w.wallet_type_id = t
                       ORDER BY w.id""", (partner_ids, type_ids))
        return self.browse(row[0] for row in cr.fetchall())

    @api.model
    def _haoka_row(self, partner, wallet_type):
        """The wallet row of ``partner`` (a commercial partner) and ``wallet_type``, made when missing."""
        return self._haoka_rows({(partner, wallet_type)})

    def _haoka_lock(self):
        """Lock the row until the transaction ends, by updating it: a concurrent transaction that locked it
        first and committed makes this one fail with a serialization error (retried by Odoo with a fresh
        snapshot), so a balance read after the lock always includes every movement committed before."""
        self.env.cr.execute("UPDATE haoka_wallet SET lock_count = lock_count + 1 WHERE id = ANY(%s)",
                            [sorted(self.ids)])

    def action_open_transactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("haoka_distribution.action_haoka_wallet_transaction")
        action["domain"] = [("partner_id", "=", self.partner_id.id), ("wallet_type_id", "=", self.wallet_type_id.id)]
        action["context"] = {"default_partner_id": self.partner_id.id,
                             "default_wallet_type_id": self.wallet_type_id.id}
        return action

    @api.model
    def _haoka_is_finance(self):
        return self.env.su or self.env.user.has_group(FINANCE_GROUP)
