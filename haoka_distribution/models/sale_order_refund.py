from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.groups import FINANCE_GROUP, MANAGER_GROUP


class SaleOrder(models.Model):
    """退款: shipped cards come back (to stock when unused, else to quarantine) on a return of the delivery,
    their invoice lines are credited (and paid back when the invoice was paid), and their commissions
    reversed."""

    _inherit = "sale.order"

    def _haoka_refundable_cards(self):
        self.ensure_one()
        return self._haoka_sim_lines().haoka_lot_ids.filtered(lambda c: c.card_state in ("shipped", "delivered",
                                                                                         "activated"))

    def action_haoka_refund(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Refund"),
            "res_model": "haoka.refund.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": "sale.order", "active_id": self.id},
        }

    def _haoka_quarantine_location(self):
        warehouse = self.warehouse_id
        location = self.env["stock.location"].search(
            [("location_id", "=", warehouse.view_location_id.id), ("name", "=", "SIM Quarantine")], limit=1
        )
        if not location:
            location = self.env["stock.location"].sudo().create({
                "name": "SIM Quarantine", "usage": "internal", "location_id": warehouse.view_location_id.id,
                "company_id": warehouse.company_id.id,
            })
        return location

    def _haoka_refund(self, cards, reason, cards_unused=False):
        """退款: return picking for the cards, credit note for their lines, refund payment when paid."""
        self.ensure_one()
        self._haoka_check_refund(cards)
        destination = self.warehouse_id.lot_stock_id if cards_unused else self._haoka_quarantine_location()
        return_picking = self._haoka_return_cards(cards, destination)
        credit_note = self._haoka_credit_note(cards, reason)
        cards.sudo().with_context(tracking_disable=True).write(
            {"card_state": "available" if cards_unused else "returned"}
        )
        self._haoka_count_refunded(cards)
        self.env["haoka.commission.line"]._reverse_refunded_cards(self, cards)
        refunded = self.haoka_refunded_count + len(cards)
        total = len(self._haoka_sim_lines().haoka_lot_ids)
        self.write({
            "haoka_refunded_count": refunded,
            "haoka_fulfilment_state": "refunded" if refunded >= total else "partially_refunded",
        })
        self.message_post(body=self.env._(
            "Refunded %(count)s card(s) (%(numbers)s): %(reason)s. Return %(picking)s%(credit)s.",
            count=len(cards), numbers=", ".join(cards.mapped(lambda c: c.msisdn or c.name)), reason=reason,
            picking=return_picking.name, credit=(", " + credit_note.name) if credit_note else "",
        ))
        return return_picking, credit_note

    def _haoka_check_refund(self, cards):
        """Refunds move money: only SIM managers and SIM finance refund, and only cards the order shipped."""
        _ = self.env._
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP) or self.env.user.has_group(FINANCE_GROUP)):
            raise AccessError(_("Refunds move money: only SIM managers and SIM finance can refund an order."))
        refundable = self._haoka_refundable_cards()
        if not cards:
            raise UserError(_("Choose the cards to refund."))
        if cards - refundable:
            raise UserError(_("Card(s) %(cards)s cannot be refunded on order %(order)s.",
                              cards=", ".join((cards - refundable).mapped(lambda c: c.msisdn or c.name)),
                              order=self.name))

    def _haoka_count_refunded(self, cards):
        """Count the refunded cards on their SIM lines, and the premium lines of refunded numbers, so that
        they are not to be invoiced any more."""
        sim_lines = self._haoka_sim_lines()
        for line in self.order_line:
            if line in sim_lines:
                refunded = len(line.haoka_lot_ids & cards)
            elif line.haoka_premium_lot_id and line.haoka_premium_lot_id in cards:
                refunded = line.product_uom_qty
            else:
                continue
            if refunded:
                line.sudo().haoka_refunded_qty = min(line.haoka_refunded_qty + refunded, line.product_uom_qty)

    def _haoka_return_cards(self, cards, destination):
        delivery = self.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state == "done"
            and p.move_line_ids.lot_id & cards
        )[:1]
        if not delivery:
            raise UserError(self.env._("Order %(order)s has no done delivery of these cards.", order=self.name))
        wizard = self.env["stock.return.picking"].with_context(
            active_id=delivery.id, active_ids=delivery.ids, active_model="stock.picking"
        ).create({})
        for line in wizard.product_return_moves:
            line.quantity = len(line.move_id.move_line_ids.lot_id & cards)
            if "to_refund" in line._fields:
                line.to_refund = True
        picking = wizard._create_return()
        picking.write({"location_dest_id": destination.id})
        picking.move_ids.write({"location_dest_id": destination.id})
        for move in picking.move_ids:
            move.lot_ids = move.move_orig_ids.move_line_ids.lot_id & cards
            move.move_line_ids.write({"location_dest_id": destination.id})
        picking.move_ids.picked = True
        picking._haoka_validate(self.env._("The return %(picking)s could not be validated.", picking=picking.name))
        return picking

    def _haoka_credit_note(self, cards, reason):
        """A posted credit note reversing the refunded cards' lines of the customer invoice (and their
        number premium); the refund is paid back when the invoice was paid."""
        invoice = self.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted")[:1]
        if not invoice:
            return self.env["account.move"]
        credit_note = invoice._reverse_moves(
            default_values_list=[{"ref": self.env._("Refund of %(order)s: %(reason)s", order=self.name,
                                                    reason=reason),
                                  "invoice_date": fields.Date.context_today(self)}],
        )
        sim_lines = self._haoka_sim_lines()
        keep = self.env["account.move.line"]
        for line in credit_note.invoice_line_ids:
            sale_line = line.sale_line_ids[:1]
            if sale_line in sim_lines:
                count = len(sale_line.haoka_lot_ids & cards)
                if count:
                    line.quantity = count
                    keep |= line
            elif sale_line.haoka_premium_lot_id and sale_line.haoka_premium_lot_id in cards:
                keep |= line  # the premium charged for a refunded number, as invoiced
        (credit_note.invoice_line_ids - keep).unlink()
        credit_note.action_post()
        invoice._haoka_wallet_refund(credit_note)  # what the wallets paid goes back to them
        if invoice.payment_state in ("paid", "in_payment") and \
                not credit_note.company_currency_id.is_zero(credit_note.amount_residual):
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=credit_note.ids
            ).create({}).action_create_payments()
        return credit_note
