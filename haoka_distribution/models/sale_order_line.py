from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.groups import USER_GROUP

# the cards (stock.lot) are read by SIM staff and Inventory users; printed documents show the numbers
CARD_READERS = f"{USER_GROUP},stock.group_stock_user"


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    haoka_is_sim = fields.Boolean(related="product_id.is_sim_card", string="Is a SIM Line")
    haoka_lot_ids = fields.Many2many(
        "stock.lot", "sale_order_line_haoka_lot_rel", "line_id", "lot_id",
        string="Chosen Cards", copy=False, groups=CARD_READERS,
        domain="[('product_id', '=', product_id), ('is_sim_card', '=', True), "
        "'|', ('card_state', '=', 'available'), ('haoka_hold_line_id', '=', id)]",
        help="选号: the exact cards this line sells. Cards are held for the customer while the quotation is "
        "open; lines without chosen cards get cards at confirmation, earliest expiry first.",
    )
    haoka_premium_source_id = fields.Many2one(
        "sale.order.line", string="Premium of Line", copy=False, index="btree_not_null", ondelete="cascade",
        help="The SIM line whose number-grade premium this line charges.",
    )
    haoka_premium_lot_id = fields.Many2one(
        "stock.lot", string="Premium Number", copy=False, help="The premium number this line charges for.",
        groups=CARD_READERS,
    )
    haoka_grade_conditions = fields.Char(
        string="Number Grade Conditions", compute="_compute_haoka_grade_conditions", compute_sudo=True,
        help="Minimum monthly spend, prepayment and contract months the chosen premium numbers require.",
    )

    @api.depends("haoka_lot_ids")
    def _compute_haoka_grade_conditions(self):
        for line in self:
            parts = []
            for card in line.haoka_lot_ids.filtered("grade_id"):
                grade = card.grade_id
                parts.append(self.env._(
                    "%(number)s (%(grade)s): minimum spend %(spend)s/month, prepayment %(prepay)s, "
                    "%(months)s months",
                    number=card.msisdn, grade=grade.name, spend=grade.min_monthly_spend,
                    prepay=grade.prepayment, months=grade.contract_months,
                ))
            line.haoka_grade_conditions = "; ".join(parts) or False

    @api.onchange("haoka_lot_ids")
    def _onchange_haoka_lot_ids(self):
        if self.haoka_lot_ids and len(self.haoka_lot_ids) > self.product_uom_qty:
            self.product_uom_qty = len(self.haoka_lot_ids)

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        chosen = lines.filtered("haoka_lot_ids")
        if chosen and not self.env.context.get("haoka_no_hold"):
            chosen._haoka_hold_cards(self.env["stock.lot"])
        return lines

    def write(self, vals):
        before = {line.id: line.haoka_lot_ids for line in self} if "haoka_lot_ids" in vals else None
        result = super().write(vals)
        if before is not None and not self.env.context.get("haoka_no_hold"):
            for line in self:
                line._haoka_hold_cards(before[line.id])
        return result

    def unlink(self):
        self._haoka_release_cards(self.haoka_lot_ids)
        return super().unlink()

    # ------------------------------------------------------------------ holds (预占)

    def _haoka_hold_cards(self, previous):
        """Hold the newly chosen cards for this quotation line; release the ones taken off."""
        for line in self:
            if line.order_id.state not in ("draft", "sent"):
                continue
            released = previous - line.haoka_lot_ids
            line._haoka_release_cards(released)
            added = line.haoka_lot_ids - previous
            if added:
                cards = line._haoka_lock_cards(added)
                taken = cards.filtered(
                    lambda card, line=line: card.card_state != "available" and card.haoka_hold_line_id != line
                )
                if taken:
                    raise UserError(self.env._(
                        "Number %(numbers)s is no longer available.",
                        numbers=", ".join(taken.mapped(lambda c: c.msisdn or c.name)),
                    ))
                hold = timedelta(minutes=line.order_id.company_id.haoka_hold_minutes)
                cards.sudo().with_context(tracking_disable=True).write({
                    "card_state": "reserved",
                    "haoka_hold_line_id": line.id,
                    "haoka_hold_until": fields.Datetime.now() + hold,
                })
        self._haoka_sync_premium_lines()

    def _haoka_release_cards(self, cards):
        held = cards.filtered(lambda card: card.card_state == "reserved" and card.haoka_hold_line_id in self)
        held.sudo().with_context(tracking_disable=True).write(
            {"card_state": "available", "haoka_hold_line_id": False, "haoka_hold_until": False}
        )

    def _haoka_lock_cards(self, cards):
        """Lock the card rows for this transaction. A card locked or changed by another order at the
        same moment gives an error that names its number (one card is never sold twice).

        The lock is ``FOR NO KEY UPDATE`` (what an UPDATE of the card takes): a line's link to a card
        takes a KEY SHARE lock on the card through its foreign key, which ``FOR UPDATE`` would conflict
        with, so that two quotations linking the same card at once would both skip it."""
        if not cards:
            return cards
        self.env.flush_all()
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    "SELECT id FROM stock_lot WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE SKIP LOCKED",
                    (cards.ids,),
                )
                locked = {row[0] for row in cr.fetchall()}
        except psycopg2.errors.SerializationFailure:
            locked = set()
        busy = cards.filtered(lambda card: card.id not in locked)
        if busy:
            raise UserError(self.env._(
                "Number %(numbers)s is being sold by another order right now.",
                numbers=", ".join(busy.mapped(lambda c: c.msisdn or c.name)),
            ))
        cards.invalidate_recordset(["card_state", "haoka_hold_line_id"])
        return cards

    # ------------------------------------------------------------------ number premium (靓号费)

    def _haoka_sync_premium_lines(self):
        """A grade's price premium is its own order line (one per premium number) right after the SIM
        line, not hidden in the plan's unit price; a refund reverses exactly the premium it charged."""
        product = self.env.ref("haoka_distribution.product_number_premium", raise_if_not_found=False)
        if not product:
            return
        SaleLine = self.env["sale.order.line"].with_context(haoka_no_hold=True)
        for line in self.filtered(lambda ln: ln.haoka_is_sim and ln.order_id.state in ("draft", "sent")):
            premium_cards = line.haoka_lot_ids.filtered(lambda c: c.grade_id.price_premium)
            existing = SaleLine.search([("haoka_premium_source_id", "=", line.id)])
            existing.filtered(lambda pl, cards=premium_cards: pl.haoka_premium_lot_id not in cards).unlink()
            by_card = {pl.haoka_premium_lot_id: pl for pl in existing.exists()}
            new_lines = []
            for card in premium_cards:
                vals = {
                    "product_id": product.id,
                    "product_uom_qty": 1,
                    "price_unit": card.grade_id.price_premium,
                    "name": self.env._("Number premium: %(number)s (%(grade)s)", number=card.msisdn,
                                       grade=card.grade_id.name),
                    "sequence": line.sequence,
                }
                if card in by_card:
                    by_card[card].write(vals)
                else:
                    new_lines.append(dict(vals, order_id=line.order_id.id, haoka_premium_source_id=line.id,
                                          haoka_premium_lot_id=card.id))
            SaleLine.create(new_lines)  # in one call: a quotation may choose hundreds of premium numbers

    # ------------------------------------------------------------------ confirmation

    def _haoka_lock_and_assign_cards(self):
        """At confirmation: lock the chosen cards (sold to nobody else meanwhile), give lines without
        enough chosen cards the available cards that expire first, and mark every card sold."""
        Lot = self.env["stock.lot"]
        for line in self:
            cards = line._haoka_lock_cards(line.haoka_lot_ids)
            taken = cards.filtered(
                lambda c, line=line: c.card_state not in ("available", "reserved")
                or (c.card_state == "reserved" and c.haoka_hold_line_id != line)
            )
            if taken:
                raise UserError(self.env._(
                    "Number %(numbers)s is no longer available (order %(order)s).",
                    numbers=", ".join(taken.mapped(lambda c: c.msisdn or c.name)), order=line.order_id.name,
                ))
            missing = int(line.product_uom_qty) - len(cards)
            if missing < 0:
                raise UserError(self.env._(
                    "Line %(line)s chooses %(cards)s cards for a quantity of %(qty)s.",
                    line=line.name, cards=len(cards), qty=line.product_uom_qty,
                ))
            if missing:
                cards |= line._haoka_pick_available_cards(missing)
            line.with_context(haoka_no_hold=True).haoka_lot_ids = cards
            cards.sudo().with_context(tracking_disable=True).write(
                {"card_state": "sold", "haoka_hold_line_id": False, "haoka_hold_until": False}
            )
        return Lot

    def _haoka_pick_available_cards(self, count):
        """``count`` available cards of the line's plan in its warehouse, earliest expiry first, locked
        (cards locked by a concurrent confirmation are skipped)."""
        self.ensure_one()
        self.env.flush_all()
        warehouse = self.order_id.warehouse_id
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    """
                    SELECT l.id FROM stock_lot l
                     WHERE l.product_id = %s AND l.is_sim_card AND l.card_state = 'available'
                       AND (l.expiration_date IS NULL OR l.expiration_date > now() AT TIME ZONE 'UTC')
                       AND EXISTS (SELECT 1 FROM stock_quant q JOIN stock_location loc ON loc.id = q.location_id
                                    WHERE q.lot_id = l.id AND q.quantity = 1 AND q.reserved_quantity = 0
                                      AND loc.usage = 'internal' AND loc.parent_path LIKE %s)
                  ORDER BY l.expiration_date NULLS LAST, l.id
                     LIMIT %s FOR NO KEY UPDATE OF l SKIP LOCKED
                    """,
                    (self.product_id.id, (warehouse.view_location_id.parent_path or "") + "%", count),
                )
                ids = [row[0] for row in cr.fetchall()]
        except psycopg2.errors.SerializationFailure:
            ids = []
        if len(ids) < count:
            raise UserError(self.env._(
                "Plan %(plan)s has only %(available)s card(s) available in %(warehouse)s; the order needs %(count)s.",
                plan=self.product_id.display_name, available=len(ids), warehouse=warehouse.name, count=count,
            ))
        return self.env["stock.lot"].browse(ids)

    def _haoka_reserve_on_delivery(self):
        """Reserve exactly the line's cards on its delivery (Odoo's ``lot_ids`` on the move)."""
        for line in self:
            moves = line.move_ids.filtered(
                lambda m: m.state not in ("done", "cancel") and m.location_id.usage == "internal"
            )
            if moves and line.haoka_lot_ids and moves[0].lot_ids != line.haoka_lot_ids:
                moves[0].lot_ids = line.haoka_lot_ids
