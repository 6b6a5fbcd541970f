from odoo import fields, models, tools

from ..tools.groups import COMMISSION_GROUPS


class HaokaDistributionReport(models.Model):
    """分销报表: SIM order lines with their distributor, the cards' progress through the funnel
    (下单 → 发货 → 签收 → 激活 → 首充 → 结算) and the commission they earn; one row per order line.

    The funnel counts cards, each step a subset of the previous one: ordered; shipped (refunded ones
    included); received (delivered or activated); activated; first top-up reported; settled (topped-up cards
    of an order line with a settled commission)."""

    _name = "haoka.distribution.report"
    _description = "Distribution Report"
    _auto = False
    _order = "date desc"

    date = fields.Date(readonly=True)
    order_id = fields.Many2one("sale.order", readonly=True)
    distributor_id = fields.Many2one("res.partner", string="Distributor", readonly=True)
    team_leader_id = fields.Many2one("res.partner", string="Top Distributor", readonly=True)
    product_tmpl_id = fields.Many2one("product.template", string="Plan", readonly=True)
    carrier_id = fields.Many2one("haoka.carrier", string="Carrier", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    cards_ordered = fields.Integer(string="Ordered", readonly=True)
    cards_shipped = fields.Integer(string="Shipped", readonly=True)
    cards_received = fields.Integer(string="Received", readonly=True)
    cards_activated = fields.Integer(string="Activated", readonly=True)
    cards_topped_up = fields.Integer(string="Topped Up", readonly=True,
                                     help="Activated cards whose first top-up the carrier reported.")
    cards_settled = fields.Integer(
        string="Settled", readonly=True,
        help="Topped-up cards of an order line with a settled commission: like every step of the funnel, a "
             "subset of the previous one.",
    )
    cards_closed = fields.Integer(string="Closed", readonly=True)
    cards_refunded = fields.Integer(string="Refunded", readonly=True)
    amount = fields.Monetary(string="Sales", readonly=True)
    # commissions are for 号卡主管 and 号卡财务 (the dashboard leaves them out for the others)
    commission = fields.Monetary(string="Commission (All Tiers)", readonly=True, groups=COMMISSION_GROUPS,
                                 help="Payable commission of the sale, the seller's and its uplines'.")
    commission_seller = fields.Monetary(string="Seller's Commission", readonly=True, groups=COMMISSION_GROUPS,
                                        help="Payable commission of the selling distributor (tier 0).")
    commission_upline = fields.Monetary(string="Uplines' Commission", readonly=True, groups=COMMISSION_GROUPS,
                                        help="Payable commission of the seller's uplines on this sale (tiers 1+).")
    commission_settled = fields.Monetary(string="Commission Settled", readonly=True, groups=COMMISSION_GROUPS)

    def init(self):
        """The view: one row per SIM order line with its cards at each step and its commissions.

        Long because it is one SQL statement, read as a whole."""
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(f"""
            CREATE OR REPLACE VIEW {self._table} AS (
                SELECT sol.id AS id,
                       so.date_order::date AS date,
                       so.id AS order_id,
                       so.haoka_distributor_id AS distributor_id,
                       (SELECT c.distributor_id FROM haoka_order_chain c WHERE c.order_id = so.id
                         ORDER BY c.tier DESC LIMIT 1) AS team_leader_id,
                       pt.id AS product_tmpl_id,
                       pt.haoka_carrier_id AS carrier_id,
                       so.company_id AS company_id,
                       so.currency_id AS currency_id,
                       sol.product_uom_qty::int AS cards_ordered,
                       COALESCE(cards.shipped, 0) AS cards_shipped,
                       COALESCE(cards.received, 0) AS cards_received,
                       COALESCE(cards.activated, 0) AS cards_activated,
                       COALESCE(cards.topped_up, 0) AS cards_topped_up,
                       CASE WHEN com.settled_lines > 0 THEN COALESCE(cards.topped_up, 0) ELSE 0 END AS cards_settled,
                       COALESCE(cards.closed, 0) AS cards_closed,
                       COALESCE(cards.refunded, 0) AS cards_refunded,
                       sol.price_subtotal AS amount,
                       COALESCE(com.total, 0) AS commission,
                       COALESCE(com.seller, 0) AS commission_seller,
                       COALESCE(com.upline, 0) AS commission_upline,
                       COALESCE(com.settled, 0) AS commission_settled
                  FROM sale_order_line sol
                  JOIN sale_order so ON so.id = sol.order_id
                  JOIN product_product pp ON pp.id = sol.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  LEFT JOIN LATERAL (
                        SELECT count(*) FILTER (
                                   WHERE l.card_state IN ('shipped', 'delivered', 'activated')
                                      OR (l.card_state IN ('returned', 'available')
                                          AND so.haoka_fulfilment_state IN ('refunded', 'partially_refunded'))
                               ) AS shipped,
                               count(*) FILTER (WHERE l.card_state IN ('delivered', 'activated')) AS received,
                               count(*) FILTER (WHERE l.card_state = 'activated') AS activated,
                               count(*) FILTER (WHERE l.card_state = 'activated'
                                                  AND l.haoka_first_topup_date IS NOT NULL) AS topped_up,
                               count(*) FILTER (WHERE l.card_state = 'activated'
                                                  AND l.haoka_closed_date IS NOT NULL) AS closed,
                               count(*) FILTER (WHERE l.card_state IN ('returned', 'available')
                                                  AND so.haoka_fulfilment_state IN ('refunded', 'partially_refunded'))
                                   AS refunded
                          FROM sale_order_line_haoka_lot_rel r JOIN stock_lot l ON l.id = r.lot_id
                         WHERE r.line_id = sol.id
                  ) cards ON TRUE
                  LEFT JOIN LATERAL (
                        SELECT sum(cl.amount) FILTER (WHERE cl.state NOT IN ('reversed', 'not_payable')) AS total,
                               sum(cl.amount) FILTER (WHERE cl.state NOT IN ('reversed', 'not_payable')
                                                        AND cl.tier = 0) AS seller,
                               sum(cl.amount) FILTER (WHERE cl.state NOT IN ('reversed', 'not_payable')
                                                        AND cl.tier > 0) AS upline,
                               sum(cl.amount) FILTER (WHERE cl.state = 'settled') AS settled,
                               count(*) FILTER (WHERE cl.state = 'settled' AND cl.clawback_of_id IS NULL)
                                   AS settled_lines
                          FROM haoka_commission_line cl WHERE cl.order_line_id = sol.id
                  ) com ON TRUE
                 WHERE pt.is_sim_card AND so.state = 'sale'
            )
        """)
