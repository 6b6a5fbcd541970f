# Developer tool, run through `odoo shell -d DB < bench/profile_order.py` on a database holding SIM cards
# (e.g. after HAOKA_BENCH_SIZES=20000 bench): one order of HAOKA_PROFILE_CARDS chosen cards is quoted (holds),
# confirmed and shipped under cProfile; prints the SQL statement counts and the top functions, then rolls back.
import cProfile
import io
import os
import pstats
import time

from odoo import sql_db
from odoo.addons.haoka_distribution.tools import idcard

COUNT = int(os.environ.get("HAOKA_PROFILE_CARDS", "1000"))
TOP = int(os.environ.get("HAOKA_PROFILE_TOP", "35"))
SORT = os.environ.get("HAOKA_PROFILE_SORT", "cumulative")


def profiled(label, function):
    profile = cProfile.Profile()
    queries = sql_db.sql_counter
    start = time.time()
    profile.enable()
    result = function()
    env.flush_all()
    profile.disable()
    print("== %s: %.2f s, %d SQL statements" % (label, time.time() - start, sql_db.sql_counter - queries))
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(SORT).print_stats(TOP)
    print("\n".join(out.getvalue().splitlines()[6:]))
    return result


product = env["product.product"].search([("is_sim_card", "=", True), ("qty_available", ">=", COUNT)], limit=1)
cards = env["stock.lot"].search([("product_id", "=", product.id), ("card_state", "=", "available")], limit=COUNT)
holder_id = "11010519800101001"
holder_id += idcard.check_char(holder_id)
env["ir.config_parameter"].set_param("haoka_distribution.max_cards_per_id", "100000")
top = env["res.partner"].create({"name": "Profile top distributor", "haoka_is_distributor": True})
middle = env["res.partner"].create({"name": "Profile distributor", "haoka_is_distributor": True,
                                    "haoka_parent_distributor_id": top.id})
customer = env["res.partner"].create({"name": "Profile customer", "haoka_referrer_id": middle.id})
env.flush_all()
order = profiled("quotation with chosen cards (holds)", lambda: env["sale.order"].create({
    "partner_id": customer.id, "haoka_holder_name": "压测", "haoka_id_number": holder_id,
    "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": COUNT,
                           "haoka_lot_ids": [(6, 0, cards.ids)]})],
}))
profiled("confirm", order.action_confirm)
profiled("ship", lambda: order._haoka_ship(env.ref("haoka_distribution.courier_sf"), "SF-PROFILE-1"))
env.cr.rollback()
