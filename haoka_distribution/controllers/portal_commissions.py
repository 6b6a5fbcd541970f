"""我的佣金: a distributor's commission lines with their state and reason in words, totals per state and
per month, and its settlements with their bill."""

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError
from odoo.http import request, route

from ..models.haoka_commission_line import STATES
from .portal import current_distributor, distributor_or_redirect, kyc_gate


class HaokaPortalCommissions(CustomerPortal):
    @route(["/my/commissions", "/my/commissions/page/<int:page>"], type="http", auth="user", website=True)
    def portal_haoka_commissions(self, page=1, filterby="all", **kw):
        distributor, redirect = distributor_or_redirect()
        if redirect:
            return redirect
        Line = request.env["haoka.commission.line"]
        labels = dict(Line._fields["state"]._description_selection(request.env))
        filters = {"all": {"label": request.env._("All"), "domain": []}}
        filters.update({state: {"label": labels[state], "domain": []} for state, __ in STATES})
        filterby = filterby if filterby in filters else "all"
        domain = [("distributor_id", "=", distributor.id)]
        if filterby != "all":
            domain.append(("state", "=", filterby))
        pager = portal_pager(url="/my/commissions", total=Line.search_count(domain), page=page,
                             step=self._items_per_page, url_args={"filterby": filterby})
        lines = Line.search(domain, limit=self._items_per_page, offset=pager["offset"])
        own = [("distributor_id", "=", distributor.id)]
        values = self._prepare_portal_layout_values()
        values.update({
            "lines": lines, "pager": pager, "page_name": "haoka_commissions", "default_url": "/my/commissions",
            "searchbar_filters": filters, "filterby": filterby, "state_labels": labels,
            "totals_by_state": [(labels[state], amount) for state, amount in
                                Line._read_group(own, ["state"], ["amount:sum"])],
            "totals_by_month": Line._read_group(own, ["create_date:month"], ["amount:sum"],
                                                order="create_date:month desc", limit=12),
            "settlements": request.env["haoka.commission.settlement"].search(own, limit=24),
            "currency": request.env.company.currency_id,
        })
        return request.render("haoka_distribution.portal_my_haoka_commissions", values)

    @route(["/my/settlements/<int:settlement_id>"], type="http", auth="user", website=True)
    def portal_haoka_settlement(self, settlement_id, **kw):
        gate = kyc_gate()
        if gate:
            return gate
        try:
            settlement = self._document_check_access("haoka.commission.settlement", settlement_id)
        except (AccessError, MissingError):
            raise request.not_found() from None
        if settlement.distributor_id != current_distributor():
            raise request.not_found()
        values = self._prepare_portal_layout_values()
        values.update({"settlement": settlement, "lines": settlement.line_ids, "page_name": "haoka_settlement"})
        return request.render("haoka_distribution.portal_my_haoka_settlement", values)
