"""Shared test fixtures: ICCID and ID-number builders, the base test classes (plans, users, the
distribution network with commission rules, order builders), languages, and transactions of their own
for race tests. Every test class here runs after the install (``post_install``): under Odoo's runner the
chart of accounts is only there once every module is installed, as it always is for pytest-odoo."""

from contextlib import contextmanager
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase
from odoo.tools import SQL

from ..tools import idcard, sim
from ..tools.groups import FINANCE_GROUP, MANAGER_GROUP, USER_GROUP


def make_iccid(prefix, serial, valid=True):
    """A 20-digit ICCID ``prefix + serial`` padded, with a right (or deliberately wrong) check digit."""
    body = (prefix + str(serial).rjust(19 - len(prefix), "0"))[:19]
    digit = sim.luhn_check_digit(body)
    if not valid:
        digit = str((int(digit) + 1) % 10)
    return body + digit


def make_id_number(birth, region="110105", sequence="001"):
    """A valid resident ID number for someone born on ``birth``."""
    first17 = region + birth.strftime("%Y%m%d") + sequence
    return first17 + idcard.check_char(first17)


def adult_id(years=30, sequence="001"):
    import datetime

    today = datetime.date.today()
    return make_id_number(today.replace(year=today.year - years, day=1), sequence=sequence)


def remove_plan_stock(cr, product_id):
    """Delete a test plan's cards and the receipts that brought them into stock (committed data)."""
    cr.execute("SELECT DISTINCT picking_id FROM stock_move WHERE product_id = %s AND picking_id IS NOT NULL",
               (product_id,))
    picking_ids = [row[0] for row in cr.fetchall()]
    for table in ("stock_valuation_layer", "stock_move_line", "stock_move", "stock_quant"):
        cr.execute(f"DELETE FROM {table} WHERE product_id = %s", (product_id,))  # noqa: S608
    cr.execute("DELETE FROM stock_picking WHERE id = ANY(%s)", (picking_ids,))
    # followers and messages name their record without a foreign key: SQL deletes leave them behind
    cr.execute("DELETE FROM mail_followers WHERE res_model = 'stock.picking' AND res_id = ANY(%s)", (picking_ids,))
    cr.execute("DELETE FROM mail_message WHERE model = 'stock.picking' AND res_id = ANY(%s)", (picking_ids,))
    cr.execute("DELETE FROM stock_lot WHERE product_id = %s", (product_id,))


def make_sim_plan(env, name, carrier="haoka_distribution.carrier_cmcc", **vals):
    """A SIM-card plan (product template) of ``carrier`` (an XML id)."""
    return env["product.template"].create(
        dict({"name": name, "is_sim_card": True, "haoka_carrier_id": env.ref(carrier).id}, **vals)
    )


def make_distributor(env, name, id_sequence, parent=None):
    """A distributor under ``parent`` whose 实名 (KYC) review is approved; ``id_sequence`` makes its ID number."""
    agent = env["res.partner"].create({"name": name, "haoka_is_distributor": True,
                                       "haoka_parent_distributor_id": parent.id if parent else False})
    agent.write({"haoka_kyc_name": name, "haoka_kyc_id_number": adult_id(sequence=id_sequence)})
    agent.action_haoka_kyc_submit()
    agent.action_haoka_kyc_approve()
    return agent


def activate_chinese(env):
    """Activate zh_CN with this module's terms, for a test that shows Chinese: the test database is
    installed in English only (as CI and Odoo's runner install it). Nothing is done when zh_CN is active."""
    lang = env["res.lang"].with_context(active_test=False).search([("code", "=", "zh_CN")])
    if not lang.active:
        env["res.lang"]._activate_lang("zh_CN")
        env["ir.module.module"]._load_module_terms(["haoka_distribution"], ["zh_CN"])
        # labels read in zh_CN before the terms were loaded (e.g. by an earlier, rolled-back test) are cached
        # by the registry, which a rollback does not clear
        env.registry.clear_cache()


@contextmanager
def separate_env(registry, uid=SUPERUSER_ID, context=None):
    """An environment on a database connection of its own (another user's transaction, as in a second
    request of a real server), committed when the block ends, rolled back on an error; under pytest-odoo
    and under Odoo's runner alike.

    ``registry.cursor()`` cannot be used for that: in an HttpCase's test mode it returns a proxy of the
    test cursor, and under Odoo's runner the thread running the tests holds ``Registry._lock``, so another
    thread waits for ever when it makes an environment on a new cursor (that looks the registry up by
    name). The cursor is therefore taken from the registry's connection pool and given its transaction.
    """
    cr = registry._db.cursor()
    cr.transaction = api.Transaction(registry)
    with cr:
        yield api.Environment(cr, uid, dict(context or {}))


def committed_row_counts(registry):
    """The number of committed rows of every table of the database, read on a connection of its own: a
    test that commits compares them before and after, to show it leaves nothing behind."""
    with separate_env(registry) as env:
        env.cr.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [name for (name,) in env.cr.fetchall()]
        env.cr.execute(SQL(" UNION ALL ").join(
            SQL("SELECT %s, count(*) FROM %s", name, SQL.identifier(name)) for name in tables))
        return dict(env.cr.fetchall())


@tagged("post_install", "-at_install")
class HaokaCase(TransactionCase):
    """Shared set-up: the shipped carriers, two SIM plans, one ordinary product, users per group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.cmcc = cls.env.ref("haoka_distribution.carrier_cmcc")
        cls.cucc = cls.env.ref("haoka_distribution.carrier_cucc")
        Template = cls.env["product.template"]
        cls.plan = Template.create(
            {"name": "Test Plan 29", "is_sim_card": True, "haoka_carrier_id": cls.cmcc.id, "list_price": 29}
        )
        cls.plan_b = Template.create(
            {"name": "Test Plan 39", "is_sim_card": True, "haoka_carrier_id": cls.cmcc.id, "list_price": 39}
        )
        cls.plan_cu = Template.create(
            {"name": "Test Unicom 19", "is_sim_card": True, "haoka_carrier_id": cls.cucc.id, "list_price": 19}
        )
        cls.product = cls.plan.product_variant_id
        cls.product_b = cls.plan_b.product_variant_id
        cls.product_cu = cls.plan_cu.product_variant_id
        cls.other_product = cls.env["product.product"].create(
            {"name": "Phone charger", "type": "consu", "is_storable": True, "tracking": "serial"}
        )
        cls.staff = new_test_user(
            cls.env, login="haoka_staff", groups=USER_GROUP, name="Staff Zhang"
        )
        cls.manager = new_test_user(
            cls.env, login="haoka_manager", groups=MANAGER_GROUP, name="Manager Li"
        )
        cls.finance = new_test_user(
            cls.env, login="haoka_finance", groups=FINANCE_GROUP, name="Finance Wang"
        )

    def create_card(self, serial, msisdn=None, product=None, **vals):
        product = product or self.product
        prefix = "898601" if product.haoka_carrier_id == self.cucc else "898600"
        values = {"name": make_iccid(prefix, serial), "product_id": product.id, "msisdn": msisdn}
        values.update(vals)
        return self.env["stock.lot"].create(values)

    @staticmethod
    def days(n):
        return fields.Datetime.now() + timedelta(days=n)

    def invoice_and_pay(self, order):
        """Invoice ``order``, post the invoice and pay it in full; returns the invoice."""
        invoice = order._create_invoices()
        invoice.action_post()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({}).action_create_payments()
        return invoice

    def assertNoRowsLeft(self, before):
        """Every table has as many committed rows as in ``before`` (from :func:`committed_row_counts`)."""
        after = committed_row_counts(self.env.registry)
        changed = {table: (before.get(table), count) for table, count in after.items() if before.get(table) != count}
        self.assertEqual(changed, {}, "committed rows left behind (table: rows before, after)")


class CommissionCase(HaokaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.top = make_distributor(cls.env, "Top Agent", "900")
        cls.mid = make_distributor(cls.env, "Mid Agent", "901", parent=cls.top)
        cls.seller = make_distributor(cls.env, "Seller Agent", "902", parent=cls.mid)
        Rule = cls.env["haoka.commission.rule"]
        cls.rule_seller_all = Rule.create({"name": "Seller 30/card on shipping", "tier": 0, "amount": 30,
                                           "trigger": "shipped", "payout_timing": "instant"})
        cls.rule_seller_plan = Rule.create({"name": "Seller 40/card for plan 29", "tier": 0, "amount": 40,
                                            "trigger": "shipped", "payout_timing": "instant",
                                            "product_tmpl_id": cls.plan.id})
        cls.rule_upline = Rule.create({"name": "Upline 10% at order", "tier": 1, "amount_type": "percent",
                                       "amount": 10, "trigger": "confirmed", "payout_timing": "monthly"})
        cls.rule_top = Rule.create({"name": "Top 5/card on receipt", "tier": 2, "amount": 5,
                                    "trigger": "received", "payout_timing": "instant"})
        cls.customer = Partner.create({"name": "Customer Wu", "haoka_referrer_id": cls.seller.id})
        Lot = cls.env["stock.lot"].with_context(haoka_manual_entry=True)
        cls.cards = Lot.create([
            {"name": make_iccid("898600", 500 + i), "product_id": cls.product.id, "msisdn": "1380050%04d" % i,
             "expiration_date": cls.days(300)} for i in range(6)
        ])
        cls.plan.list_price = 50

    def order(self, qty=2, **vals):
        values = {
            "partner_id": self.customer.id,
            "haoka_holder_name": "吴",
            "haoka_id_number": adult_id(sequence="8%02d" % qty),
            "order_line": [fields.Command.create({"product_id": self.product.id, "product_uom_qty": qty})],
        }
        values.update(vals)
        order = self.env["sale.order"].create(values)
        order.action_confirm()
        return order

    def line_of(self, order, distributor):
        return order.haoka_commission_line_ids.filtered(
            lambda l: l.distributor_id == distributor and not l.clawback_of_id
        )


class CarrierEventCase(CommissionCase):
    """Shared set-up of the carrier-event and upstream-event tests: the activation and first top-up rules, more
    cards, and shipped orders each with an ID number of their own. Subclasses say how their cards, ID numbers and
    tracking numbers are numbered, so that each test module keeps the values it had."""

    topup_payout_timing = "instant"
    card_serial = 700  # first serial of the extra cards
    card_count = 6
    msisdn_format = "1380060%04d"
    id_prefix = "7"  # ID number sequences of the shipped orders: <prefix>01, <prefix>02, ...
    tracking_prefix = "SF-C"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Rule = cls.env["haoka.commission.rule"]
        cls.rule_activation = Rule.create({"name": "Seller 20/card on activation", "tier": 0, "amount": 20,
                                           "trigger": "activated", "payout_timing": "instant"})
        cls.rule_topup = Rule.create({"name": "Seller 15/card on first top-up ≥ 50", "tier": 0, "amount": 15,
                                      "trigger": "first_topup", "first_topup_min": 50,
                                      "payout_timing": cls.topup_payout_timing})
        cls.cards |= cls.env["stock.lot"].with_context(haoka_manual_entry=True).create([
            {"name": make_iccid("898600", cls.card_serial + i), "product_id": cls.product.id,
             "msisdn": cls.msisdn_format % i, "expiration_date": cls.days(300)} for i in range(cls.card_count)])
        cls.today = fields.Date.context_today(cls.rule_activation)
        cls.sequence = 0

    def shipped_order(self, qty=1, ship=True):
        type(self).sequence += 1
        order = self.order(qty=qty, haoka_id_number=adult_id(sequence="%s%02d" % (self.id_prefix, self.sequence)))
        if ship:
            order._haoka_ship(self.env.ref("haoka_distribution.courier_sf"),
                              "%s%s" % (self.tracking_prefix, self.sequence))
        return order

    def line(self, order, trigger):
        return order.haoka_commission_line_ids.filtered(lambda l: l.trigger == trigger and not l.clawback_of_id)
