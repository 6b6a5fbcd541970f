"""Distributor balances in the general ledger: wallet types per company, movements and their journal entries,
top-ups (by finance and online), settlements credited to the wallet, orders paid from balances and refunded
to them, the parallel payments, the daily check, adjustments and access."""

import threading
import uuid

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from ..tools.groups import FINANCE_GROUP
from .common import CommissionCase, activate_chinese, committed_row_counts, make_distributor, separate_env


class WalletCase(CommissionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.WalletType = cls.env["haoka.wallet.type"]
        cls.Tx = cls.env["haoka.wallet.transaction"]
        cls.prepaid = cls.WalletType._haoka_get("prepaid")
        cls.commission = cls.WalletType._haoka_get("commission")
        cls.agent = make_distributor(cls.env, "Wallet Agent", "930")
        cls.other_account = cls.env["account.account"].search(
            [*cls.env["account.account"]._check_company_domain(cls.env.company),
             ("account_type", "=", "expense")], limit=1)

    def credit(self, partner, wallet_type, amount, kind="adjustment"):
        return self.Tx._haoka_post_movement(partner, wallet_type, amount, kind, self.other_account,
                                            key=uuid.uuid4().hex, reason="test")

    def balance(self, partner, wallet_type):
        return partner._haoka_wallet_balance(wallet_type)

    def inbound_payment(self, partner, amount):
        payment = self.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": partner.id, "amount": amount,
            "journal_id": self.env["account.journal"].search(
                [("company_id", "=", self.env.company.id), ("type", "=", "bank")], limit=1).id,
        })
        payment.action_post()
        return payment

    def customer_invoice(self, partner, amount):
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": partner.id,
            "invoice_line_ids": [Command.create({"name": "Cards", "quantity": 1, "price_unit": amount,
                                                 "tax_ids": [Command.clear()]})],
        })
        invoice.action_post()
        return invoice


class TestWalletLedger(WalletCase):

    def test_types_accounts_and_journal_per_company(self):
        company = self.env.company
        self.assertEqual((self.prepaid.withdrawable, self.prepaid.spendable), (False, True))
        self.assertEqual((self.commission.withdrawable, self.commission.spendable), (True, True))
        self.assertEqual({self.prepaid.account_id.account_type, self.commission.account_id.account_type},
                         {"liability_current"})
        self.assertNotEqual(self.prepaid.account_id, self.commission.account_id)
        self.assertEqual((self.prepaid.journal_id.code, self.prepaid.journal_id.type), ("WLT", "general"))
        self.assertEqual(company.haoka_withdrawal_hold_account_id.account_type, "liability_current")
        self.assertEqual(self.WalletType.search_count([("company_id", "=", company.id)]), 2)
        # set-up again creates nothing
        self.WalletType._haoka_setup_company(company)
        self.assertEqual(self.WalletType.search_count([("company_id", "=", company.id)]), 2)

    def test_movement_entry_balance_and_idempotency(self):
        tx = self.Tx._haoka_post_movement(self.agent, self.prepaid, 100, "topup", self.other_account, key="k-1",
                                          ref="Top-up test")
        self.assertEqual((tx.state, tx.amount, tx.balance_after, tx.move_id.state), ("posted", 100, 100, "posted"))
        self.assertEqual(tx.move_id.journal_id, self.prepaid.journal_id)
        lines = sorted((line.account_id.id, line.partner_id.id, line.debit, line.credit)
                       for line in tx.move_id.line_ids)
        self.assertEqual(lines, sorted([(self.prepaid.account_id.id, self.agent.id, 0, 100),
                                        (self.other_account.id, self.agent.id, 100, 0)]))
        # the same key posts nothing twice
        again = self.Tx._haoka_post_movement(self.agent, self.prepaid, 100, "topup", self.other_account, key="k-1")
        self.assertEqual(again, tx)
        self.assertEqual(self.balance(self.agent, self.prepaid),
                         {"balance": 100, "held": 0, "available": 100, "total": 100})
        self.assertEqual(self.balance(self.agent, self.commission)["balance"], 0)
        # a debit never takes a balance below zero, and says why with the figures
        with self.assertRaisesRegex(UserError, r"100\.00.*150\.00"):
            self.Tx._haoka_post_movement(self.agent, self.prepaid, -150, "order_payment", self.other_account,
                                         key="k-2")
        self.assertFalse(self.Tx.search([("idempotency_key", "=", "k-2")]))
        self.credit(self.agent, self.prepaid, -60, kind="order_payment")
        self.assertEqual(self.balance(self.agent, self.prepaid)["balance"], 40)
        # a clawback may take the commission balance below zero: available shows it (blocks withdrawals)
        self.credit(self.agent, self.commission, 30, kind="commission_credit")
        claw = self.credit(self.agent, self.commission, -50, kind="commission_credit")
        self.assertEqual(claw.balance_after, -20)
        self.assertEqual(self.balance(self.agent, self.commission)["available"], -20)

    def test_hold_moves_the_amount_to_withdrawals_in_progress(self):
        self.credit(self.agent, self.commission, 200, kind="commission_credit")
        hold_account = self.env.company.haoka_withdrawal_hold_account_id
        hold = self.Tx._haoka_post_movement(self.agent, self.commission, -80, "withdrawal_hold", hold_account,
                                            key="hold-1")
        self.assertEqual(self.balance(self.agent, self.commission),
                         {"balance": 120, "held": 80, "available": 120, "total": 200})
        with self.assertRaises(UserError):
            self.Tx._haoka_post_movement(self.agent, self.commission, -121, "withdrawal_hold", hold_account,
                                         key="hold-2")
        # paid out: from the hold account to the bank, nothing left in flight
        self.Tx._haoka_post_movement(self.agent, self.commission, -80, "withdrawal_paid", self.other_account,
                                     key="paid-1", wallet_account=hold_account)
        self.assertEqual(self.balance(self.agent, self.commission),
                         {"balance": 120, "held": 0, "available": 120, "total": 120})
        self.assertEqual(hold.move_id.state, "posted")

    def test_l10n_cn_company_uses_the_chinese_chart(self):
        activate_chinese(self.env)
        company = self.env["res.company"].create({
            "name": "号卡测试公司", "country_id": self.env.ref("base.cn").id,
            "currency_id": self.env.ref("base.CNY").id,
        })
        self.env["account.chart.template"].try_loading("cn", company, install_demo=False)
        self.env.invalidate_all()
        prepaid = self.WalletType._haoka_get("prepaid", company)
        commission = self.WalletType._haoka_get("commission", company)
        chart = self.env["account.chart.template"].with_company(company)
        self.assertEqual(prepaid.account_id, chart.ref("l10n_cn_common_account_2203"))
        self.assertEqual(commission.account_id, chart.ref("l10n_cn_common_account_2241"))
        self.assertEqual(prepaid.account_id.with_context(lang="zh_CN").name, "预收账款")
        self.assertEqual(prepaid.with_context(lang="zh_CN").name, "预存款")
        self.assertEqual(commission.with_context(lang="zh_CN").name, "佣金余额")
        self.assertEqual(prepaid.journal_id.with_context(lang="zh_CN").name, "分销商钱包")
        self.assertEqual(company.haoka_withdrawal_hold_account_id.with_context(lang="zh_CN").name, "提现中")
        agent = self.agent.with_company(company)
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        counterpart = chart.ref("l10n_cn_common_account_1002")
        tx = env["haoka.wallet.transaction"]._haoka_post_movement(agent, prepaid, 88, "topup", counterpart,
                                                                 key="cn-1")
        self.assertEqual((tx.company_id, tx.move_id.company_id, tx.move_id.currency_id.name),
                         (company, company, "CNY"))
        self.assertEqual(agent._haoka_wallet_balance(prepaid)["balance"], 88)
        self.assertEqual(self.agent._haoka_wallet_balance(self.prepaid)["balance"], 0)


class TestWalletMoneyIn(WalletCase):

    def test_topup_by_finance_credits_prepaid_once(self):
        payment = self.inbound_payment(self.agent, 500)
        with self.assertRaises(AccessError):
            payment.with_user(self.manager).action_haoka_wallet_topup()
        payment.with_user(self.finance).action_haoka_wallet_topup()
        payment.with_user(self.finance).action_haoka_wallet_topup()
        txs = self.Tx.search([("source_ref", "=", f"account.payment,{payment.id}")])
        self.assertEqual((len(txs), txs.kind, txs.amount), (1, "topup", 500))
        self.assertEqual(self.balance(self.agent, self.prepaid)["balance"], 500)
        receivable = payment.move_id.line_ids.filtered(lambda line: line.account_id == payment.destination_account_id)
        self.assertTrue(receivable.reconciled)
        self.assertEqual(receivable.full_reconcile_id, txs._haoka_counterpart_line().full_reconcile_id)
        # a customer that is no distributor has no wallet
        with self.assertRaisesRegex(UserError, "not an inbound payment from a distributor"):
            self.inbound_payment(self.customer, 10).action_haoka_wallet_topup()

    def test_online_topup_credits_once_whatever_the_notifications(self):
        journal = self.env["account.journal"].search([("company_id", "=", self.env.company.id),
                                                      ("type", "=", "bank")], limit=1)
        provider = self.env["payment.provider"].create({
            "name": "Wallet test provider", "code": "none", "state": "test", "journal_id": journal.id,
            "payment_method_ids": [Command.set(self.env.ref("payment.payment_method_unknown").ids)],
        })
        # the payment method line a provider module installs with its provider
        journal.inbound_payment_method_line_ids = [Command.create({
            "name": provider.name, "payment_provider_id": provider.id,
            "payment_method_id": self.env.ref("account.account_payment_method_manual_in").id})]
        tx = self.env["payment.transaction"]._haoka_create_topup(
            self.agent, 300, provider, payment_method=self.env.ref("payment.payment_method_unknown"))
        self.assertTrue(tx.reference.startswith("TOPUP"))
        for _notification in range(3):
            tx._set_done()
            tx._post_process()
        txs = self.Tx.search([("partner_id", "=", self.agent.id), ("kind", "=", "topup")])
        self.assertEqual((len(txs), txs.amount), (1, 300))
        self.assertEqual(txs.source_ref, tx.payment_id)
        self.assertEqual(self.balance(self.agent, self.prepaid)["balance"], 300)

    def shipped_settlement(self):
        order = self.order(qty=2)
        order._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF-%s" % uuid.uuid4().hex[:6])
        order.action_haoka_confirm_receipt()
        settlement = self.env["haoka.commission.settlement"]._prepare(fields.Date.context_today(order),
                                                                      self.seller)
        return order, settlement

    def test_settlement_credits_the_commission_wallet(self):
        self.seller.haoka_payout_method = "wallet"
        order, settlement = self.shipped_settlement()
        settlement.with_user(self.finance).action_confirm()
        bill = settlement.move_id
        self.assertEqual((bill.move_type, bill.amount_total, bill.payment_state), ("in_invoice", 80, "paid"))
        self.assertEqual(settlement.state, "paid")
        tx = self.Tx.search([("source_ref", "=", f"haoka.commission.settlement,{settlement.id}")])
        self.assertEqual((tx.kind, tx.amount, tx.wallet_type_id), ("commission_credit", 80, self.commission))
        self.assertEqual(self.balance(self.seller, self.commission)["balance"], 80)
        # a clawback settlement (vendor refund) debits it, below zero when it must
        self.credit(self.seller, self.commission, -70, kind="order_payment")
        order._haoka_refund(order.order_line.haoka_lot_ids, "全额退款")
        clawback = self.env["haoka.commission.settlement"]._prepare(fields.Date.context_today(order), self.seller)
        clawback.with_user(self.finance).action_confirm()
        # Odoo calls a vendor refund settled by a miscellaneous entry "reversed"
        self.assertEqual((clawback.move_id.move_type, clawback.move_id.amount_residual), ("in_refund", 0))
        self.assertEqual(clawback.state, "paid")
        self.assertEqual(self.balance(self.seller, self.commission)["available"], -70)

    def test_settlement_run_credits_in_one_entry(self):
        (self.seller | self.top).haoka_payout_method = "wallet"
        order = self.order(qty=2)
        order._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF-RUN")
        order.action_haoka_confirm_receipt()
        settlements = self.env["haoka.commission.settlement"]._prepare(fields.Date.context_today(order),
                                                                       self.seller | self.top)
        self.assertEqual(len(settlements), 2)
        settlements.with_user(self.finance).action_confirm()
        txs = self.Tx.search([("kind", "=", "commission_credit"), ("partner_id", "in", (self.seller | self.top).ids)])
        self.assertEqual(len(txs), 2)
        self.assertEqual(len(txs.move_id), 1)  # one entry for the run
        self.assertEqual(set(settlements.move_id.mapped("payment_state")), {"paid"})
        self.assertEqual(set(settlements.mapped("state")), {"paid"})
        for settlement in settlements:
            tx = txs.filtered(lambda t, s=settlement: t.source_ref == s)
            self.assertEqual(tx.amount, settlement.total)
            self.assertEqual(tx._haoka_counterpart_line().partner_id, settlement.distributor_id)
            self.assertEqual(self.balance(settlement.distributor_id, self.commission)["balance"], settlement.total)

    def test_vendor_bill_payout_leaves_the_wallet_alone(self):
        _order, settlement = self.shipped_settlement()
        settlement.with_user(self.finance).action_confirm()
        self.assertEqual((settlement.state, settlement.move_id.payment_state), ("confirmed", "not_paid"))
        self.assertFalse(self.Tx.search([("partner_id", "=", self.seller.id)]))


class TestWalletPayments(WalletCase):

    def test_invoice_paid_prepaid_first_then_commission(self):
        self.credit(self.agent, self.prepaid, 30)
        self.credit(self.agent, self.commission, 100)
        invoice = self.customer_invoice(self.agent, 50)
        with self.assertRaises(AccessError):
            invoice.with_user(self.staff).action_haoka_pay_from_wallet()
        invoice.with_user(self.finance).action_haoka_pay_from_wallet()
        txs = self.Tx.search([("source_ref", "=", f"account.move,{invoice.id}")])
        self.assertEqual([(tx.wallet_type_id, tx.amount, tx.kind) for tx in txs.sorted("id")],
                         [(self.prepaid, -30, "order_payment"), (self.commission, -20, "order_payment")])
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self.balance(self.agent, self.prepaid)["balance"], 0)
        self.assertEqual(self.balance(self.agent, self.commission)["balance"], 80)
        with self.assertRaisesRegex(UserError, "already paid"):
            invoice._haoka_pay_from_wallet()

    def test_invoice_paid_from_the_chosen_wallet_or_not_at_all(self):
        self.credit(self.agent, self.prepaid, 30)
        self.credit(self.agent, self.commission, 100)
        invoice = self.customer_invoice(self.agent, 50)
        with self.assertRaisesRegex(UserError, "do not cover the .*50.00"):
            invoice._haoka_pay_from_wallet(self.prepaid)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(self.balance(self.agent, self.prepaid)["balance"], 30)
        invoice._haoka_pay_from_wallet(self.commission)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self.balance(self.agent, self.commission)["balance"], 50)
        with self.assertRaisesRegex(UserError, "not a distributor"):
            self.customer_invoice(self.customer, 10)._haoka_pay_from_wallet()

    def test_order_refund_credits_the_wallet_it_came_from(self):
        order = self.order(qty=2)
        order._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF-W1")
        total = order.amount_total
        self.credit(self.seller, self.prepaid, 10)
        self.credit(self.seller, self.commission, total)
        order._haoka_pay_from_wallet(partner=self.seller)  # invoiced, then paid
        invoice = order.invoice_ids
        self.assertEqual(invoice.amount_total, total)
        self.assertEqual(invoice.payment_state, "paid")
        _picking, credit_note = order._haoka_refund(order.order_line.haoka_lot_ids[:1], "退一张")
        self.assertEqual(credit_note.amount_residual, 0)
        refunds = self.Tx.search([("kind", "=", "order_refund"), ("partner_id", "=", self.seller.id)])
        # the most recent payment (commission, total - 10) is paid back first
        self.assertEqual([(tx.wallet_type_id, tx.amount) for tx in refunds],
                         [(self.commission, credit_note.amount_total)])
        self.assertEqual(self.balance(self.seller, self.commission)["balance"], credit_note.amount_total + 10)
        self.assertFalse(self.env["account.payment"].search([("partner_id", "=", self.customer.id)]))

    def test_parallel_payments_never_overdraw(self):
        """20 invoices of 10 paid at once, each in its own transaction, from a balance of 100: exactly 10
        are paid; the others fail with the balance's figures (after Odoo's retry on a serialization error).

        Long because the race is one story: committed set-up, 20 threads, the check, the clean-up."""
        registry = self.env.registry
        rows_before = committed_row_counts(registry)
        with separate_env(registry) as env:
            agent = env["res.partner"].create({"name": "Race wallet agent", "haoka_is_distributor": True})
            prepaid = env["haoka.wallet.type"]._haoka_get("prepaid")
            account = env["account.account"].browse(self.other_account.id)
            seed = env["haoka.wallet.transaction"]._haoka_post_movement(agent, prepaid, 100, "adjustment", account,
                                                                       key="race-" + uuid.uuid4().hex)
            invoices = env["account.move"].create([{
                "move_type": "out_invoice", "partner_id": agent.id,
                "invoice_line_ids": [Command.create({"name": "Card", "price_unit": 10, "tax_ids": [Command.clear()]})],
            } for _i in range(20)])
            invoices.action_post()
            ids = {"agent": agent.id, "invoices": invoices.ids, "seed": seed.id, "prepaid": prepaid.id}
        results = []
        barrier = threading.Barrier(20)

        def pay(invoice_id):
            from psycopg2.errors import SerializationFailure

            barrier.wait()
            for _attempt in range(50):
                try:
                    with separate_env(registry) as env:
                        env["account.move"].browse(invoice_id)._haoka_pay_from_wallet()
                    results.append("paid")
                    return
                except SerializationFailure:
                    continue
                except UserError:
                    results.append("refused")
                    return
            results.append("gave up")

        threads = [threading.Thread(target=pay, args=(invoice_id,)) for invoice_id in ids["invoices"]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        try:
            with separate_env(registry) as env:
                agent = env["res.partner"].browse(ids["agent"])
                balance = agent._haoka_wallet_balance(env["haoka.wallet.type"].browse(ids["prepaid"]))
                paid = env["account.move"].browse(ids["invoices"]).filtered(lambda m: m.payment_state == "paid")
            self.assertEqual(sorted(results), ["paid"] * 10 + ["refused"] * 10)
            self.assertEqual((len(paid), balance["balance"]), (10, 0))
        finally:
            self._cleanup_race(registry, ids)
        self.assertNoRowsLeft(rows_before)

    def _cleanup_race(self, registry, ids):
        with separate_env(registry) as env:
            cr = env.cr
            cr.execute("SELECT id, move_id FROM haoka_wallet_transaction WHERE partner_id = %s", (ids["agent"],))
            rows = cr.fetchall()
            txs, moves = [row[0] for row in rows], [row[1] for row in rows] + ids["invoices"]
            cr.execute("DELETE FROM haoka_wallet_transaction WHERE partner_id = %s", (ids["agent"],))
            cr.execute("DELETE FROM haoka_wallet WHERE partner_id = %s", (ids["agent"],))
            cr.execute("""DELETE FROM account_partial_reconcile WHERE debit_move_id IN
                           (SELECT id FROM account_move_line WHERE move_id = ANY(%s))""", (moves,))
            cr.execute("""DELETE FROM account_full_reconcile WHERE id NOT IN
                           (SELECT full_reconcile_id FROM account_move_line WHERE full_reconcile_id IS NOT NULL
                             AND move_id != ALL(%s))""", (moves,))
            cr.execute("DELETE FROM account_move_line WHERE move_id = ANY(%s)", (moves,))
            cr.execute("DELETE FROM account_move WHERE id = ANY(%s)", (moves,))
            for model, res_ids in (("account.move", moves), ("res.partner", [ids["agent"]]),
                                   ("haoka.wallet.transaction", txs)):
                cr.execute("DELETE FROM mail_message WHERE model = %s AND res_id = ANY(%s)", (model, res_ids))
                cr.execute("DELETE FROM mail_followers WHERE res_model = %s AND res_id = ANY(%s)", (model, res_ids))
            cr.execute("DELETE FROM res_partner WHERE id = %s", (ids["agent"],))


class TestWalletControls(WalletCase):

    def test_daily_check_reports_unexplained_items_and_cancelled_entries(self):
        tx = self.credit(self.agent, self.prepaid, 40)
        manual = self.env["account.move"].create({
            "move_type": "entry", "journal_id": self.prepaid.journal_id.id, "line_ids": [
                Command.create({"account_id": self.prepaid.account_id.id, "partner_id": self.agent.id,
                                "credit": 5}),
                Command.create({"account_id": self.other_account.id, "debit": 5}),
            ]})
        manual.action_post()
        on_hold = self.env["account.move"].create({
            "move_type": "entry", "journal_id": self.prepaid.journal_id.id, "line_ids": [
                Command.create({"account_id": self.env.company.haoka_withdrawal_hold_account_id.id,
                                "partner_id": self.agent.id, "credit": 7}),
                Command.create({"account_id": self.other_account.id, "debit": 7}),
            ]})
        on_hold.action_post()
        self.Tx._cron_haoka_wallet_check()
        activity = self.prepaid.journal_id.activity_ids
        self.assertEqual(activity.user_id, self.env.ref(FINANCE_GROUP).users.filtered(
            lambda user: not user.share and self.env.company in user.company_ids))
        self.assertIn(manual.name, activity[:1].note)
        self.assertIn(on_hold.name, activity[:1].note)
        self.assertNotIn(tx.move_id.name, activity[:1].note)
        tx.move_id.button_draft()
        tx.move_id.button_cancel()
        self.Tx._cron_haoka_wallet_check()
        note = self.prepaid.journal_id.activity_ids[:1].note
        self.assertIn(tx.move_id.name, note)
        self.assertIn("no longer posted", note)
        self.assertEqual(len(self.prepaid.journal_id.activity_ids), len(activity))  # the open report replaced
        self.assertEqual(self.balance(self.agent, self.prepaid)["balance"], 5)  # the ledger decides
        tx.move_id.button_draft()
        tx.move_id.action_post()
        (manual | on_hold).button_draft()
        (manual | on_hold).unlink()
        self.Tx._cron_haoka_wallet_check()
        self.assertFalse(self.prepaid.journal_id.activity_ids)  # all explained again: nothing to report


    def test_adjustment_by_finance_with_a_reason_tracked(self):
        vals = {"partner_id": self.agent.id, "wallet_type_id": self.commission.id, "amount": 25,
                "counterpart_account_id": self.other_account.id}
        for user in (self.staff, self.manager):
            with self.assertRaises(AccessError):
                self.Tx.with_user(user).create(vals)
        Tx = self.Tx.with_user(self.finance).with_context(tracking_disable=False)
        adjustment = Tx.create(vals)
        self.env.cr.precommit.run()  # created in one request, posted in another: the changes are tracked
        with self.assertRaisesRegex(UserError, "reason"):
            adjustment.action_post()
        adjustment.reason = "补发三月佣金"
        adjustment.action_post()
        self.env.cr.precommit.run()  # tracking is written when the transaction commits
        self.assertEqual((adjustment.state, adjustment.kind, adjustment.move_id.state),
                         ("posted", "adjustment", "posted"))
        self.assertEqual(self.balance(self.agent, self.commission)["balance"], 25)
        tracked = adjustment.sudo().message_ids.tracking_value_ids.mapped("field_id.name")
        self.assertIn("state", tracked)
        with self.assertRaises(UserError):
            adjustment.amount = 30
        with self.assertRaises(UserError):
            adjustment.unlink()
        with self.assertRaisesRegex(UserError, "Only adjustments"):
            Tx.create(dict(vals, kind="topup"))

    def test_access_to_wallets(self):
        self.credit(self.agent, self.prepaid, 40)
        other = make_distributor(self.env, "Other Wallet Agent", "931")
        self.credit(other, self.prepaid, 70)
        wallets = self.env["haoka.wallet"].search([("partner_id", "in", (self.agent | other).ids)])
        self.assertEqual(len(wallets), 2)
        # 号卡主管 reads balances, cannot adjust; staff sees no wallet
        self.assertEqual(sorted(wallets.with_user(self.manager).mapped("balance")), [40, 70])
        self.assertEqual(self.agent.with_user(self.manager).haoka_wallet_total, 40)
        with self.assertRaises(AccessError):
            self.env["haoka.wallet.transaction"].with_user(self.staff).search([])
        # a distributor on the portal reads only its own wallet and movements
        portal = new_test_user(self.env, login="wallet_portal", groups="base.group_portal",
                               partner_id=self.agent.id)
        self.assertEqual(self.env["haoka.wallet"].with_user(portal).search([]).partner_id, self.agent)
        self.assertEqual(self.env["haoka.wallet.transaction"].with_user(portal).search([]).partner_id, self.agent)
        self.assertEqual(self.env["haoka.wallet"].with_user(portal).search([]).balance, 40)
        with self.assertRaises(AccessError):
            self.env["haoka.wallet.transaction"].with_user(portal).create({
                "partner_id": self.agent.id, "wallet_type_id": self.prepaid.id, "amount": 1000,
                "counterpart_account_id": self.other_account.id, "reason": "free money"})
