from odoo import fields, models
from odoo.exceptions import UserError

from ..tools import sim
from .haoka_upstream_event import PermanentError
from .haoka_upstream_status_map import UPSTREAM_EVENTS


class StockLot(models.Model):
    """What upstream sources report about a card: its last upstream status, a suspension, a number that differs
    from the one shipped (card swapped in delivery)."""

    _inherit = "stock.lot"

    haoka_upstream_status = fields.Selection(UPSTREAM_EVENTS, string="Upstream Status", copy=False, readonly=True)
    haoka_upstream_status_date = fields.Date(string="Upstream Status On", copy=False, readonly=True)
    haoka_suspended_date = fields.Date(string="Suspended On", copy=False, readonly=True,
                                       help="停机: the day the upstream reported the number suspended.")
    haoka_reported_msisdn = fields.Char(string="Activated Number", copy=False, readonly=True,
                                        help="The number the upstream reported at activation, when it differs.")
    haoka_swap_suspected = fields.Boolean(
        # a partial index (the flagged cards only): the rows written by an import, never flagged, pay nothing
        string="Card Swapped?", copy=False, readonly=True, index="btree_not_null",
        help="The upstream activated this card with a number other than the one shipped (换卡 in delivery).")

    def _haoka_find_upstream_cards(self, match, reference):
        """The SIM cards an upstream names by ICCID, phone number or order reference."""
        Lot = self.sudo()
        if match == "iccid":
            return Lot.search([("is_sim_card", "=", True), ("name", "=", sim.normalize_iccid(reference))])
        if match == "msisdn":
            return Lot.search([("is_sim_card", "=", True), ("msisdn", "=", sim.normalize_msisdn(reference))])
        return self.env["sale.order"]._haoka_find_upstream_order(reference)._haoka_sim_lines().haoka_lot_ids

    def _haoka_apply_upstream_event(self, event, date, amount=0.0, number=None, source=None):
        """Apply what an upstream reported to these cards, as the carrier means it when it arrives out of order:
        a top-up or an in-service report implies the activation; an activation dated before the one recorded
        (from an earlier top-up) moves it back; a closure of a card not activated yet waits for the activation
        (retried, then a dead letter)."""
        _ = self.env._
        cards = self.sudo()
        if event in ("activated", "in_service", "first_topup"):
            closed = cards.filtered(lambda c: c.haoka_closed_date and c.haoka_closed_date < date)
            if closed:
                raise PermanentError(_("Card %(card)s is reported active on %(date)s, after its closure on %(closed)s.",
                                       card=closed[0].display_name, date=date, closed=closed[0].haoka_closed_date))
            cards.filtered(lambda c: c.haoka_activated_date and c.haoka_activated_date > date).write(
                {"haoka_activated_date": date})
        if event == "activated":
            cards._haoka_check_activated_number(number, source)
        if event in ("activated", "in_service"):
            cards._haoka_record_carrier_event("activation", date)
        elif event == "first_topup":
            if amount <= 0:
                raise PermanentError(_("The first top-up of %(card)s has no amount.", card=cards[0].display_name))
            cards._haoka_record_carrier_event("first_topup", date, amount)
        elif event == "closed":
            waiting = cards.filtered(lambda c: not c.haoka_activated_date)
            if waiting:
                raise UserError(_("Card %(card)s is reported closed before any activation.",
                                    card=waiting[0].display_name))
            cards._haoka_record_carrier_event("closure", date)
        elif event == "suspended":
            cards.filtered(lambda c: not c.haoka_suspended_date).write({"haoka_suspended_date": date})
        elif event == "rejected":
            for order in cards._haoka_sale_lines().order_id:
                order.message_post(body=_("%(upstream)s rejected the card(s) of this order.",
                                          upstream=source.name if source else _("The upstream")))
        # not a tracked field: no tracking of thousands of cards prepared for nothing
        cards.with_context(tracking_disable=True).write({"haoka_upstream_status": event,
                                                         "haoka_upstream_status_date": date})
        return True

    def _haoka_check_activated_number(self, number, source):
        """Flag a card activated with a number other than the one shipped, and tell the order's salesperson."""
        reported = sim.normalize_msisdn(str(number)) if number not in (None, "") else None
        if not reported:
            return
        for card in self.filtered(lambda c: c.msisdn and sim.normalize_msisdn(c.msisdn) != reported):
            card.write({"haoka_swap_suspected": True, "haoka_reported_msisdn": reported})
            message = self.env._("Card %(card)s was shipped with number %(shipped)s but activated with %(reported)s: "
                                 "the card may have been swapped in delivery.",
                                 card=card.name, shipped=card.msisdn, reported=reported)
            for order in card._haoka_sale_lines().order_id:
                order.message_post(body=message)
                order.activity_schedule("mail.mail_activity_data_todo", summary=self.env._("Card swapped?"),
                                        note=message, user_id=(order.user_id or self.env.user).id)

