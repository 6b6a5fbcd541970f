# Run through `odoo shell` by scripts/bench.sh: distributor balances in the general ledger (issue 13 §7).
# - crediting 1,000 distributors from one monthly settlement (target <= 10 s)
# - the statement (分销商对账单) of a distributor with 10,000 movements: data + .xlsx, and the report's HTML
#   (target <= 3 s)
# - the balance of a distributor with 100,000 movements (target <= 50 ms)
import os
import statistics
import time

from odoo import Command, fields, sql_db

DISTRIBUTORS = int(os.environ.get("HAOKA_BENCH_WALLET_DISTRIBUTORS", "1000"))
STATEMENT = int(os.environ.get("HAOKA_BENCH_WALLET_STATEMENT", "10000"))
MOVEMENTS = int(os.environ.get("HAOKA_BENCH_WALLET_MOVEMENTS", "100000"))

env = env(context=dict(env.context, tracking_disable=True))  # noqa: F821 (odoo shell)
company = env.company
commission = env["haoka.wallet.type"]._haoka_get("commission", company)
product = env.ref("haoka_distribution.product_commission")
agents = env["res.partner"].create([{"name": "Wallet bench agent %d" % i, "haoka_is_distributor": True,
                                     "haoka_payout_method": "wallet"} for i in range(DISTRIBUTORS)])
today = fields.Date.today()
bills = env["account.move"].create([{
    "move_type": "in_invoice", "partner_id": agent.id, "invoice_date": today, "ref": "bench %d" % agent.id,
    "invoice_line_ids": [Command.create({"product_id": product.id, "quantity": 2, "price_unit": 40,
                                         "tax_ids": [Command.clear()]})],
} for agent in agents])
bills.action_post()
settlements = env["haoka.commission.settlement"].create([{
    "distributor_id": agent.id, "date_to": today, "company_id": company.id,
} for agent in agents])
for settlement, bill in zip(settlements, bills, strict=True):
    settlement.write({"move_id": bill.id, "state": "confirmed"})
env.cr.commit()

# where the credit's time and SQL statements go (load-independent: judge by the statements)
Settlement, Tx_, Line = (type(env[name]) for name in ("haoka.commission.settlement", "haoka.wallet.transaction",
                                                       "account.move.line"))
CREDIT_PHASES = [("post the wallet entries", Tx_, "_haoka_create_entries"),
                 ("create the movements", Tx_, "create"),
                 ("reconcile with the bills", Line, "_reconcile_plan")]
credit_figures = {}


def watched(label, original):
    def wrapper(*args, **kwargs):
        started, statements = time.perf_counter(), sql_db.sql_counter
        try:
            return original(*args, **kwargs)
        finally:
            figure = credit_figures.setdefault(label, [0.0, 0])
            figure[0] += time.perf_counter() - started
            figure[1] += sql_db.sql_counter - statements
    return wrapper


originals = [(cls, name, cls.__dict__.get(name)) for _label, cls, name in CREDIT_PHASES]
for label, cls, name in CREDIT_PHASES:
    setattr(cls, name, watched(label, getattr(cls, name)))
start, statements = time.time(), sql_db.sql_counter
try:
    settlements._haoka_credit_wallet()
    env.flush_all()
finally:
    for cls, name, original in originals:
        if original is None:
            delattr(cls, name)
        else:
            setattr(cls, name, original)
seconds, statements = time.time() - start, sql_db.sql_counter - statements
env.cr.commit()
paid = sum(1 for bill in bills if bill.payment_state == "paid")
print("credit %d distributors' 佣金余额 from one monthly settlement (bills paid: %d): %5.1f s, %d SQL statements "
      "(target <= 10 s)" % (len(settlements), paid, seconds, statements))
for label, _cls, _name in CREDIT_PHASES:
    phase_seconds, phase_statements = credit_figures.get(label, (0.0, 0))
    print("    %-28s %6.2f s %6d SQL" % (label, phase_seconds, phase_statements))
start, statements = time.time(), sql_db.sql_counter
settlements._haoka_credit_wallet()  # a second run credits nothing
env.flush_all()
print("    second run (nothing to credit): %5.2f s, %d SQL statements"
      % (time.time() - start, sql_db.sql_counter - statements))
env.cr.commit()


def copy_journal_items(ref_prefix, seed):
    """Copy into each copied entry (``ref`` = ``ref_prefix`` + the original entry's id) the journal items of its
    original, the entry of one of the movements ``seed`` (ids), dated as the copy."""
    env.cr.execute("""
        INSERT INTO account_move_line (move_id, journal_id, company_id, company_currency_id, currency_id, account_id,
                                       partner_id, date, parent_state, display_type, name, debit, credit, balance,
                                       amount_currency, amount_residual, amount_residual_currency, create_uid,
                                       create_date, write_uid, write_date)
        SELECT nm.id, l.journal_id, l.company_id, l.company_currency_id, l.currency_id, l.account_id, l.partner_id,
               nm.date, 'posted', l.display_type, l.name, l.debit, l.credit, l.balance, l.amount_currency,
               l.amount_residual, l.amount_residual_currency, l.create_uid, l.create_date, l.write_uid, l.write_date
          FROM account_move nm
          JOIN account_move m ON nm.ref = %s || m.id AND m.id IN (
               SELECT move_id FROM haoka_wallet_transaction WHERE id = ANY(%s))
          JOIN account_move_line l ON l.move_id = m.id""", (ref_prefix, seed))


# One distributor with MOVEMENTS movements: the first ones posted through the API, the rest copied in SQL
# from them (journal items and movements alike), so that the ledger holds as many rows as a busy wallet.
agent = agents[0]
account = env["account.account"].search([*env["account.account"]._check_company_domain(company),
                                         ("account_type", "=", "expense")], limit=1)
Tx = env["haoka.wallet.transaction"]
Tx._haoka_post_movements([{"partner": agent, "wallet_type": commission, "amount": 1.0, "kind": "adjustment",
                           "counterpart_account": account, "key": "bench-seed-%d" % i} for i in range(100)])
env.flush_all()
cr = env.cr
cr.execute("SELECT id FROM haoka_wallet_transaction WHERE partner_id = %s", (agent.id,))
seed = [row[0] for row in cr.fetchall()]
copies = (MOVEMENTS - len(seed)) // len(seed) + 1
cr.execute("""
    WITH copies AS (SELECT generate_series(1, %s) AS n),
    new_moves AS (
        INSERT INTO account_move (journal_id, company_id, currency_id, date, state, move_type, name, ref,
                                  auto_post, create_uid, create_date, write_uid, write_date)
        SELECT m.journal_id, m.company_id, m.currency_id, m.date, 'posted', 'entry', m.name || '-' || copies.n,
               'bench:' || m.id, 'no', m.create_uid, m.create_date, m.write_uid, m.write_date
          FROM account_move m JOIN haoka_wallet_transaction t ON t.move_id = m.id, copies
         WHERE t.id = ANY(%s)
        RETURNING id, name)
    SELECT count(*) FROM new_moves""", (copies, seed))
cr.execute("ANALYZE account_move")
copy_journal_items("bench:", seed)
cr.execute("""
    INSERT INTO haoka_wallet_transaction (kind, amount, partner_id, wallet_type_id, company_id, state, date,
                                          move_id, idempotency_key, reason, counterpart_account_id, balance_after,
                                          create_uid, create_date, write_uid, write_date)
    SELECT 'adjustment', 1.0, %s, %s, %s, 'posted', nm.date, nm.id, 'bench-copy-' || nm.id, 'bench', %s,
           0, 1, now(), 1, now()
      FROM account_move nm WHERE nm.ref LIKE 'bench:%%'""",
           (agent.id, commission.id, company.id, account.id))
env.cr.commit()
# the visibility map autovacuum keeps on a live database (an index-only scan reads no table page); the
# copied rows are fresh, so they are vacuumed here as autovacuum would
with sql_db.db_connect(env.cr.dbname).cursor() as vacuum_cr:
    vacuum_cr._cnx.autocommit = True
    vacuum_cr.execute("VACUUM ANALYZE account_move_line")
    vacuum_cr.execute("VACUUM ANALYZE haoka_wallet_transaction")
env.invalidate_all()
cr.execute("SELECT count(*) FROM account_move_line WHERE partner_id = %s AND account_id = %s",
           (agent.id, commission.account_id.id))
items = cr.fetchone()[0]

timings = []
for _run in range(7):
    start = time.perf_counter()
    balance = agent._haoka_wallet_balance(commission)
    timings.append(time.perf_counter() - start)
statements = sql_db.sql_counter
agent._haoka_wallet_balance(commission)
statements = sql_db.sql_counter - statements
print("balance of a distributor with %d journal items on its wallet account (%s): %5.1f ms median of 7, "
      "%d SQL statements (target <= 50 ms)" % (items, balance["balance"], statistics.median(timings) * 1000,
                                                statements))
cr.execute("""EXPLAIN (ANALYZE, BUFFERS, TIMING OFF)
              SELECT COALESCE(-SUM(balance), 0) FROM account_move_line
               WHERE partner_id = %s AND account_id = %s AND company_id = %s AND parent_state = 'posted'""",
           (agent.id, commission.account_id.id, company.id))
print("    " + "\n    ".join(row[0] for row in cr.fetchall()))

# The statement (分销商对账单) of a distributor with STATEMENT movements in its period: 100 movements posted through
# the API, copied in SQL with dates spread over the last 400 days; the statement covers the last 365 days (an
# opening balance, then the movements). Timed: its data and .xlsx, then the report's HTML (the PDF's source).
agent = agents[1]
Tx._haoka_post_movements([{"partner": agent, "wallet_type": commission, "amount": 1.0 + i % 7, "kind": "adjustment",
                           "counterpart_account": account, "key": "bench-statement-%d" % i,
                           "reason": "bench %d" % i} for i in range(100)])
env.flush_all()
cr.execute("SELECT id FROM haoka_wallet_transaction WHERE partner_id = %s AND idempotency_key LIKE %s",
           (agent.id, "bench-statement-%"))
seed = [row[0] for row in cr.fetchall()]
copies = STATEMENT * 400 // 365 // len(seed) + 1
cr.execute("""
    INSERT INTO account_move (journal_id, company_id, currency_id, date, state, move_type, name, ref, auto_post,
                              create_uid, create_date, write_uid, write_date)
    SELECT m.journal_id, m.company_id, m.currency_id, m.date - ((copies.n * 37 + m.id) %% 400)::int, 'posted', 'entry',
           m.name || '-' || copies.n, 'bench-statement:' || m.id, 'no', m.create_uid, m.create_date, m.write_uid,
           m.write_date
      FROM account_move m JOIN haoka_wallet_transaction t ON t.move_id = m.id, generate_series(1, %s) AS copies(n)
     WHERE t.id = ANY(%s)""", (copies, seed))
copy_journal_items("bench-statement:", seed)
cr.execute("""
    INSERT INTO haoka_wallet_transaction (kind, amount, partner_id, wallet_type_id, company_id, state, date, move_id,
                                          idempotency_key, reason, counterpart_account_id, balance_after,
                                          counterpart_line_id, create_uid, create_date, write_uid, write_date)
    SELECT t.kind, t.amount, t.partner_id, t.wallet_type_id, t.company_id, 'posted', nm.date, nm.id,
           'bench-statement-copy-' || nm.id, t.reason, t.counterpart_account_id, 0,
           (SELECT max(l.id) FROM account_move_line l WHERE l.move_id = nm.id), 1, now(), 1, now()
      FROM account_move nm
      JOIN account_move m ON nm.ref = 'bench-statement:' || m.id
      JOIN haoka_wallet_transaction t ON t.move_id = m.id""")
for table in ("account_move", "account_move_line", "haoka_wallet_transaction"):
    cr.execute(f"ANALYZE {table}")  # noqa: S608
env.cr.commit()
env.invalidate_all()

REPORT = "haoka_distribution.action_report_haoka_wallet_statement"
today = fields.Date.context_today(agent)
statement = env["haoka.wallet.statement"].create({
    "partner_id": agent.id, "date_from": fields.Date.subtract(today, days=364), "date_to": today,
    "wallet_type_ids": [Command.set(commission.ids)]})
env.invalidate_all()
queries, start = cr.sql_log_count, time.perf_counter()
sections = statement._haoka_sections()
content = statement._haoka_xlsx(sections)
elapsed, queries = time.perf_counter() - start, cr.sql_log_count - queries
section = sections[0]
print("statement of %d movements (opening %s, closing %s; balance %s): data and .xlsx (%d KB) %5.2f s, %d SQL "
      "statements (target <= 3 s)" % (len(section.lines), section.opening, section.closing,
                                       agent._haoka_wallet_balance(commission)["balance"], len(content) // 1024,
                                       elapsed, queries))
env.invalidate_all()
queries, start = cr.sql_log_count, time.perf_counter()
report_html, _kind = env["ir.actions.report"]._render_qweb_html(REPORT, statement.ids)
elapsed, queries = time.perf_counter() - start, cr.sql_log_count - queries
print("statement of %d movements: the report's HTML (%d KB, the PDF's source) %5.2f s, %d SQL statements "
      "(target <= 3 s)" % (len(section.lines), len(report_html) // 1024, elapsed, queries))
env.cr.rollback()
