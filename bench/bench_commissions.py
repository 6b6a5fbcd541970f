# Run through `odoo shell` by scripts/bench.sh: commission computation and settlement figures.
import os
import time

from odoo import fields

LINES = int(os.environ.get("HAOKA_BENCH_COMMISSION_LINES", "10000"))
SETTLE = int(os.environ.get("HAOKA_BENCH_SETTLE_LINES", "50000"))

carrier = env["haoka.carrier"].search([("code", "=", "CMCC")])
plan = env["product.template"].create({"name": "Commission bench plan", "is_sim_card": True,
                                       "haoka_carrier_id": carrier.id, "list_price": 59})
product = plan.product_variant_id
Partner = env["res.partner"]
top = Partner.create({"name": "Bench top", "haoka_is_distributor": True, "haoka_kyc_state": "approved"})
mid = Partner.create({"name": "Bench mid", "haoka_is_distributor": True, "haoka_kyc_state": "approved",
                      "haoka_parent_distributor_id": top.id})
sellers = Partner.create([{"name": "Bench seller %d" % i, "haoka_is_distributor": True,
                           "haoka_kyc_state": "approved", "haoka_parent_distributor_id": mid.id}
                          for i in range(100)])
Rule = env["haoka.commission.rule"]
Rule.create([
    {"name": "bench seller", "tier": 0, "amount": 30, "trigger": "shipped", "payout_timing": "instant"},
    {"name": "bench seller plan", "tier": 0, "amount": 40, "trigger": "activated", "product_tmpl_id": plan.id},
    {"name": "bench upline", "tier": 1, "amount_type": "percent", "amount": 10, "trigger": "confirmed"},
    {"name": "bench top", "tier": 2, "amount": 5, "trigger": "received", "payout_timing": "instant"},
])
customer = Partner.create({"name": "Bench customer"})
orders = env["sale.order"].create([{
    "partner_id": customer.id,
    "haoka_distributor_id": sellers[i % len(sellers)].id,
    "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1}) for _ in range(10)],
} for i in range(LINES // 10)])
orders._haoka_snapshot_chain()
env.cr.commit()
start = time.time()
orders._haoka_compute_commissions()
env.flush_all()
env.cr.commit()
created = env["haoka.commission.line"].search_count([("order_id", "in", orders.ids)])
print("compute commissions for %d order lines, 3-level chain (%d lines): %5.1f s (target <= 10 s)"
      % (len(orders.order_line), created, time.time() - start))

# settlement of SETTLE eligible lines (made eligible in SQL from the lines computed above, repeated)
env.cr.execute("UPDATE haoka_commission_line SET state = 'eligible', reached_date = now() AT TIME ZONE 'UTC' "
               "WHERE order_id = ANY(%s)", (orders.ids,))
eligible = created
while eligible < SETTLE:
    env.cr.execute(
        """INSERT INTO haoka_commission_line (order_id, order_line_id, product_id, distributor_id, tier, rule_id,
                  trigger, payout_timing, quantity, base_amount, rate, fixed_amount, amount, company_id, currency_id,
                  state, reason_code, reached_date, clawback_of_id, create_uid, create_date, write_uid, write_date)
           SELECT order_id, order_line_id, product_id, distributor_id, tier, rule_id, trigger, payout_timing,
                  quantity, base_amount, rate, fixed_amount, -amount, company_id, currency_id, 'eligible',
                  'clawback', reached_date, id, create_uid, create_date, write_uid, write_date
             FROM haoka_commission_line WHERE order_id = ANY(%s) AND clawback_of_id IS NULL
            LIMIT %s""", (orders.ids, SETTLE - eligible))
    eligible += env.cr.rowcount
    if not env.cr.rowcount:
        break
env.invalidate_all()
env.cr.commit()
start = time.time()
settlements = env["haoka.commission.settlement"]._prepare(fields.Date.today())
settlements.action_confirm()
env.flush_all()
env.cr.commit()
print("settle %d eligible lines into %d settlements and vendor bills: %5.1f s (target <= 20 s)"
      % (sum(settlements.mapped("line_count")), len(settlements), time.time() - start))
