from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare

from ..tools import idcard, params, secrets, sim, texts
from ..tools.groups import COMMISSION_GROUPS, FINANCE_GROUP, MANAGER_GROUP, USER_GROUP
from .haoka_secret_mixin import Secret

COUNTED_STATES = ("sold", "shipped", "delivered", "activated")
DEFAULT_MAX_CARDS_PER_ID = 5


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

    # ------------------------------------------------------------------ compliance (合规检查)

    @api.model
    def _haoka_max_cards_per_id(self):
        return params.int_param(self.env, "haoka_distribution.max_cards_per_id", DEFAULT_MAX_CARDS_PER_ID, 1)

    def _haoka_compliance_problems(self):
        """Problems (translated sentences) that forbid shipping SIM cards on this order."""
        self.ensure_one()
        _ = self.env._
        problems = []
        lines = self._haoka_sim_lines()
        number = self._haoka_clear_id()
        id_type = self.haoka_id_type or "resident"
        birth = self.haoka_holder_birthdate
        if not self.haoka_holder_name:
            problems.append(_("The card holder's name is missing."))
        if not number:
            problems.append(_("The card holder's ID number is missing."))
        elif id_type == "resident":
            problem = idcard.resident_id_problem(number)
            reasons = {
                "length": _("the ID number must have 18 characters"),
                "chars": _("the ID number has 17 digits then a digit or X"),
                "region": _("its region code is unknown"),
                "birth_date": _("its birth date is not a real date"),
                "check_char": _("its check character is wrong"),
            }
            if problem:
                problems.append(_("ID number %(number)s is not valid: %(reason)s.",
                                  number=idcard.mask_id(number), reason=reasons[problem]))
            else:
                birth = idcard.birth_date(number)
        elif not idcard.other_id_ok(id_type, number):
            problems.append(_("ID number %(number)s is not a valid %(type)s number.", number=idcard.mask_id(number),
                              type=dict(self._fields["haoka_id_type"]._description_selection(self.env))[id_type]))
        today = fields.Date.context_today(self)
        for template in lines.product_id.product_tmpl_id:
            if not (template.haoka_min_age or template.haoka_max_age):
                continue
            if not birth:
                problems.append(_("Plan %(plan)s has age limits: the holder's birth date is needed.",
                                  plan=template.name))
                continue
            age = idcard.age_on(birth, today)
            if (template.haoka_min_age and age < template.haoka_min_age) or (
                template.haoka_max_age and age > template.haoka_max_age
            ):
                problems.append(_("The holder is %(age)s; plan %(plan)s is for ages %(min)s to %(max)s.",
                                  age=age, plan=template.name, min=template.haoka_min_age,
                                  max=template.haoka_max_age))
        state = self.partner_shipping_id.state_id
        for template in lines.product_id.product_tmpl_id:
            if state and state in template.haoka_forbidden_state_ids:
                problems.append(_("Plan %(plan)s cannot be delivered to %(region)s (shipping-prohibited region).",
                                  plan=template.name, region=state.name))
        if number:
            problems += self._haoka_check_cards_per_id(lines, number)
        address = ", ".join(filter(None, [
            self.partner_shipping_id.street, self.partner_shipping_id.street2, self.partner_shipping_id.city,
            self.partner_shipping_id.state_id.name, self.partner_shipping_id.zip,
        ]))
        hits = self.env["haoka.blacklist"]._matches(
            name=self.haoka_holder_name, id_hash=number and secrets.search_hash(number),
            phones=(self.haoka_holder_phone, self.partner_id.phone, self.partner_id.mobile,
                    self.partner_shipping_id.phone),
            address=address,
        )
        for hit in hits:
            problems.append(_("The order matches the blacklist (%(reason)s).", reason=hit.reason))
        return problems

    def _haoka_check_cards_per_id(self, lines, number):
        """一证五户: an ID holds at most N active cards per carrier, this order's included."""
        limit = self._haoka_max_cards_per_id()
        id_hash = secrets.search_hash(number)
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT lot.haoka_carrier_id, count(DISTINCT lot.id)
              FROM sale_order so
              JOIN sale_order_line sol ON sol.order_id = so.id
              JOIN sale_order_line_haoka_lot_rel rel ON rel.line_id = sol.id
              JOIN stock_lot lot ON lot.id = rel.lot_id
             WHERE so.haoka_id_hash = %s AND so.state = 'sale' AND so.id != %s AND lot.card_state = ANY(%s)
          GROUP BY lot.haoka_carrier_id
            """,
            (id_hash, self.id or 0, list(COUNTED_STATES)),
        )
        held = dict(self.env.cr.fetchall())
        problems = []
        for carrier in lines.product_id.haoka_carrier_id:
            ordering = int(sum(lines.filtered(lambda ln, c=carrier: ln.product_id.haoka_carrier_id == c)
                               .mapped("product_uom_qty")))
            already = held.get(carrier.id, 0)
            if already + ordering > limit:
                problems.append(self.env._(
                    "ID number %(number)s already holds %(held)s %(carrier)s card(s); with this order it would "
                    "hold %(total)s, above the limit of %(limit)s per carrier (一证五户).",
                    number=idcard.mask_id(number), held=already, carrier=carrier.name,
                    total=already + ordering, limit=limit,
                ))
        return problems

    def _haoka_check_compliance(self):
        """Run the real-name checks, log them in the chatter, and refuse confirmation on failure."""
        for order in self.filtered("haoka_has_sim"):
            problems = order._haoka_compliance_problems()
            checks = self.env._("identity, ID number, age, shipping region, cards per ID, blacklist")
            if problems:
                order.sudo().haoka_compliance_state = "failed"
                body = self.env._("Compliance checks failed (%(checks)s):", checks=checks)
                order.message_post(body=body + " " + " ".join(problems))
                raise UserError(self.env._("Order %(order)s cannot be confirmed:\n%(problems)s",
                                           order=order.name, problems="\n".join("- " + p for p in problems)))
            order.sudo().haoka_compliance_state = "passed"
            order.message_post(body=self.env._("Compliance checks passed (%(checks)s).", checks=checks))

    def action_haoka_check_compliance(self):
        for order in self:
            problems = order._haoka_compliance_problems()
            order.sudo().haoka_compliance_state = "failed" if problems else "passed"
            order.message_post(body="; ".join(problems) or self.env._("Compliance checks passed."))
        return True

    def action_confirm(self):
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
        """Commission lines for every SIM line × chain tier × trigger that has a rule. Idempotent:
        existing lines are kept as they are (a database index forbids duplicates). Written with one
        COPY for the whole set of orders."""
        Line = self.env["haoka.commission.line"].sudo()
        Rule = self.env["haoka.commission.rule"].sudo()
        rules_by_company, best_cache = {}, {}
        vals_list = []
        orders = self.filtered("haoka_chain_ids")
        existing = set()
        if orders:
            self.env.flush_all()
            self.env.cr.execute(
                """SELECT order_line_id, distributor_id, tier, trigger FROM haoka_commission_line
                    WHERE order_id = ANY(%s) AND clawback_of_id IS NULL""", (orders.ids,))
            existing = set(self.env.cr.fetchall())
        for order in orders:
            company = order.company_id
            if company not in rules_by_company:
                rules_by_company[company] = Rule.search([("company_id", "=", company.id)])
            day = fields.Date.to_date(order.date_order)
            links = [(link.tier, link.distributor_id, link.level) for link in order.haoka_chain_ids]
            for sale_line in order._haoka_sim_lines():
                for tier, distributor, level in links:
                    key = (sale_line.product_id, distributor, level, tier, day, company)
                    if key not in best_cache:
                        best_cache[key] = Rule._best_rules(*key, rules_by_company[company])
                    for trigger, rule in best_cache[key].items():
                        if (sale_line.id, distributor.id, tier, trigger) in existing:
                            continue
                        vals_list.append(order._haoka_commission_vals(sale_line, distributor, tier, rule))
        Line._bulk_insert(vals_list)

    def _haoka_commission_vals(self, sale_line, distributor, tier, rule):
        quantity = int(sale_line.product_uom_qty)
        base = sale_line.price_subtotal
        if rule.amount_type == "fixed":
            amount = rule.amount * quantity
        else:
            amount = base * rule.amount / 100
        return {
            "order_id": self.id,
            "order_line_id": sale_line.id,
            "product_id": sale_line.product_id.id,
            "distributor_id": distributor.id,
            "tier": tier,
            "rule_id": rule.id,
            "payout_timing": rule.payout_timing,
            "state": self._haoka_commission_start_state(distributor),
            "trigger": rule.trigger,
            "quantity": quantity,
            "base_amount": base,
            "rate": rule.amount if rule.amount_type == "percent" else 0,
            "fixed_amount": rule.amount if rule.amount_type == "fixed" else 0,
            "amount": self.company_id.currency_id.round(amount),
            "company_id": self.company_id.id,
        }

    def action_haoka_simulate_commissions(self):
        self.ensure_one()
        simulation = self.env["haoka.commission.simulation"].create({"order_id": self.id})
        return simulation.action_simulate()

    @api.model
    def _haoka_commission_start_state(self, distributor):
        if distributor.haoka_distributor_state != "active":
            return "not_payable", "distributor_suspended"
        if distributor.haoka_kyc_state != "approved":
            return "not_payable", "kyc_missing"
        return "expected", "trigger_pending"

    def _haoka_commission_event(self, trigger):
        lines = self.sudo().haoka_commission_line_ids.filtered(lambda l: l.trigger == trigger)
        lines._reach()

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

    # ------------------------------------------------------------------ fulfilment (发货, 签收)

    @api.depends("partner_shipping_id", "haoka_holder_phone", "order_line.haoka_lot_ids", "order_line.product_id")
    def _compute_haoka_packing(self):
        """What a packer needs to see of an order: where it goes, whom the courier calls, what is in it."""
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

    def _haoka_ship(self, courier, tracking_ref):
        """发货: validate the delivery with exactly the order's cards and record the courier."""
        self.ensure_one()
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
        cards = self._haoka_sim_lines().haoka_lot_ids
        pickings = self.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
        )
        if len(pickings) != 1:
            raise UserError(_("Order %(order)s has no single delivery waiting to be shipped.", order=self.name))
        picking = pickings
        sim_moves = picking.move_ids.filtered(lambda m: m.product_id.is_sim_card)
        if sim_moves.lot_ids != cards:
            sim_moves_by_line = sim_moves.grouped("sale_line_id")
            for line, moves in sim_moves_by_line.items():
                moves[0].lot_ids = line.haoka_lot_ids
        if sim_moves.move_line_ids.lot_id != cards or any(ml.quantity != 1 for ml in sim_moves.move_line_ids):
            raise UserError(_(
                "The delivery %(picking)s does not hold exactly the order's cards: check the reservation.",
                picking=picking.name,
            ))
        picking.move_ids.picked = True
        picking.write({"haoka_courier_id": courier.id, "haoka_tracking_ref": tracking_ref})
        picking._haoka_validate(_("The delivery %(picking)s could not be validated.", picking=picking.name))
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

    def action_haoka_ship(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Ship"),
            "res_model": "haoka.ship.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": "sale.order", "active_ids": self.ids},
        }

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

    def _haoka_update_activation_state(self):
        """已激活: every SIM card of a shipped or received order has been activated."""
        for order in self.filtered(lambda o: o.haoka_fulfilment_state in ("shipped", "received")):
            cards = order._haoka_sim_lines().haoka_lot_ids
            if cards and all(card.haoka_activated_date for card in cards):
                order.haoka_fulfilment_state = "activated"
                order.message_post(body=self.env._("The carrier reports all %(count)s card(s) activated.",
                                                   count=len(cards)))

    # ------------------------------------------------------------------ refund (退款)

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
        destination = self.warehouse_id.lot_stock_id if cards_unused else self._haoka_quarantine_location()
        return_picking = self._haoka_return_cards(cards, destination)
        credit_note = self._haoka_credit_note(cards, reason)
        cards.sudo().with_context(tracking_disable=True).write(
            {"card_state": "available" if cards_unused else "returned"}
        )
        self._haoka_count_refunded(cards)
        for sale_line in self._haoka_sim_lines():
            refunded_here = len(sale_line.haoka_lot_ids & cards)
            if refunded_here:
                share = refunded_here / max(sale_line.product_uom_qty, 1)
                self.sudo().haoka_commission_line_ids.filtered(
                    lambda l, sl=sale_line: l.order_line_id == sl
                )._reverse("order_refunded", share=share)
        refunded = self.haoka_refunded_count + len(cards)
        total = len(self._haoka_sim_lines().haoka_lot_ids)
        self.write({
            "haoka_refunded_count": refunded,
            "haoka_fulfilment_state": "refunded" if refunded >= total else "partially_refunded",
        })
        self.message_post(body=_(
            "Refunded %(count)s card(s) (%(numbers)s): %(reason)s. Return %(picking)s%(credit)s.",
            count=len(cards), numbers=", ".join(cards.mapped(lambda c: c.msisdn or c.name)), reason=reason,
            picking=return_picking.name, credit=(", " + credit_note.name) if credit_note else "",
        ))
        return return_picking, credit_note

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
        if invoice.payment_state in ("paid", "in_payment"):
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=credit_note.ids
            ).create({}).action_create_payments()
        return credit_note

    @api.model
    def _haoka_create_demo_orders(self):
        """Demo: customers referred by the demo distributors and orders at every fulfilment step."""
        if texts.lacks_lang(self):  # installing: the orders' notes in the language of the company's users
            return texts.in_readers_lang(self)._haoka_create_demo_orders()
        # the addon's own translations (couriers, grades) are loaded after its demo data: load them now
        langs = [code for code, _name in self.env["res.lang"].get_installed() if code != "en_US"]
        self.env["ir.module.module"]._load_module_terms(["haoka_distribution"], langs)
        seller = self.env.ref("haoka_distribution.distributor_seller")
        plans = [self.env.ref("haoka_distribution.plan_cmcc_29"), self.env.ref("haoka_distribution.plan_cmcc_59"),
                 self.env.ref("haoka_distribution.plan_cucc_19")]
        names = ["陈静", "刘洋", "杨帆", "黄磊", "周婷"]
        orders = self.browse()
        for index, name in enumerate(names):
            customer = self.env["res.partner"].create({
                "name": name, "phone": "1370000000%d" % index, "haoka_referrer_id": seller.id,
                "street": "浦东新区世纪大道 %d 号" % (100 + index), "city": "上海", "zip": "200120",
                "state_id": self.env.ref("base.state_cn_SH").id, "country_id": self.env.ref("base.cn").id,
            })
            first17 = "310115" + "19%02d0101" % (80 + index) + "02%d" % index
            orders |= self.create({
                "partner_id": customer.id,
                "haoka_holder_name": name,
                "haoka_id_number": first17 + idcard.check_char(first17),
                "haoka_holder_phone": customer.phone,
                "order_line": [fields.Command.create({
                    "product_id": plans[index % len(plans)].product_variant_id.id,
                    "product_uom_qty": 1 + index % 2,
                })],
            })
        orders[:4].action_confirm()
        courier = self.env.ref("haoka_distribution.courier_sf")
        orders[0]._haoka_ship(courier, "SF1001000001")
        orders[1]._haoka_ship(courier, "SF1001000002")
        orders[1].action_haoka_confirm_receipt()
        orders[2]._haoka_ship(courier, "SF1001000003")
        orders[2].action_haoka_confirm_receipt()
        orders[2]._haoka_sim_lines().haoka_lot_ids._haoka_record_carrier_event("first_topup", amount=100)
        return True

    @api.model
    def _haoka_auto_receipt_days(self):
        return params.int_param(self.env, "haoka_distribution.auto_receipt_days", 7, 1)

    @api.model
    def _cron_haoka_auto_receipt(self):
        """Orders shipped N days ago (a setting, default 7) are taken as received."""
        if texts.lacks_lang(self):
            return texts.in_readers_lang(self)._cron_haoka_auto_receipt()
        limit = fields.Datetime.now() - timedelta(days=self._haoka_auto_receipt_days())
        orders = self.search([("haoka_fulfilment_state", "=", "shipped"), ("haoka_shipped_date", "<=", limit)])
        orders.action_haoka_confirm_receipt()
        return len(orders)

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


class SaleOrderLine(models.Model):
    """退款 on the order lines: a refunded card (or the premium of a refunded number) is neither invoiced
    again nor left "to invoice" once its credit note takes it off the invoiced quantity."""

    _inherit = "sale.order.line"

    haoka_refunded_qty = fields.Float(
        string="Refunded Quantity", copy=False, readonly=True, digits="Product Unit of Measure",
        help="Cards of this line refunded (returned and credited): they are not to be invoiced any more.",
    )

    def _haoka_invoiceable_qty(self):
        """The quantity Odoo would invoice (ordered or delivered, by the invoice policy) less the refunds."""
        self.ensure_one()
        base = self.product_uom_qty if self.product_id.invoice_policy == "order" else self.qty_delivered
        return max(base - self.haoka_refunded_qty, 0)

    @api.depends("haoka_refunded_qty")
    def _compute_qty_to_invoice(self):
        super()._compute_qty_to_invoice()
        for line in self.filtered(lambda ln: ln.haoka_refunded_qty and ln.state == "sale"
                                  and ln.product_id.invoice_policy == "order"):
            line.qty_to_invoice = line._haoka_invoiceable_qty() - line.qty_invoiced

    @api.depends("haoka_refunded_qty")
    def _compute_invoice_status(self):
        """A line whose cards were invoiced except those refunded is invoiced, not 'nothing to invoice'."""
        super()._compute_invoice_status()
        precision = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        for line in self.filtered(lambda ln: ln.haoka_refunded_qty and ln.invoice_status == "no"
                                  and ln.state == "sale" and ln.qty_invoiced > 0):
            if float_compare(line.qty_invoiced, line._haoka_invoiceable_qty(), precision_digits=precision) >= 0:
                line.invoice_status = "invoiced"

    @api.depends("haoka_refunded_qty")
    def _compute_untaxed_amount_to_invoice(self):
        super()._compute_untaxed_amount_to_invoice()
        for line in self.filtered(lambda ln: ln.haoka_refunded_qty and ln.state == "sale"
                                  and ln.product_id.invoice_policy == "order"):
            refunded = line.price_reduce_taxexcl * line.haoka_refunded_qty
            line.untaxed_amount_to_invoice = max(line.untaxed_amount_to_invoice - refunded, 0)

    @api.depends("haoka_refunded_qty")
    def _compute_amount_to_invoice(self):
        super()._compute_amount_to_invoice()
        for line in self.filtered(lambda ln: ln.haoka_refunded_qty and ln.product_uom_qty
                                  and ln.product_id.invoice_policy == "order"):
            unit_price_total = line.price_total / line.product_uom_qty
            line.amount_to_invoice = max(line.amount_to_invoice - unit_price_total * line.haoka_refunded_qty, 0)
