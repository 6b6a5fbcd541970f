"""我的团队 (the downline through a fixed list of fields) and 推广 (the referral link, its QR code as a
PNG, and the sign-ups and orders it brought)."""

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.http import request, route

from ..tools import portal_images
from .portal import current_distributor, distributor_or_redirect


class HaokaPortalTeam(CustomerPortal):
    @route(["/my/team"], type="http", auth="user", website=True)
    def portal_haoka_team(self, **kw):
        distributor, redirect = distributor_or_redirect()
        if redirect:
            return redirect
        values = self._prepare_portal_layout_values()
        values.update({"rows": distributor._haoka_team_rows(), "page_name": "haoka_team",
                       "currency": request.env.company.currency_id})
        return request.render("haoka_distribution.portal_my_haoka_team", values)

    @staticmethod
    def _haoka_referral_link(distributor):
        return "%s/r/%s" % (distributor.get_base_url(), distributor.haoka_referral_code)

    @route(["/my/promote"], type="http", auth="user", website=True)
    def portal_haoka_promote(self, **kw):
        distributor, redirect = distributor_or_redirect()
        if redirect:
            return redirect
        Partner = request.env["res.partner"].sudo()
        signups = Partner.search([("haoka_signup_referrer_id", "=", distributor.id)], order="create_date desc")
        customers = Partner.search([("haoka_referrer_id", "=", distributor.id)])
        orders = request.env["sale.order"].sudo().search_count([
            ("partner_id.commercial_partner_id", "in", customers.ids), ("state", "in", ("sale", "done"))])
        states = dict(Partner._fields["haoka_distributor_state"]._description_selection(request.env))
        values = self._prepare_portal_layout_values()
        values.update({
            "link": self._haoka_referral_link(distributor), "page_name": "haoka_promote",
            # a fixed list of fields: the sign-up's name, date and status, nothing else
            "signups": [{"name": p.name, "date": p.create_date, "state": states.get(p.haoka_distributor_state)}
                        for p in signups],
            "customer_count": len(customers), "order_count": orders,
        })
        return request.render("haoka_distribution.portal_my_haoka_promote", values)

    @route(["/my/promote/qr.png"], type="http", auth="user", website=True, readonly=True)
    def portal_haoka_promote_qr(self, **kw):
        distributor = current_distributor()
        if not distributor:
            raise request.not_found()
        png = portal_images.qr_png(self._haoka_referral_link(distributor))
        return request.make_response(png, [("Content-Type", "image/png"), ("Cache-Control", "private, max-age=3600")])
