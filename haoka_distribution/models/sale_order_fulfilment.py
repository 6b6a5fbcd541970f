from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import sim, texts


class SaleOrder(models.Model):
    """发货 and 签收: what a packer sees of an order, shipping its cards with a courier, the receipt
    confirmed by hand or after N days, and the order activated once the carrier reports every card active."""

    _inherit = "sale.order"

    @api.depends("partner_shipping_id", "haoka_holder_phone", "order_line.haoka_lot_ids", "order_line.product_id")
    def _compute_haoka_packing(self):
        """What a packer needs to see of an order: where it goes, whom the courier calls, what is in it. The cards
        of all the orders are read at once (a list page, e.g. the portal's 我的订单, shows many orders)."""
        self.order_line.haoka_lot_ids.mapped("msisdn")
        for order in self:
            recipient = order.partner_shipping_id
            order.haoka_recipient_phone = next(iter(order._haoka_recipient_phones()), False)
            order.haoka_shipping_address = ", ".join(filter(None, [
                recipient.state_id.name, recipient.city, recipient.street, recipient.street2, recipient.zip,
            ])) or False
            order.haoka_card_numbers = order._haoka_card_numbers_text() or False
            order.haoka_plan_names = ", ".join(order._haoka_sim_lines().product_id.mapped("display_name")) or False

    def _haoka_card_numbers_text(self, limit=10):
        """The first ``limit`` numbers of the order's cards (their ICCID when they have none), then how many
        more there are."""
        self.ensure_one()
        cards = self._haoka_sim_lines().haoka_lot_ids
        text = ", ".join(cards[:limit].mapped(lambda c: c.msisdn or c.name))
        return text + (" (+%d)" % (len(cards) - limit) if len(cards) > limit else "")

    def _haoka_recipient_phones(self):
        """The recipient's phone numbers, normalised, the one to call first: the delivery address's mobile
        and phone, then the holder's phone."""
        self.ensure_one()
        phones = []
        for value in (self.partner_shipping_id.mobile, self.partner_shipping_id.phone, self.haoka_holder_phone):
            phone = sim.normalize_msisdn(value) if value else False
            if phone and phone not in phones:
                phones.append(phone)
        return phones

    # ------------------------------------------------------------------ 发货

    def _haoka_ship(self, courier, tracking_ref):
        """发货: validate the delivery with exactly the order's cards and record the courier."""
        self.ensure_one()
        _ = self.env._
        self._haoka_check_shippable(tracking_ref)
        cards = self._haoka_sim_lines().haoka_lot_ids
        picking = self._haoka_delivery_of(cards)
        picking.move_ids.picked = True
        picking.write({"haoka_courier_id": courier.id, "haoka_tracking_ref": tracking_ref})
        self.env["haoka.stock.bulk"]._deliver(
            picking, _("The delivery %(picking)s could not be validated.", picking=picking.name)
        )
        cards.sudo().with_context(tracking_disable=True).write({"card_state": "shipped"})
        self.write({
            "haoka_fulfilment_state": "shipped",
            "haoka_courier_id": courier.id,
            "haoka_tracking_ref": tracking_ref,
            "haoka_shipped_date": fields.Datetime.now(),
        })
        self.message_post(body=_("Shipped %(count)s card(s) with %(courier)s, tracking number %(ref)s.",
                                 count=len(cards), courier=courier.name, ref=tracking_ref))
        self._haoka_commission_event("shipped")
        return picking

    def _haoka_check_shippable(self, tracking_ref):
        """Refuse to ship an order not waiting for it, without a tracking number, or whose holder's real-name
        identity has not passed the checks."""
        _ = self.env._
        if self.haoka_fulfilment_state != "to_ship":
            raise UserError(_("Order %(order)s is not waiting to be shipped.", order=self.name))
        if not tracking_ref:
            raise UserError(_("Order %(order)s: the tracking number is missing.", order=self.name))
        if self.haoka_compliance_state != "passed" or not self.haoka_holder_name or not self.sudo().haoka_id_hash:
            raise UserError(_(
                "Order %(order)s cannot be shipped: the card holder's real-name identity has not passed the checks.",
                order=self.name,
            ))

    def _haoka_delivery_of(self, cards):
        """The order's single open delivery, its SIM moves reserving exactly ``cards`` (each line's chosen
        cards are set on its first move when the reservation differs)."""
        _ = self.env._
        picking = self.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
        )
        if len(picking) != 1:
            raise UserError(_("Order %(order)s has no single delivery waiting to be shipped.", order=self.name))
        sim_moves = picking.move_ids.filtered(lambda m: m.product_id.is_sim_card)
        if sim_moves.lot_ids != cards:
            for line, moves in sim_moves.grouped("sale_line_id").items():
                moves[0].lot_ids = line.haoka_lot_ids
        if sim_moves.move_line_ids.lot_id != cards or any(ml.quantity != 1 for ml in sim_moves.move_line_ids):
            raise UserError(_(
                "The delivery %(picking)s does not hold exactly the order's cards: check the reservation.",
                picking=picking.name,
            ))
        return picking

    def action_haoka_ship(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Ship"),
            "res_model": "haoka.ship.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": "sale.order", "active_ids": self.ids},
        }

    # ------------------------------------------------------------------ 签收, 激活

    def action_haoka_confirm_receipt(self):
        """确认收货: the customer has the cards."""
        for order in self:
            if order.haoka_fulfilment_state != "shipped":
                raise UserError(self.env._("Order %(order)s has not been shipped.", order=order.name))
        for order in self:
            cards = order._haoka_sim_lines().haoka_lot_ids.filtered(lambda c: c.card_state == "shipped")
            cards.sudo().with_context(tracking_disable=True).write({"card_state": "delivered"})
            order.write({"haoka_fulfilment_state": "received", "haoka_received_date": fields.Datetime.now()})
            order.message_post(body=self.env._("Receipt confirmed for %(count)s card(s).", count=len(cards)))
            order._haoka_commission_event("received")
        return True

    @api.model
    def _cron_haoka_auto_receipt(self):
        """Orders shipped N days ago (a setting of the order's company, default 7) are taken as received."""
        if texts.lacks_lang(self):
            return texts.in_readers_lang(self)._cron_haoka_auto_receipt()
        received = 0
        for company in self.env["res.company"].sudo().search([]):
            limit = fields.Datetime.now() - timedelta(days=company.haoka_auto_receipt_days)
            orders = self.search([("company_id", "=", company.id), ("haoka_fulfilment_state", "=", "shipped"),
                                  ("haoka_shipped_date", "<=", limit)])
            orders.action_haoka_confirm_receipt()
            received += len(orders)
        return received

    def _haoka_update_activation_state(self):
        """已激活: every SIM card of a shipped or received order has been activated. One write and one batch of
        notes for all the orders (an activation report may activate thousands at once)."""
        notes = {}
        orders = self.filtered(lambda o: o.haoka_fulfilment_state in ("shipped", "received"))
        orders.order_line.mapped("haoka_lot_ids.haoka_activated_date")  # read for all the orders at once
        for order in orders:
            cards = order._haoka_sim_lines().haoka_lot_ids
            if cards and all(card.haoka_activated_date for card in cards):
                notes[order.id] = self.env._("The carrier reports all %(count)s card(s) activated.", count=len(cards))
        activated = self.browse(list(notes))
        logged, initial = activated._haoka_tracking_snapshot()
        (activated - logged).write({"haoka_fulfilment_state": "activated"})
        logged.with_context(tracking_disable=True).write({"haoka_fulfilment_state": "activated"})
        activated._haoka_message_log_bulk(notes)
        logged._haoka_log_tracking(initial)  # after the note, as Odoo's tracking at commit
