"""The finance views: 收支明细 (income and expenses of the SIM business) and 号卡经营报表 (revenue, refunds, cost of
the cards, commissions and margin), read from the journal items of real orders, invoices, a top-up, settlements
(a vendor bill and a wallet credit), a withdrawal fee, an adjustment and refunds; every figure is compared with
the amounts the test used. Access, companies, and the document each line opens."""

from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from ..tools.groups import FINANCE_GROUP
from .common import CommissionCase, activate_chinese, adult_id, make_iccid, make_sim_plan
from .test_withdrawal import make_bank_account

#: the amounts the flow uses (each figure asserted below is computed from these)
PRICE_29, PRICE_CU, PRICE_V = 50, 19, 60  # unit prices of the three plans
PREMIUM = 500  # the AAAA tail's number premium (data/haoka_number_grade_data.xml), charged on order B
COST_V = 12  # standard cost of a card of the valued plan (automated valuation)
SELLER_29, SELLER_ANY, TOP_RECEIVED = 40, 30, 5  # commission per card (tests/common.py CommissionCase rules)
TOPUP, ADJUSTMENT, WITHDRAWAL, FEE = 500, 20, 100, 2  # fee: 1 % of 100 = 1, raised to the 2 minimum
BOUGHT, BOUGHT_PRICE = 10, 3  # cards of plan 29 billed by the carrier last month (manual valuation: cost)
NON_SIM = 88  # a phone case sold on its own


class FinanceViewsCase(CommissionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write({
            "haoka_withdrawal_min_amount": 0, "haoka_withdrawal_max_per_day": 0,
            "haoka_withdrawal_one_in_flight": False, "haoka_withdrawal_interval_days": 0,
            "haoka_withdrawal_fee_percent": 1, "haoka_withdrawal_fee_min": FEE, "haoka_withdrawal_fee_max": 50,
            "haoka_withholding_method": "none",
        })
        cls.plan_cu.list_price = PRICE_CU
        category = cls.env["product.category"].create({
            "name": "Valued SIM plans", "property_valuation": "real_time", "property_cost_method": "standard"})
        cls.plan_v = make_sim_plan(cls.env, "Test Plan 60", list_price=PRICE_V, categ_id=category.id,
                                   standard_price=COST_V)
        Lot = cls.env["stock.lot"].with_context(haoka_manual_entry=True)
        cls.premium_card = Lot.create({"name": make_iccid("898601", 710), "product_id": cls.product_cu.id,
                                       "msisdn": "18600718888", "expiration_date": cls.days(300)})
        Lot.create([{"name": make_iccid("898600", 720 + i), "product_id": cls.plan_v.product_variant_id.id,
                     "msisdn": "1380072%04d" % (2947 + i * 1013), "expiration_date": cls.days(300)}
                    for i in range(2)])
        cls.prepaid = cls.env["haoka.wallet.type"]._haoka_get("prepaid")
        cls.commission_wallet = cls.env["haoka.wallet.type"]._haoka_get("commission")
        cls._run_the_business()

    @classmethod
    def _run_the_business(cls):
        """Orders A (plan 29), B (Unicom plan and a premium number) shipped, received, invoiced and paid; the
        seller (wallet) and the top distributor (vendor bill) settled; a top-up and an adjustment for mid; the
        seller's withdrawal; order C (valued plan); one card of A and of C refunded; cards billed last month;
        a sale that is no SIM business."""
        cls.seller.haoka_payout_method = "wallet"
        cls.order_a = cls._sim_order([{"product_id": cls.product.id, "product_uom_qty": 2}], "811")
        cls.order_b = cls._sim_order([{"product_id": cls.product_cu.id, "product_uom_qty": 1,
                                       "haoka_lot_ids": [Command.set(cls.premium_card.ids)]}], "812")
        cls.invoice_a, cls.invoice_b = (cls._ship_and_invoice(order, receive=True)
                                        for order in (cls.order_a, cls.order_b))
        Settlement = cls.env["haoka.commission.settlement"]
        cls.settlements = Settlement._prepare(fields.Date.context_today(cls.order_a), cls.seller | cls.top)
        cls.settlements.with_user(cls.finance).action_confirm()
        cls.topup = cls._topup(cls.mid, TOPUP)
        cls.adjustment = cls.env["haoka.wallet.transaction"].with_user(cls.finance).create({
            "kind": "adjustment", "amount": ADJUSTMENT, "partner_id": cls.mid.id, "wallet_type_id": cls.prepaid.id,
            "counterpart_account_id": cls._expense_account().id, "reason": "Goodwill for a late delivery"})
        cls.adjustment.action_post()
        cls.withdrawal = cls._withdraw(cls.seller, WITHDRAWAL)
        cls.order_c = cls._sim_order([{"product_id": cls.plan_v.product_variant_id.id, "product_uom_qty": 2}],
                                     "813")
        cls.invoice_c = cls._ship_and_invoice(cls.order_c)
        cls.credit_a = cls.order_a._haoka_refund(cls.order_a.order_line.haoka_lot_ids[:1], "退一张")[1]
        cls.credit_c = cls.order_c._haoka_refund(cls.order_c.order_line.haoka_lot_ids[:1], "退一张")[1]
        cls.last_month = fields.Date.context_today(cls.order_a).replace(day=1) - relativedelta(months=1)
        cls.cards_bill = cls._post_move("in_invoice", cls.env["res.partner"].create({"name": "China Mobile"}),
                                        cls.product, BOUGHT, BOUGHT_PRICE, invoice_date=cls.last_month)
        phone_case = cls.env["product.product"].create({"name": "Phone case", "type": "consu"})
        cls.non_sim = cls._post_move("out_invoice", cls.seller, phone_case, 1, NON_SIM)

    @classmethod
    def _sim_order(cls, lines, id_sequence):
        order = cls.env["sale.order"].create({
            "partner_id": cls.customer.id, "haoka_holder_name": "吴", "haoka_id_number": adult_id(sequence=id_sequence),
            "order_line": [Command.create(line) for line in lines]})
        order.action_confirm()
        return order

    @classmethod
    def _ship_and_invoice(cls, order, receive=False):
        order._haoka_ship(cls.env.ref("haoka_distribution.courier_sf"), "SF-FIN-%s" % order.id)
        if receive:
            order.action_haoka_confirm_receipt()
        invoice = order._create_invoices()
        invoice.action_post()
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids).create({}).action_create_payments()
        return invoice

    @classmethod
    def _topup(cls, partner, amount):
        payment = cls.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": partner.id, "amount": amount,
            "journal_id": cls.env["account.journal"].search(
                [("company_id", "=", cls.company.id), ("type", "=", "bank")], limit=1).id})
        payment.action_post()
        payment.with_user(cls.finance).action_haoka_wallet_topup()
        return payment

    @classmethod
    def _withdraw(cls, partner, amount):
        bank = make_bank_account(cls.env, partner, "6222020200199887766", holder=partner.haoka_kyc_name)
        withdrawal = cls.env["haoka.withdrawal"].with_user(cls.finance).create({
            "partner_id": partner.id, "wallet_type_id": cls.commission_wallet.id, "amount": amount,
            "partner_bank_id": bank.id})
        withdrawal.action_submit()
        withdrawal.action_approve()
        withdrawal.action_pay()
        return withdrawal

    @classmethod
    def _expense_account(cls):
        Account = cls.env["account.account"]
        return Account.search([*Account._check_company_domain(cls.company), ("account_type", "=", "expense")],
                              limit=1)

    @classmethod
    def _post_move(cls, move_type, partner, product, quantity, price, invoice_date=None):
        move = cls.env["account.move"].create({
            "move_type": move_type, "partner_id": partner.id, "invoice_date": invoice_date,
            "invoice_line_ids": [Command.create({"product_id": product.id, "quantity": quantity,
                                                 "price_unit": price, "tax_ids": [Command.clear()]})]})
        move.action_post()
        return move

    def figures(self, model, group, measures, domain=(), user=None):
        """``{group value: (measure, ...)}`` of ``model`` read as ``user`` (default: finance); a Many2one group
        is keyed by its record, month groups by their label."""
        Report = self.env[model].with_user(user or self.finance)
        groups = Report._read_group(list(domain), [group], [f"{m}:sum" for m in measures])
        return {key or False: tuple(round(value, 2) for value in values) for key, *values in groups}


class TestFinanceAnalysis(FinanceViewsCase):

    def test_income_and_expenses_by_type(self):
        refunds = PRICE_29 + PRICE_V
        commission_wallet = 2 * SELLER_29 + SELLER_ANY  # the seller's settlement (orders A and B), credited
        commission_bill = 3 * TOP_RECEIVED  # the top distributor's settlement (3 cards received), by vendor bill
        self.assertEqual({s.distributor_id: s.total for s in self.settlements},
                         {self.seller: commission_wallet, self.top: commission_bill})
        self.assertEqual(self.figures("haoka.finance.analysis", "line_type", ["income", "expense", "net"]), {
            "sale": (2 * PRICE_29 + PRICE_CU + PREMIUM + 2 * PRICE_V, 0, 2 * PRICE_29 + PRICE_CU + PREMIUM
                     + 2 * PRICE_V),
            "topup": (TOPUP, 0, TOPUP),
            "withdrawal_fee": (FEE, 0, FEE),
            "commission_wallet": (0, commission_wallet, -commission_wallet),
            "commission_bill": (0, commission_bill, -commission_bill),
            "refund": (0, refunds, -refunds),
            "adjustment": (0, ADJUSTMENT, -ADJUSTMENT),
        })
        income = 2 * PRICE_29 + PRICE_CU + PREMIUM + 2 * PRICE_V + TOPUP + FEE
        expense = commission_wallet + commission_bill + refunds + ADJUSTMENT
        self.assertEqual(self.figures("haoka.finance.analysis", "direction", ["income", "expense", "net"]), {
            "income": (income, 0, income), "expense": (0, expense, -expense)})

    def test_by_distributor_plan_carrier_and_month(self):
        sales = 2 * PRICE_29 + PRICE_CU + PREMIUM + 2 * PRICE_V
        self.assertEqual(self.figures("haoka.finance.analysis", "distributor_id", ["income", "expense"]), {
            self.seller: (sales + FEE, 2 * SELLER_29 + SELLER_ANY + PRICE_29 + PRICE_V),
            self.top: (0, 3 * TOP_RECEIVED),
            self.mid: (TOPUP, ADJUSTMENT),
        })
        self.assertEqual(self.figures("haoka.finance.analysis", "product_tmpl_id", ["income", "expense"]), {
            self.plan: (2 * PRICE_29, 2 * SELLER_29 + 2 * TOP_RECEIVED + PRICE_29),
            self.plan_cu: (PRICE_CU + PREMIUM, SELLER_ANY + TOP_RECEIVED),  # the premium counts with its plan
            self.plan_v: (2 * PRICE_V, PRICE_V),
            False: (TOPUP + FEE, ADJUSTMENT),  # money of the wallets, of no plan
        })
        by_carrier = self.figures("haoka.finance.analysis", "carrier_id", ["net"])
        self.assertEqual(by_carrier, {
            self.cmcc: (2 * PRICE_29 - 2 * SELLER_29 - 2 * TOP_RECEIVED - PRICE_29 + 2 * PRICE_V - PRICE_V,),
            self.cucc: (PRICE_CU + PREMIUM - SELLER_ANY - TOP_RECEIVED,),
            False: (TOPUP + FEE - ADJUSTMENT,),
        })
        # the bill of cards of last month is a cost, not in 收支明细: one month only
        months = self.figures("haoka.finance.analysis", "date:month", ["net"])
        self.assertEqual(list(months), [fields.Date.context_today(self.order_a).replace(day=1)])
        # the paid filter: the invoices are paid, the credit notes paid back
        paid = self.figures("haoka.finance.analysis", "line_type", ["net"],
                            domain=[("payment_state", "in", ("paid", "in_payment"))])
        self.assertEqual(paid["sale"], (2 * PRICE_29 + PRICE_CU + PREMIUM + 2 * PRICE_V,))

    def test_only_the_sim_business_appears(self):
        Analysis = self.env["haoka.finance.analysis"].with_user(self.finance)
        self.assertFalse(Analysis.search([("move_id", "=", self.non_sim.id)]))
        self.assertFalse(self.env["haoka.business.report"].search([("move_id", "=", self.non_sim.id)]))
        # the wallet payments of the settlement's bill and the withdrawal's payout are not counted again
        self.assertFalse(Analysis.search([("move_id", "in", self.withdrawal.payment_id.move_id.ids)]))
        credit = self.env["haoka.wallet.transaction"].search(
            [("kind", "=", "commission_credit"), ("partner_id", "=", self.seller.id)])
        self.assertEqual(len(credit), 1)
        self.assertFalse(Analysis.search([("move_id", "=", credit.move_id.id)]))
        wallet_lines = Analysis.search([("line_type", "=", "commission_wallet")])
        self.assertEqual(set(wallet_lines.wallet_transaction_id), {credit})
        self.assertEqual(set(wallet_lines.move_id), {self.settlements.filtered(
            lambda s: s.distributor_id == self.seller).move_id})

    def test_an_invoice_paid_from_a_wallet_counts_once(self):
        invoice = self._post_move("out_invoice", self.mid, self.product, 2, PRICE_29)
        payments = invoice._haoka_pay_from_wallet()
        self.assertEqual((payments.kind, payments.amount, invoice.payment_state),
                         ("order_payment", -2 * PRICE_29, "paid"))
        Analysis = self.env["haoka.finance.analysis"].with_user(self.finance)
        self.assertFalse(Analysis.search([("move_id", "=", payments.move_id.id)]))
        line = Analysis.search([("move_id", "=", invoice.id)])
        self.assertEqual((line.line_type, line.income, line.distributor_id, line.product_tmpl_id, line.payment_state),
                         ("sale", 2 * PRICE_29, self.mid, self.plan, "paid"))

    def test_each_line_opens_its_document(self):
        Analysis = self.env["haoka.finance.analysis"].with_user(self.finance)
        seller_bill, top_bill = (self.settlements.filtered(lambda s, d=d: s.distributor_id == d).move_id
                                 for d in (self.seller, self.top))
        expected = {
            "sale": {self.invoice_a, self.invoice_b, self.invoice_c},
            "refund": {self.credit_a, self.credit_c},
            "commission_wallet": {seller_bill},
            "commission_bill": {top_bill},
            "topup": {self.topup},
            "withdrawal_fee": {self.withdrawal},
            "adjustment": {self.adjustment},
        }
        opened = defaultdict(set)
        for line in Analysis.search([]):
            action = line.action_open_document()
            self.assertEqual((action["type"], action["views"]), ("ir.actions.act_window", [(False, "form")]))
            opened[line.line_type].add(self.env[action["res_model"]].browse(action["res_id"]))
        self.assertEqual(dict(opened), expected)

    def test_finance_and_managers_read_staff_cannot(self):
        for model in ("haoka.finance.analysis", "haoka.business.report"):
            with self.assertRaises(AccessError):
                self.env[model].with_user(self.staff).search([])
            self.assertTrue(self.env[model].with_user(self.manager).search_count([]))
            self.assertEqual(self.env[model].with_user(self.finance).search_count([]),
                             self.env[model].search_count([]))
            menu = self.env.ref("haoka_distribution.menu_haoka_finance")
            self.assertFalse(menu.with_user(self.staff)._filter_visible_menus())

    def test_shown_in_chinese(self):
        activate_chinese(self.env)
        zh = self.env(context=dict(self.env.context, lang="zh_CN"))
        self.assertEqual([zh.ref(f"haoka_distribution.{menu}").name for menu in (
            "menu_haoka_finance_analysis", "menu_haoka_business_report")], ["收支明细", "号卡经营报表"])
        types = dict(zh["haoka.finance.analysis"]._fields["line_type"]._description_selection(zh))
        self.assertEqual((types["sale"], types["commission_wallet"], types["cost"]),
                         ("订单收入", "佣金（记入钱包）", "号卡成本"))
        fields_ = zh["haoka.business.report"].fields_get(["revenue", "cost", "margin"], ["string"])
        self.assertEqual([fields_[name]["string"] for name in ("revenue", "cost", "margin")],
                         ["营业收入", "号卡成本", "毛利"])

    def test_another_company_is_not_seen(self):
        company_b = self.env["res.company"].create({"name": "SIM Finance Company B"})
        self.env["account.chart.template"].try_loading("generic_coa", company_b, install_demo=False)
        env_b = self.env(context=dict(self.env.context, allowed_company_ids=[company_b.id]))
        invoice = env_b["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.customer.id, "company_id": company_b.id,
            "invoice_line_ids": [Command.create({"product_id": self.product.id, "quantity": 1, "price_unit": 70,
                                                 "tax_ids": [Command.clear()]})]})
        invoice.action_post()
        self.assertEqual(self.figures("haoka.finance.analysis", "company_id", ["income"],
                                      domain=[("line_type", "=", "sale")]),
                         {self.company: (2 * PRICE_29 + PRICE_CU + PREMIUM + 2 * PRICE_V,)})
        both = new_test_user(self.env, login="haoka_finance_two", groups=FINANCE_GROUP,
                             company_ids=[Command.set((self.company | company_b).ids)])
        Analysis = self.env["haoka.finance.analysis"].with_user(both).with_context(
            allowed_company_ids=(self.company | company_b).ids)
        self.assertEqual(Analysis.search([("move_id", "=", invoice.id)]).mapped("income"), [70])
        self.assertEqual(Analysis.with_context(allowed_company_ids=self.company.ids).search_count(
            [("move_id", "=", invoice.id)]), 0)


class TestBusinessReport(FinanceViewsCase):

    def test_revenue_cost_commission_refund_and_margin_per_plan(self):
        measures = ["revenue", "refund", "cost", "commission", "margin"]
        this_month = [("date", ">=", fields.Date.context_today(self.order_a).replace(day=1))]
        figures = self.figures("haoka.business.report", "product_tmpl_id", measures, domain=this_month)
        revenue_29, refund_29, commission_29 = 2 * PRICE_29, PRICE_29, 2 * SELLER_29 + 2 * TOP_RECEIVED
        revenue_cu, commission_cu = PRICE_CU + PREMIUM, SELLER_ANY + TOP_RECEIVED
        # automated valuation: COGS of the invoice (2 cards) less the card refunded on the credit note
        revenue_v, refund_v, cost_v = 2 * PRICE_V, PRICE_V, 2 * COST_V - COST_V
        self.assertEqual(figures, {
            self.plan: (revenue_29, refund_29, 0, commission_29, revenue_29 - refund_29 - commission_29),
            self.plan_cu: (revenue_cu, 0, 0, commission_cu, revenue_cu - commission_cu),
            self.plan_v: (revenue_v, refund_v, cost_v, 0, revenue_v - refund_v - cost_v),
        })
        # manual valuation: the cards billed last month are that month's cost
        cost_bought = BOUGHT * BOUGHT_PRICE
        months = self.figures("haoka.business.report", "date:month", measures)
        self.assertEqual(months[self.last_month], (0, 0, cost_bought, 0, -cost_bought))
        self.assertEqual(len(months), 2)
        by_carrier = self.figures("haoka.business.report", "carrier_id", ["margin"])
        self.assertEqual(by_carrier, {
            self.cmcc: (revenue_29 - refund_29 - commission_29 + revenue_v - refund_v - cost_v - cost_bought,),
            self.cucc: (revenue_cu - commission_cu,),
        })

    def test_wallet_money_is_not_business_result(self):
        types = set(self.env["haoka.business.report"].search([]).mapped("line_type"))
        self.assertEqual(types, {"sale", "refund", "commission_wallet", "commission_bill", "cost"})
        cost_lines = self.env["haoka.business.report"].search([("line_type", "=", "cost")])
        self.assertEqual({line.document_ref for line in cost_lines}, {self.invoice_c, self.credit_c, self.cards_bill})

    def test_continental_company_counts_the_deliveries_valuation(self):
        """l10n_cn's chart keeps continental accounting: with automated valuation the cost of the cards is the
        valuation entry of their delivery (the invoice has no COGS line)."""
        company = self.env["res.company"].create({"name": "号卡经营公司", "country_id": self.env.ref("base.cn").id,
                                                  "currency_id": self.env.ref("base.CNY").id})
        self.env["account.chart.template"].try_loading("cn", company, install_demo=False)
        self.assertFalse(company.anglo_saxon_accounting)
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        self.plan_v.categ_id.with_company(company).write(
            {"property_valuation": "real_time", "property_cost_method": "standard"})
        self.plan_v.product_variant_id.with_company(company).standard_price = COST_V
        env["stock.lot"].with_context(haoka_manual_entry=True).create({
            "name": make_iccid("898600", 730), "product_id": self.plan_v.product_variant_id.id,
            "msisdn": "13800735821", "expiration_date": self.days(300), "company_id": company.id})
        pricelist = env["product.pricelist"].create({"name": "CNY", "currency_id": company.currency_id.id,
                                                     "company_id": company.id})
        order = env["sale.order"].create({
            "partner_id": self.customer.id, "haoka_holder_name": "吴", "haoka_id_number": adult_id(sequence="814"),
            "pricelist_id": pricelist.id,
            "order_line": [Command.create({"product_id": self.plan_v.product_variant_id.id, "product_uom_qty": 1})]})
        order.action_confirm()
        invoice = self._ship_and_invoice(order)
        self.assertFalse(invoice.line_ids.filtered(lambda line: line.display_type == "cogs"))
        Report = env["haoka.business.report"]
        groups = Report._read_group([("company_id", "=", company.id)], ["line_type"],
                                    ["revenue:sum", "cost:sum", "margin:sum"])
        self.assertEqual({key: tuple(values) for key, *values in groups},
                         {"sale": (PRICE_V, 0, PRICE_V), "cost": (0, COST_V, -COST_V)})
        delivery = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        cost_line = Report.search([("line_type", "=", "cost"), ("company_id", "=", company.id)])
        self.assertEqual(cost_line.move_id.stock_move_id, delivery.move_ids)
        self.assertEqual(cost_line.document_ref, cost_line.move_id)
