# Run through `odoo shell` (e.g. `scripts/odoo shell -d DB --no-http < bench/profile_upstream_report.py`):
# profiles the import of an activation report of HAOKA_PROFILE_ROWS rows (default 2,000) with commission triggers
# (issue 15 §5): SQL statements per row in each phase (reading and checking the rows, storing the events,
# processing them) and the cProfile functions taking the most time. Everything is rolled back: it leaves nothing.
import base64
import cProfile
import io
import os
import pstats
import time
import uuid

from odoo import fields, sql_db
from odoo.addons.haoka_distribution.tools import sim

ROWS = int(os.environ.get("HAOKA_PROFILE_ROWS", "2000"))
tag = uuid.uuid4().hex[:6]

carrier = env["haoka.carrier"].search([("code", "=", "CMCC")])
plan = env["product.template"].create({"name": "Upstream profile plan %s" % tag, "is_sim_card": True,
                                       "haoka_carrier_id": carrier.id, "list_price": 59})
product = plan.product_variant_id
seller = env["res.partner"].create({"name": "Upstream profile seller", "haoka_is_distributor": True,
                                    "haoka_kyc_state": "approved"})
env["haoka.commission.rule"].create({"name": "profile activation %s" % tag, "tier": 0, "amount": 20,
                                     "trigger": "activated", "payout_timing": "instant", "product_tmpl_id": plan.id})
customer = env["res.partner"].create({"name": "Upstream profile customer"})
prefix = "898600%s" % str(int(time.time()))[-5:]
cards = env["stock.lot"].create([{
    "name": prefix + str(i).rjust(8, "0") + sim.luhn_check_digit(prefix + str(i).rjust(8, "0")),
    "product_id": product.id, "msisdn": "17%02d%07d" % (int(time.time()) % 100, i), "card_state": "available",
} for i in range(ROWS)])
orders = env["sale.order"].create([{
    "partner_id": customer.id, "haoka_distributor_id": seller.id,
    "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1}) for _ in range(10)],
} for _ in range(ROWS // 10)])
env.flush_all()
env.cr.execute("INSERT INTO sale_order_line_haoka_lot_rel (line_id, lot_id) SELECT unnest(%s::int[]), "
               "unnest(%s::int[])", (orders.order_line.ids[:ROWS], cards.ids))
env.cr.execute("UPDATE stock_lot SET card_state = 'shipped' WHERE id = ANY(%s)", (cards.ids,))
env.cr.execute("UPDATE sale_order SET state = 'sale', haoka_fulfilment_state = 'shipped', "
               "haoka_shipped_date = now() AT TIME ZONE 'UTC' WHERE id = ANY(%s)", (orders.ids,))
env.invalidate_all()
orders._haoka_snapshot_chain()
orders._haoka_compute_commissions()
source = env["haoka.upstream"].create({"name": "Profile upstream %s" % tag, "code": "profile-%s" % tag,
                                       "secret": "profile-secret",
                                       "status_map_ids": [(0, 0, {"code": "已激活", "event": "activated"})]})
today = fields.Date.context_today(source)
csv = "\n".join(["ICCID,状态,激活日期"] + ["%s,已激活,%s" % (name, today) for name in cards.mapped("name")]).encode()
wizard = env["haoka.upstream.report.import"].create({"source_id": source.id, "file": base64.b64encode(csv),
                                                     "filename": "profile.csv"})
env.flush_all()


def measured(label, function):
    before, began = sql_db.sql_counter, time.time()
    result = function()
    env.flush_all()
    print("%-32s %6d SQL (%5.2f per row) %6.2f s" % (label, sql_db.sql_counter - before,
                                                     (sql_db.sql_counter - before) / ROWS, time.time() - began))
    return result


measured("read and check the rows", wizard._checked_rows)
profiler = cProfile.Profile()
profiler.enable()
measured("import (check, store, process)", wizard.action_import)
profiler.disable()
eligible = env["haoka.commission.line"].search_count([("order_id", "in", orders.ids), ("trigger", "=", "activated"),
                                                      ("state", "=", "eligible")])
print("%d rows: %d events processed, %d failed, %d activation commissions reached"
      % (ROWS, wizard.processed_count, wizard.failed_count, eligible))
out = io.StringIO()
stats = pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("HAOKA_PROFILE_SORT", "cumulative"))
stats.print_stats(int(os.environ.get("HAOKA_PROFILE_TOP", "25")))
print(out.getvalue())
env.cr.rollback()
