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
    def _haoka_row(self, partner, wallet_type):
        """The wallet row of ``partner`` (a commercial partner) and ``wallet_type``, made when missing
        (``ON CONFLICT DO NOTHING``: two first movements at once make one row)."""
        cr = self.env.cr
        self.env.flush_all()
        cr.execute(SQL(
            """INSERT INTO haoka_wallet (partner_id, wallet_type_id, company_id, lock_count, create_uid, write_uid,
                                         create_date, write_date)
               VALUES (%s, %s, %s, 0, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')
               ON CONFLICT (partner_id, wallet_type_id) DO NOTHING""",
            partner.id, wallet_type.id, wallet_type.company_id.id, self.env.uid, self.env.uid))
        cr.execute("SELECT id FROM haoka_wallet WHERE partner_id = %s AND wallet_type_id = %s",
                   (partner.id, wallet_type.id))
        return self.browse(cr.fetchone()[0])

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
