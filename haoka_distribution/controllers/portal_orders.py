"""我的订单: the orders a distributor sold, with their fulfilment, courier and tracking number, search,
filters and pages; an order's detail with its state history and the commission it earned, per tier."""

from werkzeug.urls import url_encode

from odoo.addons.payment import utils as payment_utils
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError
from odoo.http import request, route

from .portal import current_distributor, distributor_or_redirect, kyc_gate

SEARCH_MAX = 64


class HaokaPortalOrders(CustomerPortal):
    def _haoka_order_filters(self):
        env = request.env
        return {
            "all": {"label": env._("All"), "domain": []},
            "to_ship": {"label": env._("To Ship"), "domain": [("haoka_fulfilment_state", "=", "to_ship")]},
            "shipped": {"label": env._("Shipped"), "domain": [("haoka_fulfilment_state", "=", "shipped")]},
            "received": {"label": env._("Received"),
                         "domain": [("haoka_fulfilment_state", "in", ("received", "activated"))]},
            "refunded": {"label": env._("Refunded"), "domain": [
                ("haoka_fulfilment_state", "in", ("refunded", "partially_refunded", "cancelled"))]},
        }

    @staticmethod
    def _haoka_order_search_domain(search):
        """Search by order reference, holder name or tracking number (the text is capped)."""
        search = (search or "").strip()[:SEARCH_MAX]
        if not search:
            return []
        return ["|", "|", ("name", "ilike", search), ("haoka_holder_name", "ilike", search),
                ("haoka_tracking_ref", "ilike", search)]

    @route(["/my/sim-orders", "/my/sim-orders/page/<int:page>"], type="http", auth="user", website=True)
    def portal_haoka_orders(self, page=1, filterby="all", search="", **kw):
        distributor, redirect = distributor_or_redirect()
        if redirect:
            return redirect
        filters = self._haoka_order_filters()
        filterby = filterby if filterby in filters else "all"
        domain = ([("haoka_distributor_id", "=", distributor.id), ("state", "in", ("sale", "done", "cancel"))]
                  + filters[filterby]["domain"] + self._haoka_order_search_domain(search))
        Order = request.env["sale.order"]
        pager = portal_pager(url="/my/sim-orders", total=Order.search_count(domain), page=page,
                             step=self._items_per_page, url_args={"filterby": filterby, "search": search})
        orders = Order.search(domain, order="date_order desc, id desc", limit=self._items_per_page,
                              offset=pager["offset"])
        values = self._prepare_portal_layout_values()
        values.update({
            "orders": orders.sudo(), "pager": pager, "page_name": "haoka_orders", "default_url": "/my/sim-orders",
            "searchbar_filters": {key: {"label": f["label"], "domain": []} for key, f in filters.items()},
            "filterby": filterby, "search": search, "search_in": "all",
            "searchbar_inputs": {"all": {"input": "all", "label": request.env._("Order, holder or tracking")}},
        })
        return request.render("haoka_distribution.portal_my_haoka_orders", values)

    @route(["/my/sim-orders/<int:order_id>"], type="http", auth="user", website=True)
    def portal_haoka_order(self, order_id, **kw):
        gate = kyc_gate()
        if gate:
            return gate
        distributor = current_distributor()
        try:
            order_sudo = self._document_check_access("sale.order", order_id)
        except (AccessError, MissingError):
            raise request.not_found() from None
        if not distributor or order_sudo.haoka_distributor_id != distributor:
            raise request.not_found()
        return self._haoka_render_order(order_sudo, distributor)

    def _haoka_render_order(self, order_sudo, distributor, pay_error=None):
        """The order's page; ``pay_error``: why paying it from the balance was refused."""
        lines = request.env["haoka.commission.line"].search([("order_id", "=", order_sudo.id)],
                                                            order="tier, trigger, id")
        values = self._prepare_portal_layout_values()
        values.update({
            "order": order_sudo, "page_name": "haoka_order", "history": self._haoka_order_history(order_sudo),
            "commission_lines": lines,
            "numbers": order_sudo.haoka_card_numbers,
            "pay_error": pay_error,
        })
        values.update(self._haoka_order_payment_values(order_sudo, distributor))
        return request.render("haoka_distribution.portal_my_haoka_order", values)

    def _haoka_order_payment_values(self, order, distributor):
        """How the distributor may pay the order: ``pay_url`` (online; extended by 下单 with the balance), and
        ``paid`` once its invoices are paid."""
        invoices = order.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted")
        return {"pay_url": self._haoka_pay_url(order, distributor),
                "paid": bool(invoices) and all(m.payment_state in ("paid", "in_payment") for m in invoices)}

    @staticmethod
    def _haoka_amount_due(order, distributor):
        """What is left to pay on an order the distributor bought and confirmed (0 for anything else)."""
        if order.partner_id.commercial_partner_id != distributor or order.state != "sale":
            return 0.0
        paid = sum(order.invoice_ids.filtered(lambda m: m.state == "posted").mapped(
            lambda m: m.amount_total - m.amount_residual))
        return order.currency_id.round(order.amount_total - paid)

    @classmethod
    def _haoka_pay_url(cls, order, distributor):
        """Online payment through Odoo's payment providers (/payment/pay) for an order the distributor
        bought and has not paid."""
        amount = cls._haoka_amount_due(order, distributor)
        if amount <= 0:
            return False
        token = payment_utils.generate_access_token(distributor.id, amount, order.currency_id.id)
        return "/payment/pay?" + url_encode({
            "reference": order.name, "amount": amount, "currency_id": order.currency_id.id,
            "partner_id": distributor.id, "company_id": order.company_id.id, "access_token": token,
        })

    @staticmethod
    def _haoka_order_history(order):
        """The order's steps with their dates, in their order: each change of its fulfilment state as the
        chatter tracked it, else (tracking off) the dates stored on the order."""
        env = request.env
        steps = [(env._("Ordered"), order.date_order)]
        trackings = env["mail.tracking.value"].sudo().search([
            ("mail_message_id.model", "=", "sale.order"), ("mail_message_id.res_id", "=", order.id),
            ("field_id.name", "=", "haoka_fulfilment_state"),
        ], order="id")
        if trackings:
            field = order._fields["haoka_fulfilment_state"]
            labels = dict(field._description_selection(env))
            keys = {}  # a tracked label, in the language of whoever made the change, back to its state
            for code, __ in env["res.lang"].get_installed():
                keys.update({label: key for key, label in
                             field._description_selection(env(context=dict(env.context, lang=code)))})
            for tracking in trackings:
                label = labels.get(keys.get(tracking.new_value_char), tracking.new_value_char)
                steps.append((label, tracking.create_date))
        else:
            if order.haoka_shipped_date:
                steps.append((env._("Shipped"), order.haoka_shipped_date))
            if order.haoka_received_date:
                steps.append((env._("Received"), order.haoka_received_date))
        if order.haoka_tracking_ref:
            steps.append((env._("Courier %(courier)s, tracking number %(tracking)s",
                                courier=order.haoka_courier_id.name or "", tracking=order.haoka_tracking_ref),
                          order.haoka_shipped_date))
        return steps
