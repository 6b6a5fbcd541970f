"""The order of SIM cards: its fields, the holder's identity, confirmation and cancellation. The other
concerns of sale.order live next to it, as Odoo splits its large models: sale_order_compliance.py (合规检查),
sale_order_fulfilment.py (发货, 签收, 激活), sale_order_refund.py (退款); the commissions are computed by
the commission model (haoka_commission_line.py), the order keeping thin hooks."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import idcard, sim, texts
from ..tools.groups import COMMISSION_GROUPS, MANAGER_GROUP, USER_GROUP
from .haoka_secret_mixin import Secret


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "haoka.secret.mixin"]
    _haoka_secrets = {
        "haoka_id_number": Secret(
            cipher="haoka_id_cipher", hash="haoka_id_hash", normalize=idcard.normalize_id, mask=idcard.mask_id,
        ),  # validated with the rest of the real-name data by the compliance check
    }

    haoka_has_sim = fields.Boolean(compute="_compute_haoka_has_sim", string="Has SIM Lines")
    haoka_holder_name = fields.Char(string="Card Holder", tracking=True, copy=False)
    haoka_id_type = fields.Selection(idcard.ID_TYPES, string="ID Type", default="resident", copy=False)
    haoka_id_number = fields.Char(
        string="ID Number", compute="_compute_haoka_secret_masks", inverse="_inverse_haoka_id_number",
        search="_search_haoka_id_number",
        help="Stored encrypted; shown masked to everyone but SIM managers, whose reveals are logged.",
    )
    haoka_id_cipher = fields.Char(groups=MANAGER_GROUP, copy=False, string="Encrypted ID Number")
    haoka_id_hash = fields.Char(groups=MANAGER_GROUP, copy=False, index="btree_not_null", string="ID Number Hash")
    haoka_holder_birthdate = fields.Date(
        string="Holder Birth Date", copy=False,
        help="Needed for the plan's age limits when the ID is not a resident identity card.",
    )
    haoka_holder_phone = fields.Char(string="Holder Phone", copy=False)
    haoka_fulfilment_state = fields.Selection(
        [
            ("to_ship", "To Ship"),
            ("shipped", "Shipped"),
            ("received", "Received"),
            ("activated", "Activated"),
            ("partially_refunded", "Partially Refunded"),
            ("refunded", "Refunded"),
            ("cancelled", "Cancelled"),
        ],
        string="Fulfilment", copy=False, index=True, tracking=True, readonly=True,
        help="Where the SIM cards of the order are: 待发货, 已发货, 已签收, 已激活, 已退款, 已取消.",
    )
    haoka_courier_id = fields.Many2one("haoka.courier", string="Courier", copy=False, readonly=True)
    haoka_tracking_ref = fields.Char(string="Tracking Number", copy=False, readonly=True, index="btree_not_null")
    haoka_shipped_date = fields.Datetime(string="Shipped On", copy=False, readonly=True)
    haoka_received_date = fields.Datetime(string="Received On", copy=False, readonly=True)
    haoka_refunded_count = fields.Integer(string="Refunded Cards", copy=False, readonly=True)
    haoka_distributor_id = fields.Many2one(
        "res.partner", string="Distributor", domain=[("haoka_is_distributor", "=", True)],
        compute="_compute_haoka_distributor_id", store=True, readonly=False, tracking=True, index="btree_not_null",
        help="The distributor who sold this order; by default the customer's referring distributor.",
    )
    haoka_recipient_phone = fields.Char(
        string="Recipient Phone", compute="_compute_haoka_packing", compute_sudo=True,
        help="The phone the courier calls: the delivery address's mobile or phone, else the holder's phone.",
    )
    haoka_shipping_address = fields.Char(string="Recipient Address", compute="_compute_haoka_packing",
                                         compute_sudo=True)
    haoka_card_numbers = fields.Char(string="Numbers", compute="_compute_haoka_packing", compute_sudo=True,
                                     help="The phone numbers of the order's SIM cards.")
    haoka_plan_names = fields.Char(string="Plans", compute="_compute_haoka_packing", compute_sudo=True)
    haoka_chain_ids = fields.One2many("haoka.order.chain", "order_id", string="Distributor Chain", readonly=True,
                                      groups=USER_GROUP)
    haoka_commission_line_ids = fields.One2many("haoka.commission.line", "order_id", string="Commissions",
                                                groups=COMMISSION_GROUPS)
    haoka_compliance_state = fields.Selection(
        [("not_checked", "Not Checked"), ("passed", "Passed"), ("failed", "Failed")],
        string="Compliance", default="not_checked", copy=False, tracking=True, readonly=True,
    )

    @api.depends("partner_id")
    def _compute_haoka_distributor_id(self):
        for order in self:
            if not order.haoka_distributor_id and order.state in ("draft", "sent"):
                order.haoka_distributor_id = order.partner_id.commercial_partner_id.haoka_referrer_id

    @api.depends("order_line.product_id")
    def _compute_haoka_has_sim(self):
        for order in self:
            order.haoka_has_sim = any(order.order_line.mapped("product_id.is_sim_card"))

    def _haoka_sim_lines(self):
        return self.order_line.filtered(lambda line: line.product_id.is_sim_card and not line.display_type)

    # ------------------------------------------------------------------ identity (实名)

    def _inverse_haoka_id_number(self):
        self._haoka_write_secret("haoka_id_number")

    def _search_haoka_id_number(self, operator, value):
        return self._haoka_search_secret("haoka_id_number", operator, value)

    def _haoka_secret_changed(self, name):
        super()._haoka_secret_changed(name)
        if name == "haoka_id_number":  # a new holder ID: the checks made with the old one no longer hold
            self.sudo().haoka_compliance_state = "not_checked"

    def write(self, vals):
        if vals.get("haoka_holder_phone"):
            vals = dict(vals, haoka_holder_phone=sim.normalize_msisdn(vals["haoka_holder_phone"]))
        return super().write(vals)

    def _haoka_clear_id(self):
        """The holder's clear ID number, for the server's own checks (never shown: see the reveal action)."""
        self.ensure_one()
        return self.sudo()._haoka_read_secrets(["haoka_id_number"])[self.id]["haoka_id_number"] or False

    def action_confirm(self):
        """Orders with SIM cards pass the compliance checks and get their cards before Odoo confirms them;
        then the delivery reserves those cards, the distributor chain is stored and the commissions computed."""
        sim_lines = self._haoka_sim_lines()
        if sim_lines:
            self._haoka_check_compliance()
            sim_lines._haoka_lock_and_assign_cards()
        result = super().action_confirm()
        if sim_lines:
            sim_lines._haoka_reserve_on_delivery()
            sim_lines.order_id.write({"haoka_fulfilment_state": "to_ship"})
            sim_lines.order_id._haoka_snapshot_chain()
            sim_lines.order_id._haoka_compute_commissions()
            sim_lines.order_id._haoka_commission_event("confirmed")
        return result

    # ------------------------------------------------------------------ distribution (分销)

    def _haoka_snapshot_chain(self):
        """Store who was the distributor's upline at each tier when the order was confirmed."""
        for order in self.filtered(lambda o: o.haoka_distributor_id and not o.haoka_chain_ids):
            self.env["haoka.order.chain"].sudo().create([
                {"order_id": order.id, "tier": tier, "distributor_id": partner.id,
                 "level": partner.haoka_distributor_level}
                for tier, partner in enumerate(order.haoka_distributor_id._haoka_chain())
            ])

    def _haoka_compute_commissions(self):
        """Hook: the commission model computes the commissions of the orders' SIM lines (idempotent)."""
        return self.env["haoka.commission.line"]._compute_for_orders(self)

    def _haoka_commission_event(self, trigger):
        """Hook: the orders reached ``trigger``; so did their commissions of that trigger."""
        self.env["haoka.commission.line"]._reach_for_orders(self, trigger)

    def action_haoka_simulate_commissions(self):
        self.ensure_one()
        simulation = self.env["haoka.commission.simulation"].create({"order_id": self.id})
        return simulation.action_simulate()

    def _action_cancel(self):
        cards = self._haoka_sim_lines().haoka_lot_ids.filtered(lambda c: c.card_state in ("reserved", "sold"))
        shipped = self.filtered(lambda o: o.haoka_fulfilment_state not in (False, "to_ship", "cancelled"))
        if shipped:
            raise UserError(self.env._(
                "Order %(order)s has shipped its SIM cards: refund it instead of cancelling it.",
                order=shipped[0].name,
            ))
        result = super()._action_cancel()
        cards.sudo().with_context(tracking_disable=True).write(
            {"card_state": "available", "haoka_hold_line_id": False, "haoka_hold_until": False}
        )
        self.filtered("haoka_fulfilment_state").write({"haoka_fulfilment_state": "cancelled"})
        self.sudo().haoka_commission_line_ids._reverse("order_cancelled")
        return result

    @api.model
    def _cron_haoka_release_holds(self):
        """Cards held on quotations past their hold time go back on sale and leave the quotation."""
        if texts.lacks_lang(self):  # the notes in the language of the company's users, not English
            return texts.in_readers_lang(self)._cron_haoka_release_holds()
        Lot = self.env["stock.lot"].sudo()
        expired = Lot.search([
            ("card_state", "=", "reserved"), ("haoka_hold_until", "<", fields.Datetime.now()),
            ("haoka_hold_line_id.order_id.state", "in", ("draft", "sent")),
        ])
        for line, cards in expired.grouped("haoka_hold_line_id").items():
            line.with_context(haoka_no_hold=True).haoka_lot_ids -= cards
            line.order_id.message_post(body=self.env._(
                "Hold expired: number(s) %(numbers)s went back on sale.",
                numbers=", ".join(cards.mapped(lambda c: c.msisdn or c.name)),
            ))
            line._haoka_sync_premium_lines()
        expired.with_context(tracking_disable=True).write(
            {"card_state": "available", "haoka_hold_line_id": False, "haoka_hold_until": False}
        )
        return len(expired)
