"""下单: a distributor orders a SIM card in the portal: chooses a plan, searches an available number by
tail or substring and grade (results capped, searches rate-limited per user), holds it, enters the holder's
real-name data (checked as in the back office), and the order is created and confirmed for it; then pays
from its balances when they cover the order (invoiced, the invoice paid by wallet entries reconciled with it:
``sale.order._haoka_pay_from_wallet``, under the wallets' row locks) or online through Odoo's payment
providers."""

import re
from urllib.parse import urlencode

from odoo import fields
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.fields import Command
from odoo.http import request, route

from ..tools import idcard, sim
from .portal import distributor_or_redirect
from .portal_orders import HaokaPortalOrders

RESULTS_MAX = 20
TEXT_MAX = 128


class HaokaPortalOrderNew(CustomerPortal):
    def _haoka_ordering_distributor(self):
        """(distributor, redirect): the distributor allowed to order, or where to send the user."""
        return distributor_or_redirect(self)

    @staticmethod
    def _haoka_plans():
        return request.env["product.product"].sudo().search(
            [("is_sim_card", "=", True), ("sale_ok", "=", True),
             ("company_id", "in", [False, request.env.company.id])], order="name")

    @staticmethod
    def _haoka_search_cards(plan, digits, grade_id, mode):
        """At most :data:`RESULTS_MAX` available cards of ``plan`` whose number ends with / contains ``digits``."""
        domain = [("product_id", "=", plan.id), ("card_state", "=", "available"),
                  "|", ("expiration_date", "=", False), ("expiration_date", ">", fields.Datetime.now())]
        if digits:
            pattern = ("%" + digits) if mode == "tail" else ("%" + digits + "%")
            domain.append(("msisdn", "=like", pattern))
        if grade_id:
            domain.append(("grade_id", "=", grade_id))
        return request.env["stock.lot"].sudo().search(domain, limit=RESULTS_MAX, order="grade_id, msisdn")

    @route(["/my/sim-order/new"], type="http", auth="user", website=True, methods=["GET"])
    def portal_haoka_order_new(self, plan_id=None, digits="", grade_id=None, mode="tail", **kw):
        distributor, redirect = self._haoka_ordering_distributor()
        if redirect:
            return redirect
        plans = self._haoka_plans()
        plan = plans.filtered(lambda p: str(p.id) == str(plan_id or ""))[:1]
        digits = re.sub(r"\D", "", digits or "")[:11]
        grade = request.env["haoka.number.grade"].sudo().browse(
            int(grade_id) if (grade_id or "").isdigit() else []).exists()
        mode = mode if mode in ("tail", "contains") else "tail"
        values = self._prepare_portal_layout_values()
        values.update({"plans": plans, "plan": plan, "digits": digits, "grade": grade, "mode": mode,
                       "grades": request.env["haoka.number.grade"].sudo().search([]), "cards": None,
                       "error": kw.get("error"), "page_name": "haoka_order_new"})
        if plan and "search" in kw:
            if not request.env["haoka.number.search.log"]._haoka_allow(request.env.user):
                values["error"] = request.env._("Too many searches: wait a minute and search again.")
            elif plan.haoka_upstream_id.pool_search:  # the upstream's pool (上游号池), through its API
                values["upstream_numbers"], values["error"] = plan.product_tmpl_id._haoka_pool_numbers(
                    digits, mode, RESULTS_MAX)
            else:
                values["cards"] = self._haoka_search_cards(plan, digits, grade.id, mode)
        return request.render("haoka_distribution.portal_haoka_order_new", values)

    @route(["/my/sim-order/hold"], type="http", auth="user", website=True, methods=["POST"])
    def portal_haoka_order_hold(self, plan_id="", card_id="", **kw):
        """Hold the chosen number on a new quotation of the distributor."""
        distributor, redirect = self._haoka_ordering_distributor()
        if redirect:
            return redirect
        plan = self._haoka_plans().filtered(lambda p: str(p.id) == plan_id)[:1]
        if plan.haoka_upstream_id.pool_search and kw.get("number"):
            return self._haoka_hold_upstream_number(distributor, plan, kw["number"])
        card = request.env["stock.lot"].sudo().browse(int(card_id) if card_id.isdigit() else []).exists()
        if not plan or not card or card.product_id != plan or card.card_state != "available":
            return request.redirect("/my/sim-order/new?error=%s" % request.env._("This number is no longer available."))
        try:
            with request.env.cr.savepoint():
                order = request.env["sale.order"].sudo().create({
                    "partner_id": distributor.id, "haoka_distributor_id": distributor.id,
                    "order_line": [Command.create({"product_id": plan.id, "product_uom_qty": 1,
                                                   "haoka_lot_ids": [Command.set(card.ids)]})],
                })
        except UserError:
            return request.redirect("/my/sim-order/new?error=%s" % request.env._("This number is no longer available."))
        return request.redirect("/my/sim-order/%s" % order.id)

    def _haoka_hold_upstream_number(self, distributor, plan, number):
        """Hold a number of the upstream's pool on a new quotation (the upstream holds it, or says why not)."""
        try:
            with request.env.cr.savepoint():
                order = request.env["sale.order"].sudo().create({
                    "partner_id": distributor.id, "haoka_distributor_id": distributor.id,
                    "order_line": [Command.create({"product_id": plan.id, "product_uom_qty": 1,
                                                   "haoka_upstream_number": re.sub(r"\D", "", number)[:11]})],
                })
        except UserError as error:
            return request.redirect("/my/sim-order/new?" + urlencode({"error": error.args[0]}))
        return request.redirect("/my/sim-order/%s" % order.id)

    def _haoka_draft_order(self, distributor, order_id):
        try:
            order = self._document_check_access("sale.order", order_id)
        except (AccessError, MissingError):
            return None
        if order.haoka_distributor_id != distributor or order.state != "draft":
            return None
        return order

    @route(["/my/sim-order/<int:order_id>"], type="http", auth="user", website=True, methods=["GET"])
    def portal_haoka_order_holder(self, order_id, **kw):
        distributor, redirect = self._haoka_ordering_distributor()
        if redirect:
            return redirect
        order = self._haoka_draft_order(distributor, order_id)
        if not order:
            raise request.not_found()
        return request.render("haoka_distribution.portal_haoka_order_holder", self._haoka_holder_values(order))

    def _haoka_holder_values(self, order, errors=None, form=None):
        values = self._prepare_portal_layout_values()
        lines = order._haoka_sim_lines()
        values.update({
            "order": order, "errors": errors or [], "form": form or {}, "page_name": "haoka_order_new",
            "numbers": order.haoka_card_numbers, "hold_until": lines.haoka_lot_ids[:1].haoka_hold_until,
            "id_types": order._fields["haoka_id_type"]._description_selection(request.env),
            "provinces": self._haoka_provinces(),
        })
        return values

    @staticmethod
    def _haoka_provinces():
        return request.env["res.country.state"].sudo().search([("country_id.code", "=", "CN")], order="name")

    def _haoka_holder_form_errors(self, form):
        """Server-side checks of the form's own fields (the order's checks come at confirmation)."""
        env = request.env
        errors = []
        for key, label in (("holder_name", env._("Card holder")), ("id_number", env._("ID number")),
                           ("phone", env._("Phone")), ("recipient", env._("Recipient")),
                           ("street", env._("Delivery address")), ("city", env._("City"))):
            value = (form.get(key) or "").strip()
            if not value:
                errors.append(env._("%(field)s is required.", field=label))
            elif len(value) > TEXT_MAX:
                errors.append(env._("%(field)s is too long.", field=label))
        if form.get("state_id") not in {str(state.id) for state in self._haoka_provinces()}:
            errors.append(env._("Choose the province of the delivery address."))
        if form.get("id_type") not in dict(idcard.ID_TYPES):
            errors.append(env._("Choose an ID type."))
        if form.get("phone") and not re.fullmatch(r"1\d{10}", sim.normalize_msisdn(form["phone"]) or ""):
            errors.append(env._("Phone %(phone)s is not a mainland mobile number.", phone=form["phone"][:20]))
        return errors

    @route(["/my/sim-order/<int:order_id>/confirm"], type="http", auth="user", website=True, methods=["POST"])
    def portal_haoka_order_confirm(self, order_id, **post):
        distributor, redirect = self._haoka_ordering_distributor()
        if redirect:
            return redirect
        order = self._haoka_draft_order(distributor, order_id)
        if not order:
            raise request.not_found()
        form = {key: (post.get(key) or "").strip() for key in (
            "holder_name", "id_type", "id_number", "phone", "recipient", "street", "city", "state_id")}
        errors = self._haoka_holder_form_errors(form)
        if not errors:
            errors = self._haoka_write_and_confirm(order, distributor, form)
        if errors:
            return request.render("haoka_distribution.portal_haoka_order_holder",
                                  self._haoka_holder_values(order, errors, form))
        return request.redirect("/my/sim-orders/%s?confirmed=1" % order.id)

    def _haoka_write_and_confirm(self, order, distributor, form):
        """Write the holder and the delivery address, run the back office's checks, confirm; the errors."""
        cr = request.env.cr
        try:
            with cr.savepoint():
                shipping = request.env["res.partner"].sudo().create({
                    "type": "delivery", "parent_id": distributor.id, "name": form["recipient"],
                    "mobile": form["phone"], "street": form["street"], "city": form["city"],
                    "state_id": int(form["state_id"]), "country_id": request.env.ref("base.cn").id,
                })
                order.write({
                    "partner_shipping_id": shipping.id, "haoka_holder_name": form["holder_name"],
                    "haoka_id_type": form["id_type"], "haoka_id_number": form["id_number"],
                    "haoka_holder_phone": form["phone"],
                })
                problems = order._haoka_compliance_problems()
                if problems:
                    raise ValidationError("\n".join(problems))
                order.action_confirm()
        except (UserError, ValidationError) as error:
            return [line.lstrip("- ") for line in str(error.args[0]).splitlines() if line.strip()]
        return []


class HaokaPortalOrderPay(HaokaPortalOrders):
    """Paying a confirmed order from the balance, on the order's page."""

    @staticmethod
    def _haoka_spendable_wallets():
        return request.env["haoka.wallet.type"].sudo().search(
            [("company_id", "=", request.env.company.id), ("spendable", "=", True)])

    @staticmethod
    def _haoka_wallets_in_order(wallets, first):
        """The wallets in the order they pay: ``first`` (a wallet type id chosen on the form), then the
        others in their own order (预存款, then 佣金余额)."""
        chosen = wallets.filtered(lambda w: str(w.id) == str(first or ""))
        return chosen + (wallets - chosen)

    def _haoka_order_payment_values(self, order, distributor):
        """The balances that may pay the order, and whether together they cover what is due."""
        values = super()._haoka_order_payment_values(order, distributor)
        due = self._haoka_amount_due(order, distributor)
        if due <= 0:
            return values
        wallets = self._haoka_spendable_wallets()
        available = [(wallet, distributor.sudo()._haoka_wallet_balance(wallet)["available"]) for wallet in wallets]
        covered = sum(amount for __, amount in available if amount > 0)
        values.update({"amount_due": due, "wallet_balances": available,
                       "wallet_covers": order.currency_id.compare_amounts(covered, due) >= 0,
                       "can_pay": distributor._haoka_portal_can_order()})
        return values

    @route(["/my/sim-orders/<int:order_id>/pay-balance"], type="http", auth="user", website=True,
           methods=["POST"])
    def portal_haoka_order_pay_balance(self, order_id, first=None, **kw):
        """Pay the distributor's own confirmed order from its balances (CSRF checked by Odoo); refused with
        the figures when they no longer cover it (read under the wallets' row locks)."""
        distributor, redirect = distributor_or_redirect(self)
        if redirect:
            return redirect
        try:
            order = self._document_check_access("sale.order", order_id)
        except (AccessError, MissingError):
            raise request.not_found() from None
        if order.haoka_distributor_id != distributor or self._haoka_amount_due(order, distributor) <= 0:
            raise request.not_found()
        wallets = self._haoka_wallets_in_order(self._haoka_spendable_wallets(), first)
        try:
            with request.env.cr.savepoint():
                order.sudo()._haoka_pay_from_wallet(wallets, partner=distributor)
        except UserError as error:
            return self._haoka_render_order(order, distributor, pay_error=error.args[0])
        return request.redirect(f"/my/sim-orders/{order.id}?paid=1")
