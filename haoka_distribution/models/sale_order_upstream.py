"""Orders of plans fulfilled by an upstream (上游代发): pushed to the upstream's order API at confirmation.

The push is signed with the source's scheme, idempotent by our order reference (the upstream answers a repeated
submission with the order it already has), retried with back-off on network errors and server errors, and its
outcome kept on the order: the upstream's order id, or the reason it refused the order (e.g. 一证五户 at the
carrier, address not served), which is final and shown on the order."""

import logging
import time
from datetime import timedelta

import requests

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import sim, upstream_signature

_logger = logging.getLogger(__name__)

MAX_PUSH_ATTEMPTS = 6


class SaleOrder(models.Model):
    _inherit = "sale.order"

    haoka_upstream_id = fields.Many2one("haoka.upstream", string="Fulfilling Upstream", copy=False, readonly=True,
                                        index="btree_not_null")
    haoka_upstream_state = fields.Selection(
        [("to_push", "To Push"), ("pushed", "Accepted by Upstream"), ("rejected", "Rejected by Upstream"),
         ("failed", "Push Failed")],
        string="Upstream Order", copy=False, readonly=True, tracking=True, index="btree_not_null")
    haoka_upstream_order_ref = fields.Char(string="Upstream Order Id", copy=False, readonly=True)
    haoka_upstream_error = fields.Char(string="Upstream Answer", copy=False, readonly=True)
    haoka_upstream_attempts = fields.Integer(string="Push Attempts", copy=False, readonly=True)
    haoka_upstream_next_push = fields.Datetime(string="Next Push", copy=False, readonly=True)

    def action_confirm(self):
        result = super().action_confirm()
        for order in self:
            upstream = order.order_line._haoka_upstream_lines()[:1].product_id.product_tmpl_id.haoka_upstream_id
            if upstream:
                order.write({"haoka_upstream_id": upstream.id, "haoka_upstream_state": "to_push",
                             "haoka_upstream_next_push": fields.Datetime.now()})
        if self.filtered("haoka_upstream_id"):
            self.env.ref("haoka_distribution.ir_cron_haoka_upstream_push").sudo()._trigger()
        return result

    def _action_cancel(self):
        """A cancelled quotation gives its upstream numbers back (a confirmed order's hold became the order)."""
        quotations = self.filtered(lambda o: o.state in ("draft", "sent"))
        result = super()._action_cancel()
        quotations.order_line._haoka_upstream_release()
        return result

    @api.model
    def _cron_haoka_release_holds(self):
        result = super()._cron_haoka_release_holds()
        self._haoka_release_expired_upstream_holds()
        return result

    @api.model
    def _haoka_release_expired_upstream_holds(self):
        """Numbers held upstream past their hold time are released and leave the quotation."""
        lines = self.env["sale.order.line"].sudo().search([
            ("haoka_upstream_hold_until", "<", fields.Datetime.now()),
            ("order_id.state", "in", ("draft", "sent"))])
        for line in lines:
            number = line.haoka_upstream_number
            line._haoka_upstream_release(clear=True)
            line.order_id.message_post(body=self.env._(
                "Hold expired: number %(number)s went back to %(upstream)s.", number=number,
                upstream=line.product_id.product_tmpl_id.haoka_upstream_id.name))
        return len(lines)

    @api.model
    def _cron_haoka_upstream_push(self, limit=50):
        """Push the orders due to their upstream, one savepoint each."""
        orders = self.sudo().search([("haoka_upstream_state", "=", "to_push"),
                                     ("haoka_upstream_next_push", "<=", fields.Datetime.now())], limit=limit)
        for order in orders:
            with self.env.cr.savepoint():
                order._haoka_push_upstream()
        return len(orders)

    def _haoka_push_upstream(self):
        """One push of this order; the outcome is written on the order."""
        self.ensure_one()
        _ = self.env._
        try:
            response = self._haoka_upstream_post()
        except requests.RequestException as error:
            return self._haoka_upstream_retry(_("The upstream did not answer: %(error)s", error=type(error).__name__))
        if response.status_code >= 500 or response.status_code == 429:
            return self._haoka_upstream_retry(_("The upstream answered HTTP %(status)s.", status=response.status_code))
        try:
            answer = response.json()
        except ValueError:
            return self._haoka_upstream_retry(_("The upstream's answer is not JSON (HTTP %(status)s).",
                                                status=response.status_code))
        if response.ok and str(answer.get("code")) in ("0", "success", "200") and answer.get("order_id"):
            self.write({"haoka_upstream_state": "pushed", "haoka_upstream_order_ref": str(answer["order_id"]),
                        "haoka_upstream_error": False, "haoka_upstream_next_push": False})
            self.message_post(body=_("Accepted by %(upstream)s as order %(ref)s.", upstream=self.haoka_upstream_id.name,
                                     ref=answer["order_id"]))
            return True
        reason = answer.get("msg") or answer.get("message") or _("HTTP %(status)s", status=response.status_code)
        self.write({"haoka_upstream_state": "rejected", "haoka_upstream_error": reason,
                    "haoka_upstream_next_push": False})
        message = _("%(upstream)s rejected the order: %(reason)s", upstream=self.haoka_upstream_id.name, reason=reason)
        self.message_post(body=message)
        self.activity_schedule("mail.mail_activity_data_todo", summary=_("Rejected by the upstream"), note=message,
                               user_id=(self.user_id or self.env.user).id)
        return False

    def _haoka_upstream_retry(self, reason):
        attempts = self.haoka_upstream_attempts + 1
        final = attempts >= MAX_PUSH_ATTEMPTS
        self.write({
            "haoka_upstream_attempts": attempts, "haoka_upstream_error": reason,
            "haoka_upstream_state": "failed" if final else "to_push",
            "haoka_upstream_next_push": False if final else fields.Datetime.now() + timedelta(
                minutes=upstream_signature.backoff_minutes(attempts)),
        })
        if final:
            self.haoka_upstream_id._raise_activity(self.env._("Orders could not be pushed"))
        return False

    def action_haoka_push_upstream(self):
        """Push again now (after a failure)."""
        self.filtered(lambda o: o.haoka_upstream_state in ("to_push", "failed")).write(
            {"haoka_upstream_state": "to_push", "haoka_upstream_next_push": fields.Datetime.now()})
        for order in self.filtered(lambda o: o.haoka_upstream_state == "to_push"):
            order._haoka_push_upstream()
        return True

    def _haoka_upstream_payload(self):
        """What the upstream needs to open the card: plan, chosen number, holder identity, delivery address."""
        line = self.order_line._haoka_upstream_lines()[:1]
        shipping = self.partner_shipping_id or self.partner_id
        return {
            "order_ref": self.name,
            "plan": line.product_id.default_code or line.product_id.name,
            "quantity": int(sum(self.order_line._haoka_upstream_lines().mapped("product_uom_qty"))),
            "number": line.haoka_upstream_number or "",
            "hold_id": line.haoka_upstream_hold_ref or "",
            "holder_name": self.haoka_holder_name or "",
            "id_number": self._haoka_clear_id() or "",
            "phone": self.haoka_holder_phone or shipping.phone or shipping.mobile or "",
            "province": shipping.state_id.name or "",
            "city": shipping.city or "",
            "address": ", ".join(filter(None, [shipping.street, shipping.street2])),
            "timestamp": str(int(time.time())),
        }

    def _haoka_upstream_post(self):
        source = self.haoka_upstream_id.sudo()
        body, headers = source._signed_request(self._haoka_upstream_payload())
        headers["Idempotency-Key"] = self.name
        return requests.post(source.api_url.rstrip("/") + "/order", data=body, headers=headers,
                             timeout=source.api_timeout or 10)

    def _haoka_card_numbers_text(self, limit=10):
        """Before the upstream ships, an order of its plans shows the numbers chosen in its pool."""
        return super()._haoka_card_numbers_text(limit=limit) or ", ".join(
            self.order_line._haoka_upstream_lines().filtered("haoka_upstream_number").mapped(
                "haoka_upstream_number")[:limit])

    # ------------------------------------------------------------------ what the upstream reports back

    @api.model
    def _haoka_upstream_courier(self, name):
        """The courier an upstream names by code (SF) or name (顺丰速运); an empty record when unknown."""
        name = str(name or "").strip()
        if not name:
            return self.env["haoka.courier"]
        Courier = self.env["haoka.courier"].sudo()
        return Courier.search([("code", "=ilike", name)], limit=1) or Courier.search([("name", "=ilike", name)],
                                                                                    limit=1)

    @api.model
    def _haoka_find_upstream_order(self, reference):
        """The confirmed order an upstream names by our reference, the customer's or the upstream's order id."""
        reference = (reference or "").strip()
        if not reference:
            return self.browse()
        return self.sudo().search([("state", "=", "sale"), "|", "|", ("name", "=", reference),
                                   ("client_order_ref", "=", reference), ("haoka_upstream_order_ref", "=", reference)],
                                  limit=1)

    def _haoka_upstream_card_shipped(self, iccid, number=None, tracking=None, courier=None):
        """The upstream shipped card ``iccid`` (number ``number``) of this order: the card is recorded on the first
        upstream line still missing one, shipped; once every line has its cards the order is shipped and its
        shipping commissions are reached. A card already recorded changes nothing."""
        self.ensure_one()
        _ = self.env._
        iccid = sim.normalize_iccid(iccid)
        order = self.sudo()
        lines = order.order_line._haoka_upstream_lines()
        known = lines.haoka_lot_ids.filtered(lambda c: c.name == iccid)
        if known:
            return known
        line = lines.filtered(lambda l: len(l.haoka_lot_ids) < int(l.product_uom_qty))[:1]
        if not line:
            raise UserError(_("Order %(order)s already has all its cards; the upstream shipped %(iccid)s too.",
                              order=order.name, iccid=iccid))
        card = self.env["stock.lot"].sudo().create({
            "name": iccid, "product_id": line.product_id.id, "company_id": order.company_id.id,
            "msisdn": sim.normalize_msisdn(str(number)) if number else False, "card_state": "shipped",
        })
        line.with_context(haoka_no_hold=True).haoka_lot_ids |= card
        if all(len(l.haoka_lot_ids) >= int(l.product_uom_qty) for l in lines) and \
                order.haoka_fulfilment_state == "to_ship":
            order.write({"haoka_fulfilment_state": "shipped", "haoka_shipped_date": fields.Datetime.now(),
                         "haoka_tracking_ref": tracking and str(tracking) or False,
                         "haoka_courier_id": self._haoka_upstream_courier(courier).id})
            order.message_post(body=_("%(upstream)s shipped the card(s), tracking number %(ref)s.",
                                      upstream=order.haoka_upstream_id.name, ref=tracking or "-"))
            order._haoka_commission_event("shipped")
        return card
