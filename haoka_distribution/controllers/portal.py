"""个人中心: the distributor's portal home (Odoo's /my) and what every distributor page shares: who the
distributor is, the real-name gate of the first login, the page values. The pages live next to it, one
concern per file: portal_orders.py, portal_commissions.py, portal_team.py, portal_kyc.py, portal_signup.py."""

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.http import request, route

KYC_URL = "/my/kyc"


def current_distributor():
    """The logged-in user's distributor (its commercial partner), or an empty recordset."""
    partner = request.env.user.partner_id.commercial_partner_id
    return partner if partner.haoka_is_distributor else partner.browse()


def kyc_gate():
    """The redirect to 实名认证 for a distributor whose real-name verification is not approved (as the
    platforms do on the first login), else None."""
    distributor = current_distributor()
    if distributor and distributor.haoka_kyc_state != "approved":
        return request.redirect(KYC_URL)
    return None


def distributor_or_redirect(controller=None):
    """The prelude of every distributor page: ``(distributor, None)`` for a distributor whose real-name
    verification is approved, else ``(None, response)`` (实名认证, or /my for a user who is no distributor).
    With ``controller`` (the portal controller of a page that acts: orders, pays) a suspended or pending
    distributor gets the "cannot order" page instead (it can read, not act)."""
    gate = kyc_gate()
    distributor = current_distributor()
    if gate or not distributor:
        return None, gate or request.redirect("/my")
    if controller is not None and not distributor._haoka_portal_can_order():
        return None, request.render("haoka_distribution.portal_haoka_cannot_order",
                                    controller._prepare_portal_layout_values())
    return distributor, None


class HaokaPortalHome(CustomerPortal):
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        distributor = current_distributor()
        if not distributor:
            return values
        if "haoka_order_count" in counters:
            values["haoka_order_count"] = request.env["sale.order"].search_count(
                self._haoka_orders_domain(distributor))
        if "haoka_commission_count" in counters:
            values["haoka_commission_count"] = request.env["haoka.commission.line"].search_count(
                [("distributor_id", "=", distributor.id)])
        if "haoka_team_count" in counters:
            values["haoka_team_count"] = len(distributor.sudo()._haoka_downline())
        if not counters:  # the home page itself
            values.update(self._haoka_home_values(distributor))
        return values

    @staticmethod
    def _haoka_orders_domain(distributor):
        return [("haoka_distributor_id", "=", distributor.id), ("state", "in", ("sale", "done", "cancel"))]

    def _haoka_home_values(self, distributor):
        """The 个人中心 summary: this month's orders, commission by state, to-dos, and the money tiles."""
        today = fields.Date.context_today(request.env.user)
        month_start = today.replace(day=1)
        orders = request.env["sale.order"].search_count(self._haoka_orders_domain(distributor) + [
            ("date_order", ">=", month_start), ("date_order", "<", month_start + relativedelta(months=1)),
        ])
        Line = request.env["haoka.commission.line"]
        labels = dict(Line._fields["state"]._description_selection(request.env))
        by_state = [(labels[state], amount) for state, amount in Line._read_group(
            [("distributor_id", "=", distributor.id)], ["state"], ["amount:sum"])]
        todos = []
        if distributor.haoka_kyc_state != "approved":
            todos.append((request.env._("Complete your real-name verification"), KYC_URL))
        if distributor.haoka_distributor_state == "pending":
            todos.append((request.env._("Your account is waiting for approval"), KYC_URL))
        values = {
            "haoka_distributor": distributor,
            "haoka_month_orders": orders,
            "haoka_commission_by_state": by_state,
            "haoka_currency": request.env.company.currency_id,
            "haoka_todos": todos,
        }
        values.update(self._haoka_portal_money_values(distributor))
        return values

    def _haoka_portal_money_values(self, distributor):
        """Extension point for the finance pages (预存款, 佣金余额, 可提现, 我的钱包, 提现): return
        ``haoka_money_tiles``, a list of dicts ``{title, amount, url}`` shown on the home page (and add
        your own tiles into ``haoka_distribution.portal_my_home_haoka``'s ``#haoka_money_tiles``)."""
        return {"haoka_money_tiles": []}

    @route(["/my", "/my/home"], type="http", auth="user", website=True)
    def home(self, **kw):
        return kyc_gate() or super().home(**kw)
