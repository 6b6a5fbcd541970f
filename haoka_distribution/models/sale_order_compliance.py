from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import idcard, params, secrets

COUNTED_STATES = ("sold", "shipped", "delivered", "activated")
DEFAULT_MAX_CARDS_PER_ID = 5


class SaleOrder(models.Model):
    """合规检查: the real-name checks an order with SIM cards passes before it is confirmed and shipped —
    identity and ID number, the plan's age limits, shipping-prohibited regions, 一证五户 and the blacklist."""

    _inherit = "sale.order"

    @api.model
    def _haoka_max_cards_per_id(self):
        return params.int_param(self.env, "haoka_distribution.max_cards_per_id", DEFAULT_MAX_CARDS_PER_ID, 1)

    def _haoka_compliance_problems(self):
        """Problems (translated sentences) that forbid shipping SIM cards on this order."""
        self.ensure_one()
        lines = self._haoka_sim_lines()
        number = self._haoka_clear_id()
        problems, birth = self._haoka_identity_problems(number)
        problems += self._haoka_age_problems(lines, birth)
        problems += self._haoka_region_problems(lines)
        if number:
            problems += self._haoka_check_cards_per_id(lines, number)
        problems += self._haoka_blacklist_problems(number)
        return problems

    def _haoka_identity_problems(self, number):
        """The problems of the holder's name and ID number (``number``, in clear), and the holder's birth
        date: read from a valid resident ID number, else the one entered."""
        _ = self.env._
        problems = []
        id_type = self.haoka_id_type or "resident"
        birth = self.haoka_holder_birthdate
        if not self.haoka_holder_name:
            problems.append(_("The card holder's name is missing."))
        if not number:
            problems.append(_("The card holder's ID number is missing."))
        elif id_type == "resident":
            problem = idcard.resident_id_problem(number)
            if problem:
                problems.append(_("ID number %(number)s is not valid: %(reason)s.",
                                  number=idcard.mask_id(number), reason=self._haoka_resident_id_reasons()[problem]))
            else:
                birth = idcard.birth_date(number)
        elif not idcard.other_id_ok(id_type, number):
            problems.append(_("ID number %(number)s is not a valid %(type)s number.", number=idcard.mask_id(number),
                              type=dict(self._fields["haoka_id_type"]._description_selection(self.env))[id_type]))
        return problems, birth

    def _haoka_resident_id_reasons(self):
        """Why a resident ID number is not valid, by :func:`idcard.resident_id_problem` code."""
        _ = self.env._
        return {
            "length": _("the ID number must have 18 characters"),
            "chars": _("the ID number has 17 digits then a digit or X"),
            "region": _("its region code is unknown"),
            "birth_date": _("its birth date is not a real date"),
            "check_char": _("its check character is wrong"),
        }

    def _haoka_age_problems(self, lines, birth):
        """The plans of ``lines`` whose age limits the holder (born on ``birth``) is outside of."""
        _ = self.env._
        problems = []
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
        return problems

    def _haoka_region_problems(self, lines):
        """The plans of ``lines`` that cannot be delivered to the delivery address's region."""
        _ = self.env._
        state = self.partner_shipping_id.state_id
        return [
            _("Plan %(plan)s cannot be delivered to %(region)s (shipping-prohibited region).",
              plan=template.name, region=state.name)
            for template in lines.product_id.product_tmpl_id
            if state and state in template.haoka_forbidden_state_ids
        ]

    def _haoka_blacklist_problems(self, number):
        """The blacklist entries the holder, the customer's phones or the delivery address match."""
        _ = self.env._
        shipping = self.partner_shipping_id
        address = ", ".join(filter(None, [
            shipping.street, shipping.street2, shipping.city, shipping.state_id.name, shipping.zip,
        ]))
        hits = self.env["haoka.blacklist"]._matches(
            name=self.haoka_holder_name, id_hash=number and secrets.search_hashes(number),
            phones=(self.haoka_holder_phone, self.partner_id.phone, self.partner_id.mobile, shipping.phone),
            address=address,
        )
        return [_("The order matches the blacklist (%(reason)s).", reason=hit.reason) for hit in hits]

    def _haoka_check_cards_per_id(self, lines, number):
        """一证五户: an ID holds at most N active cards per carrier, this order's included."""
        limit = self._haoka_max_cards_per_id()
        held = self._haoka_cards_held_per_carrier(number)
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

    def _haoka_cards_held_per_carrier(self, number):
        """{carrier id: cards} the ID ``number`` holds on the other confirmed orders (sold to activated)."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT lot.haoka_carrier_id, count(DISTINCT lot.id)
              FROM sale_order so
              JOIN sale_order_line sol ON sol.order_id = so.id
              JOIN sale_order_line_haoka_lot_rel rel ON rel.line_id = sol.id
              JOIN stock_lot lot ON lot.id = rel.lot_id
             WHERE so.haoka_id_hash = ANY(%s) AND so.state = 'sale' AND so.id != %s AND lot.card_state = ANY(%s)
          GROUP BY lot.haoka_carrier_id
            """,
            (secrets.search_hashes(number), self.id or 0, list(COUNTED_STATES)),
        )
        return dict(self.env.cr.fetchall())

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
