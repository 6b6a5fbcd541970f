from odoo import fields, models, tools


class HaokaDistributionFunnel(models.Model):
    """The funnel per distributor, month and company — 下单 → 发货 → 签收 → 激活 → 首充 → 结算 — with conversion
    rates computed at that grain (rates are not summed across rows). Every step counts cards, each a subset of the
    previous one (see :class:`HaokaDistributionReport`)."""

    _name = "haoka.distribution.funnel"
    _description = "Distribution Funnel"
    _auto = False
    _order = "month desc, distributor_id"

    month = fields.Date(readonly=True)
    distributor_id = fields.Many2one("res.partner", string="Distributor", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    ordered = fields.Integer(readonly=True, help="Cards ordered.")
    shipped = fields.Integer(readonly=True, help="Cards shipped, refunded ones included.")
    received = fields.Integer(readonly=True, help="Shipped cards delivered or activated.")
    activated = fields.Integer(readonly=True, help="Received cards the carrier reported activated.")
    topped_up = fields.Integer(string="First Top-up", readonly=True,
                               help="Activated cards whose first top-up the carrier reported.")
    settled = fields.Integer(readonly=True, help="Topped-up cards of an order line whose commission is settled.")
    shipped_rate = fields.Float(string="Shipped %", readonly=True, aggregator=None)
    received_rate = fields.Float(string="Received %", readonly=True, aggregator=None)
    activated_rate = fields.Float(string="Activated %", readonly=True, aggregator=None)
    topped_up_rate = fields.Float(string="First Top-up %", readonly=True, aggregator=None)
    settled_rate = fields.Float(string="Settled %", readonly=True, aggregator=None)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(f"""
            CREATE OR REPLACE VIEW {self._table} AS (
                WITH base AS (
                    SELECT r.id, date_trunc('month', r.date)::date AS month, r.distributor_id, r.company_id,
                           r.cards_ordered,
                           r.cards_shipped, r.cards_received, r.cards_activated,
                           r.cards_topped_up AS topped_up, r.cards_settled AS settled
                      FROM haoka_distribution_report r
                     WHERE r.distributor_id IS NOT NULL
                )
                SELECT row_number() OVER (ORDER BY month, distributor_id, company_id) AS id, month, distributor_id,
                       company_id,
                       sum(cards_ordered) AS ordered, sum(cards_shipped) AS shipped, sum(cards_received) AS received,
                       sum(cards_activated) AS activated, sum(topped_up) AS topped_up, sum(settled) AS settled,
                       round(100.0 * sum(cards_shipped) / NULLIF(sum(cards_ordered), 0), 1) AS shipped_rate,
                       round(100.0 * sum(cards_received) / NULLIF(sum(cards_ordered), 0), 1) AS received_rate,
                       round(100.0 * sum(cards_activated) / NULLIF(sum(cards_ordered), 0), 1) AS activated_rate,
                       round(100.0 * sum(topped_up) / NULLIF(sum(cards_ordered), 0), 1) AS topped_up_rate,
                       round(100.0 * sum(settled) / NULLIF(sum(cards_ordered), 0), 1) AS settled_rate
                  FROM base GROUP BY month, distributor_id, company_id
            )
        """)
