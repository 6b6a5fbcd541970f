from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class StockLot(models.Model):
    """What carriers report about sold cards: activation (激活), first top-up (首充), closure (销户); the
    orders and commissions of the cards follow."""

    _inherit = "stock.lot"

    def _haoka_record_carrier_event(self, event, date=None, amount=0.0):
        """The carrier reports that these sold cards were activated, topped up for the first time, or
        closed. The cards keep the first report of each kind; their orders and commissions follow."""
        _ = self.env._
        date = fields.Date.to_date(date) or fields.Date.context_today(self)
        if date > fields.Date.context_today(self):
            raise UserError(_("The date %(date)s of the carrier report is in the future.", date=date))
        not_sold = self.filtered(lambda c: not c.is_sim_card or c.card_state not in ("shipped", "delivered",
                                                                                      "activated"))
        if not_sold:
            raise UserError(_(
                "Carrier reports are for SIM cards that have been shipped to a customer: %(cards)s is %(state)s.",
                cards=not_sold[0].display_name,
                state=dict(not_sold[0]._fields["card_state"]._description_selection(self.env)).get(
                    not_sold[0].card_state, _("not a SIM card")),
            ))
        if event == "first_topup" and amount <= 0:
            raise UserError(_("A first top-up needs its amount."))
        cards = self.sudo().with_context(tracking_disable=len(self) > 1)
        if event in ("activation", "first_topup"):
            cards.filtered(lambda c: not c.haoka_activated_date).write({"haoka_activated_date": date})
            cards.filtered(lambda c: c.card_state != "activated").write({"card_state": "activated"})
        if event == "first_topup":
            cards.filtered(lambda c: not c.haoka_first_topup_date).write(
                {"haoka_first_topup_amount": amount, "haoka_first_topup_date": date})
        elif event == "closure":
            early = cards.filtered(lambda c: c.haoka_activated_date and c.haoka_activated_date > date)
            if early:
                raise UserError(_("Card %(card)s cannot be closed on %(date)s, before its activation on %(activated)s.",
                                  card=early[0].display_name, date=date, activated=early[0].haoka_activated_date))
            cards.filtered(lambda c: not c.haoka_closed_date).write({"haoka_closed_date": date})
        sale_lines = self._haoka_sale_lines()
        sale_lines.order_id._haoka_update_activation_state()
        self.env["haoka.commission.line"].sudo().search([
            ("order_line_id", "in", sale_lines.ids), ("state", "in", ("expected", "frozen")),
        ])._evaluate_carrier_triggers()
        return True

    def _haoka_sale_lines(self):
        """The confirmed order lines these cards were sold on.

        The lines are found from the cards in the chosen-cards table first, then filtered: a report applies
        tens of thousands of cards at once, and the domain ``haoka_lot_ids in ids`` (an EXISTS per order
        line) met a plan of minutes on cards and orders committed just before, whose statistics PostgreSQL
        had not refreshed yet (make bench, 50,000 cards); looking the cards up by their own index does not
        depend on them."""
        if not self.ids:
            return self.env["sale.order.line"]
        field = self.env["sale.order.line"]._fields["haoka_lot_ids"]
        self.env["sale.order.line"].flush_model(["haoka_lot_ids"])
        self.env.cr.execute(SQL(
            "SELECT DISTINCT %s FROM %s WHERE %s = ANY(%s)",
            SQL.identifier(field.column1), SQL.identifier(field.relation), SQL.identifier(field.column2),
            list(self.ids),
        ))
        line_ids = [row[0] for row in self.env.cr.fetchall()]
        return self.env["sale.order.line"].sudo().search([("id", "in", line_ids), ("order_id.state", "=", "sale")])
