# ruff: noqa: F821 - `env` is the odoo shell's
# Run through `odoo shell` by scripts/bench.sh, or alone (issue 14 §5):
#   .venv/bin/python scripts/odoo shell -d DB --addons-path=... --no-http < bench/load_portal.py
# The distributor portal under load: HAOKA_BENCH_PORTAL_USERS (default 50) distributors, each logged in for real
# (its own session, the login form's CSRF token), browse 个人中心 (/my), 我的订单, 我的佣金, 我的钱包 and 选号 (the
# number search of 下单) with a person's think-time between pages, for HAOKA_BENCH_PORTAL_SECONDS (default 60),
# against a server started with --workers=2. Target: p95 <= 300 ms and no error (a non-200 answer, a refused
# connection or the search's rate-limit message). Printed: requests, rps, p50/p95/p99 per page, errors, and per
# page the SQL statements and server ms of Odoo's log (--log-level=info perf columns).
# The data is made through the models' own paths: distributors approved by 实名认证, portal users, confirmed
# orders (commission lines by a rule), wallet movements, a pool of cards to search.
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from odoo import Command, fields
from odoo.addons.haoka_distribution.tools import idcard, sim

USERS = int(os.environ.get("HAOKA_BENCH_PORTAL_USERS", "50"))
SECONDS = float(os.environ.get("HAOKA_BENCH_PORTAL_SECONDS", "60"))
ORDERS = int(os.environ.get("HAOKA_BENCH_PORTAL_ORDERS", "12"))  # per distributor
MOVEMENTS = int(os.environ.get("HAOKA_BENCH_PORTAL_MOVEMENTS", "30"))  # per distributor
CARDS = int(os.environ.get("HAOKA_BENCH_PORTAL_CARDS", "5000"))
THINK = (float(os.environ.get("HAOKA_BENCH_PORTAL_THINK_MIN", "2")),
         float(os.environ.get("HAOKA_BENCH_PORTAL_THINK_MAX", "6")))
PORT = int(os.environ.get("HAOKA_BENCH_PORTAL_PORT", "8178"))
BENCH_DIR = os.environ.get("HAOKA_BENCH_DIR") or os.path.join(os.getcwd(), "bench")
sys.path.insert(0, BENCH_DIR)
from portal_client import Browser, summary  # noqa: E402

tag = uuid.uuid4().hex[:6]
env = env(context=dict(env.context, tracking_disable=True, no_reset_password=True))


def id_number(index):
    """A valid resident ID number of an adult, distinct for each ``index`` (below 900,000)."""
    today = fields.Date.today()
    first17 = "1101%02d" % (index // 1000 % 100) + today.replace(year=today.year - 30, day=1).strftime(
        "%Y%m%d") + "%03d" % (index % 1000)
    return first17 + idcard.check_char(first17)


def free_numbers(prefix):
    """Phone numbers starting with ``prefix`` that no card has yet (the other benches filled the same database,
    and a number exists once)."""
    env.cr.execute("SELECT msisdn FROM stock_lot WHERE msisdn LIKE %s", [prefix + "%"])
    used = {row[0] for row in env.cr.fetchall()}
    return (number for number in ("%s%08d" % (prefix, i) for i in range(10**8)) if number not in used)


def make_plan():
    plan = env["product.template"].create({
        "name": "Portal bench plan %s" % tag, "is_sim_card": True, "list_price": 39,
        "haoka_carrier_id": env.ref("haoka_distribution.carrier_cmcc").id})
    prefix = "898601%s" % str(int(time.time()))[-5:]
    numbers = free_numbers("13%d" % (int(time.time()) % 10))
    cards = []
    for i in range(CARDS):
        body = prefix + str(i).rjust(8, "0")
        cards.append({"name": body + sim.luhn_check_digit(body), "product_id": plan.product_variant_id.id,
                      "msisdn": next(numbers), "card_state": "available"})
    env["stock.lot"].with_context(haoka_manual_entry=True).create(cards)
    env["haoka.commission.rule"].create({"name": "Portal bench %s" % tag, "tier": 0, "amount": 12,
                                         "trigger": "confirmed", "payout_timing": "instant",
                                         "product_tmpl_id": plan.id})
    return plan


def make_distributors(password):
    """USERS distributors approved by 实名认证, each with its portal user (login ``load-<tag>-<n>``)."""
    portal = env.ref("base.group_portal")
    agents = env["res.partner"]
    for i in range(USERS):
        agent = env["res.partner"].create({"name": "Load agent %s %d" % (tag, i), "haoka_is_distributor": True,
                                           "haoka_payout_method": "wallet", "email": "load%d@%s.example" % (i, tag)})
        agent.write({"haoka_kyc_name": agent.name, "haoka_kyc_id_number": id_number(i)})
        agent.action_haoka_kyc_submit()
        agent.action_haoka_kyc_approve()
        agents |= agent
    env["res.users"].create([{"name": agent.name, "login": "load-%s-%d" % (tag, i), "partner_id": agent.id,
                              "password": password, "groups_id": [Command.set(portal.ids)]}
                             for i, agent in enumerate(agents)])
    return agents


def make_orders(agents, plan):
    """ORDERS confirmed orders per distributor (one card each, a holder of their own): commission lines."""
    customer = env["res.partner"].create({"name": "Portal bench customer %s" % tag})
    values = []
    for a, agent in enumerate(agents):
        for o in range(ORDERS):
            values.append({"partner_id": customer.id, "haoka_distributor_id": agent.id,
                           "haoka_holder_name": "客户%d" % o, "haoka_id_number": id_number(100000 + a * 1000 + o),
                           "order_line": [Command.create({"product_id": plan.product_variant_id.id,
                                                          "product_uom_qty": 1})]})
    orders = env["sale.order"].create(values)
    orders.action_confirm()
    return orders


def make_movements(agents):
    """MOVEMENTS wallet movements per distributor (credits of its 佣金余额), posted by the wallet's own path."""
    company = env.company
    commission = env["haoka.wallet.type"]._haoka_get("commission", company)
    account = env["account.account"].search([*env["account.account"]._check_company_domain(company),
                                             ("account_type", "=", "expense")], limit=1)
    env["haoka.wallet.transaction"]._haoka_post_movements([
        {"partner": agent, "wallet_type": commission, "amount": 5.0 + m, "kind": "adjustment",
         "counterpart_account": account, "key": "portal-bench-%s-%d-%d" % (tag, agent.id, m)}
        for agent in agents for m in range(MOVEMENTS)])


def prepare():
    password = secrets.token_urlsafe(12)
    started = time.time()
    plan = make_plan()
    agents = make_distributors(password)
    orders = make_orders(agents, plan)
    make_movements(agents)
    env.flush_all()
    env.cr.commit()
    lines = env["haoka.commission.line"].search_count([("distributor_id", "in", agents.ids)])
    print("portal load: data of %d distributors made in %.0f s: %d orders, %d commission lines, %d wallet "
          "movements, %d cards to search" % (len(agents), time.time() - started, len(orders), lines,
                                              len(agents) * MOVEMENTS, CARDS))
    return ["load-%s-%d" % (tag, i) for i in range(USERS)], password, plan


def start_server(logfile):
    command = [sys.executable, os.path.join(os.environ.get("HAOKA_PROJECT_DIR", os.getcwd()), "scripts", "odoo"),
               "--addons-path=%s" % os.environ.get("HAOKA_ADDONS_PATH", ""), "-d", env.cr.dbname,
               "--workers=2", "--max-cron-threads=0",  # -d without --db-filter: no database listing a request
               "--http-interface=127.0.0.1", "--http-port=%d" % PORT, "--log-level=info", "--logfile=%s" % logfile]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    Browser.wait_for(PORT)
    return process


def in_threads(browsers, step):
    threads = [threading.Thread(target=step, args=(b, random.Random(i))) for i, b in enumerate(browsers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run(logins, password, plan):
    """Everyone logs in (four at a time), the pages are warmed up (not timed), then everyone browses until the
    deadline."""
    browsers = [Browser(PORT, login, password, plan.product_variant_id.id, THINK) for login in logins]
    arriving = threading.Semaphore(4)  # people arrive a few at a time (a login hashes the password: CPU-bound)

    def login(browser, rng):
        with arriving:
            browser.login()

    in_threads(browsers, login)
    in_threads(browsers[:8], lambda b, rng: b.warm_up(rng))
    run.log_offset = os.path.getsize(log)  # the server's costs are counted from here
    started = time.time()
    in_threads(browsers, lambda b, rng: b.browse(started + SECONDS, rng))
    return browsers, time.time() - started


logins, password, plan = prepare()
log = tempfile.NamedTemporaryFile(prefix="haoka_portal_load_", suffix=".log", delete=False).name
server = start_server(log)
try:
    browsers, elapsed = run(logins, password, plan)
finally:
    os.killpg(server.pid, 15)
    server.wait(timeout=60)
print(summary(browsers, elapsed, log, os.getloadavg(), run.log_offset))
failed_logins = sum(1 for b in browsers if not b.logged_in)
print("portal load: %d of %d distributors logged in; server log %s" % (len(browsers) - failed_logins,
                                                                         len(browsers), log))
