"""Several companies: a SIM card exists once in every company and gets the company Odoo gives a lot;
the hold, automatic receipt, activation deadline and expiry warning are settings of each company; users
of one company do not see the distribution records of another."""

from datetime import timedelta
from pathlib import Path

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.modules.migration import load_script
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from ..tools.groups import FINANCE_GROUP, MANAGER_GROUP
from .common import CommissionCase, HaokaCase, activate_chinese, make_iccid, make_sim_plan

MIGRATIONS = Path(__file__).parents[1] / "migrations"


class MultiCompanyCase(HaokaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "SIM Company B"})
        cls.branch = cls.env["res.company"].create({"name": "SIM Branch A1", "parent_id": cls.company_a.id})

    def in_company(self, company):
        """The environment of a user working in ``company`` only."""
        return self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))


@tagged("post_install", "-at_install")
class TestCardsAcrossCompanies(MultiCompanyCase):
    def test_an_iccid_exists_once_in_every_company(self):
        card = self.create_card(1, msisdn="13800000001", company_id=self.company_a.id)
        with self.assertRaisesRegex(ValidationError, "ICCID %s is already used by card %s \\(Test Plan 29, company "
                                    "%s\\): a card exists once, in every company" % (card.name, card.name,
                                                                                     self.company_a.name)):
            self.create_card(1, company_id=self.company_b.id)

    def test_a_number_exists_once_in_every_company(self):
        card = self.create_card(2, msisdn="13800000002", company_id=self.company_a.id)
        with self.assertRaisesRegex(ValidationError, "Phone number 13800000002 is already used by card %s "
                                    "\\(Test Plan 29, company %s\\)" % (card.name, self.company_a.name)):
            self.create_card(3, msisdn="13800000002", company_id=self.company_b.id)
        other = self.create_card(4, msisdn="13800000004", company_id=self.company_b.id)
        with self.assertRaisesRegex(ValidationError, "Phone number 13800000002 is already used by card %s "
                                    "\\(Test Plan 29, company %s\\)" % (card.name, self.company_a.name)):
            other.msisdn = "138 0000 0002"

    def test_the_duplicate_is_named_in_chinese(self):
        activate_chinese(self.env)
        card = self.create_card(7, company_id=self.company_a.id)
        Lot = self.env["stock.lot"].with_context(lang="zh_CN")
        message = "ICCID %s 已被号卡 %s（Test Plan 29，公司 %s） 使用：一张卡在所有公司中只能存在一次。" % (
            card.name, card.name, self.company_a.name)
        with self.assertRaisesRegex(ValidationError, message):
            Lot.create({"name": card.name, "product_id": self.product.id, "company_id": self.company_b.id})

    def test_the_database_refuses_a_card_of_another_company(self):
        """The unique indexes hold whatever writes the rows (the bulk import writes with COPY)."""
        card = self.create_card(5, msisdn="13800000005", company_id=self.company_a.id)
        for column, value in (("name", card.name), ("msisdn", card.msisdn)):
            other = self.create_card(6 + len(column), company_id=self.company_b.id)
            with self.assertRaises(psycopg2.errors.UniqueViolation), mute_logger("odoo.sql_db"), \
                    self.env.cr.savepoint():
                self.env.cr.execute(f"UPDATE stock_lot SET {column} = %s WHERE id = %s", (value, other.id))

    def test_a_card_gets_the_company_odoo_gives_a_lot(self):
        """As Odoo's ``stock.lot``: the company of the plan, or the branch working with a plan of its parent;
        no company for a plan shared by all companies."""
        plan_a = make_sim_plan(self.env, "Plan of A", company_id=self.company_a.id).product_variant_id
        Lot = self.env["stock.lot"]
        in_a = Lot.with_env(self.in_company(self.company_a)).create(
            {"name": make_iccid("898600", 20), "product_id": plan_a.id})
        in_branch = Lot.with_env(self.in_company(self.branch)).create(
            {"name": make_iccid("898600", 21), "product_id": plan_a.id})
        shared = Lot.with_env(self.in_company(self.company_b)).create(
            {"name": make_iccid("898600", 22), "product_id": self.product.id})
        self.assertEqual((in_a.company_id, in_branch.company_id, shared.company_id),
                         (self.company_a, self.branch, self.env["res.company"]))

    def test_a_card_entered_in_a_branch_is_received_there(self):
        plan_a = make_sim_plan(self.env, "Plan of A", company_id=self.company_a.id).product_variant_id
        card = self.env["stock.lot"].with_env(self.in_company(self.branch)).with_context(
            haoka_manual_entry=True).create({"name": make_iccid("898600", 23), "product_id": plan_a.id})
        self.assertEqual(card.company_id, self.branch)
        self.assertEqual(card.quant_ids.filtered(lambda q: q.location_id.usage == "internal").mapped(
            "location_id.warehouse_id.company_id"), self.branch)

    def test_cards_imported_into_a_branch_belong_to_the_branch(self):
        """An import of a plan of the parent into the branch's warehouse gives the branch's cards, on the fast
        path and on Odoo's standard path alike; into a company that is not a branch, the plan's company."""
        plan_a = make_sim_plan(self.env, "Imported Plan of A", company_id=self.company_a.id).product_variant_id
        Bulk = self.env["haoka.stock.bulk"].with_env(self.in_company(self.branch))
        branch_stock = self.env["stock.warehouse"].search([("company_id", "=", self.branch.id)], limit=1).lot_stock_id
        b_stock = self.env["stock.warehouse"].search([("company_id", "=", self.company_b.id)], limit=1).lot_stock_id

        def cards(start):
            return [{"iccid": make_iccid("898600", start + i), "product": plan_a, "msisdn": "1390024%04d" % (start + i),
                     "puk": "12345678", "pin": "1234", "expiration_date": None} for i in range(2)]

        fast = Bulk._import_cards([cards(2400)], {plan_a: 2}, branch_stock, "fast").move_line_ids.lot_id
        standard = Bulk._standard_import([cards(2410)], {plan_a: 2}, branch_stock, "standard").move_line_ids.lot_id
        self.assertEqual((fast.company_id, standard.company_id), (self.branch, self.branch))
        self.assertEqual(Bulk._lot_company(plan_a, b_stock), self.company_a)
        self.assertEqual(Bulk._lot_company(plan_a, branch_stock), self.branch)


@tagged("post_install", "-at_install")
class TestSettingsPerCompany(MultiCompanyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Customer Sun"})

    def quotation(self, company, card):
        return self.env["sale.order"].with_company(company).create({
            "partner_id": self.customer.id, "company_id": company.id,
            "order_line": [fields.Command.create({"product_id": self.product.id,
                                                  "haoka_lot_ids": [fields.Command.set(card.ids)]})],
        })

    def test_settings_are_saved_for_the_current_company(self):
        Settings = self.env["res.config.settings"]
        Settings.with_env(self.in_company(self.company_b)).create(
            {"haoka_hold_minutes": 90, "haoka_auto_receipt_days": 3, "haoka_activation_days": 15,
             "haoka_expiry_warning_days": 60}).execute()
        values = ["haoka_hold_minutes", "haoka_auto_receipt_days", "haoka_activation_days",
                  "haoka_expiry_warning_days"]
        self.assertEqual([self.company_b[name] for name in values], [90, 3, 15, 60])
        self.assertEqual([self.company_a[name] for name in values], [30, 7, 30, 30])
        self.assertEqual(Settings.with_env(self.in_company(self.company_b)).create({}).haoka_hold_minutes, 90)
        self.assertEqual(Settings.with_env(self.in_company(self.company_a)).create({}).haoka_hold_minutes, 30)
        with self.assertRaisesRegex(ValidationError, "at least 1"):
            self.company_b.haoka_hold_minutes = 0

    def test_a_number_is_held_as_long_as_its_order_company_says(self):
        self.company_b.haoka_hold_minutes = 90
        card_a, card_b = self.create_card(30), self.create_card(31)
        before = fields.Datetime.now()
        self.quotation(self.company_a, card_a)
        self.quotation(self.company_b, card_b)
        self.assertEqual(card_a.card_state, "reserved")
        self.assertAlmostEqual(card_a.haoka_hold_until, before + timedelta(minutes=30), delta=timedelta(minutes=1))
        self.assertAlmostEqual(card_b.haoka_hold_until, before + timedelta(minutes=90), delta=timedelta(minutes=1))

    def test_automatic_receipt_after_the_days_of_the_order_company(self):
        self.company_b.haoka_auto_receipt_days = 30
        orders = self.env["sale.order"]
        for company in (self.company_a, self.company_b):
            orders |= self.env["sale.order"].create({
                "partner_id": self.customer.id, "company_id": company.id, "haoka_fulfilment_state": "shipped",
                "haoka_shipped_date": fields.Datetime.now() - timedelta(days=10),
            })
        self.env["sale.order"]._cron_haoka_auto_receipt()
        self.assertEqual(orders.mapped("haoka_fulfilment_state"), ["received", "shipped"])

    def test_expiry_warning_of_the_card_company(self):
        """A card expiring in 50 days is expiring soon in a company warning 60 days ahead, not in one warning
        30 days ahead; a card of no company follows the current company."""
        self.company_a.haoka_expiry_warning_days = 60
        card_a = self.create_card(40, expiration_date=self.days(50), company_id=self.company_a.id)
        card_b = self.create_card(41, expiration_date=self.days(50), company_id=self.company_b.id)
        shared = self.create_card(42, expiration_date=self.days(50), company_id=False)
        cards = card_a | card_b | shared
        for company, expected in ((self.company_a, card_a | shared), (self.company_b, card_a)):
            env = self.in_company(company)
            found = self.env["stock.lot"].with_env(env).search([("id", "in", cards.ids), ("expiring_soon", "=", True)])
            self.assertEqual(found, expected, company.name)
            self.assertEqual(cards.with_env(env).filtered("expiring_soon"), expected, company.name)
            not_found = self.env["stock.lot"].with_env(env).search(
                [("id", "in", cards.ids), ("expiring_soon", "=", False)])
            self.assertEqual(not_found, cards - expected, company.name)

    def test_the_daily_job_warns_with_the_days_of_the_plan_company(self):
        """The expiry job, run for the whole database, raises an activity for a plan of company B whose card
        expires within B's warning days (60), not within the current company's (30)."""
        self.company_b.haoka_expiry_warning_days = 60
        plan_b = make_sim_plan(self.env, "Plan of B", company_id=self.company_b.id)
        self.create_card(43, product=plan_b.product_variant_id, expiration_date=self.days(50),
                         company_id=self.company_b.id)
        self.env["stock.lot"]._cron_haoka_card_expiry()
        activity = self.env["mail.activity"].search([("res_model", "=", "product.template"),
                                                     ("res_id", "=", plan_b.id)])
        self.assertEqual(len(activity), 1)
        self.assertIn("expire within 60 days", activity.note)

    def test_update_gives_the_database_settings_to_every_company(self):
        Param = self.env["ir.config_parameter"]
        for key, value in (("hold_minutes", "45"), ("auto_receipt_days", "10"), ("activation_days", "0"),
                           ("expiry_warning_days", "not a number")):
            Param.set_param("haoka_distribution." + key, value)
        script = load_script(str(MIGRATIONS / "18.0.1.2.0" / "post-migrate.py"), "haoka_post_migrate_18_0_1_2_0")
        script.migrate(self.env.cr, "18.0.1.1.0")
        for company in (self.company_a, self.company_b, self.branch):
            self.assertEqual((company.haoka_hold_minutes, company.haoka_auto_receipt_days,
                              company.haoka_activation_days, company.haoka_expiry_warning_days), (45, 10, 1, 30))
        self.assertEqual(Param.search_count([("key", "in", list(script.MOVED))]), 0)


@tagged("post_install", "-at_install")
class TestActivationDeadlinePerCompany(CommissionCase):
    def test_deadline_of_the_commission_company(self):
        """Lines waiting for an activation 31 days after shipping: not payable where the deadline is 20
        days, still expected where it is 60."""
        Rule = self.env["haoka.commission.rule"]
        Rule.create({"name": "Seller 20/card on activation", "tier": 0, "amount": 20, "trigger": "activated",
                     "payout_timing": "instant"})
        company_b = self.env["res.company"].create({"name": "SIM Company B", "haoka_activation_days": 20})
        self.env.company.haoka_activation_days = 60
        orders = self.order(qty=1) | self.order(qty=2)
        for index, order in enumerate(orders):
            order._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF-MC%s" % index)
        orders.haoka_shipped_date = fields.Datetime.now() - relativedelta(days=31)
        lines = orders.haoka_commission_line_ids.filtered(lambda line: line.trigger == "activated")
        self.assertEqual(len(lines), 2)
        lines[1].sudo().company_id = company_b  # as if its order had been sold by company B
        self.env["haoka.commission.line"]._cron_carrier_deadlines()
        self.assertEqual([(line.state, line.reason_code) for line in lines],
                         [("expected", "trigger_pending"), ("not_payable", "not_activated")])


@tagged("post_install", "-at_install")
class TestRecordsOfOtherCompanies(CommissionCase):
    def test_users_of_one_company_do_not_see_another(self):
        """A manager and finance user of company B sees none of company A's commission rules and lines,
        order chains, settlements, blacklist entries, number grades or analysis rows; a user of A sees them."""
        order = self.order(qty=1)
        company_a = self.env.company
        company_b = self.env["res.company"].create({"name": "SIM Company B"})
        settlement = self.env["haoka.commission.settlement"].create(
            {"distributor_id": self.seller.id, "company_id": company_a.id, "date_to": fields.Date.today()})
        blacklist = self.env["haoka.blacklist"].create(
            {"name": "黑名单", "reason": "fraud", "company_id": company_a.id})
        grade = self.env["haoka.number.grade"].create({"name": "A only", "company_id": company_a.id,
                                                        "pattern_kind": "repeat", "level": 1})
        records = {
            "haoka.commission.rule": self.rule_seller_all,
            "haoka.commission.line": order.haoka_commission_line_ids,
            "haoka.order.chain": self.env["haoka.order.chain"].search([("order_id", "=", order.id)]),
            "haoka.commission.settlement": settlement,
            "haoka.blacklist": blacklist,
            "haoka.number.grade": grade,
            "haoka.distribution.report": self.env["haoka.distribution.report"].search([("order_id", "=", order.id)]),
            "haoka.distribution.funnel": self.env["haoka.distribution.funnel"].search(
                [("distributor_id", "=", self.seller.id)]),
        }
        self.assertTrue(all(records.values()), [model for model, found in records.items() if not found])
        self.assertEqual(records["haoka.order.chain"].company_id, company_a)
        user_b = new_test_user(self.env, login="haoka_manager_b", groups=f"{MANAGER_GROUP},{FINANCE_GROUP}",
                               company_id=company_b.id, company_ids=[company_b.id])
        user_a = new_test_user(self.env, login="haoka_manager_a", groups=f"{MANAGER_GROUP},{FINANCE_GROUP}",
                               company_id=company_a.id, company_ids=[company_a.id])
        self.env.flush_all()
        for model, found in records.items():
            self.assertEqual(self.env[model].with_user(user_b).search([("id", "in", found.ids)]).ids, [], model)
            self.assertEqual(self.env[model].with_user(user_a).search([("id", "in", found.ids)]).ids, found.ids,
                             model)
