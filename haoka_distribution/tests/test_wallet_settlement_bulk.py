"""A monthly settlement run credits its distributors' 佣金余额 in bulk (issue 13 §7): the result is the one of
crediting them one by one (balances, movements and their keys, each bill paid by its own wallet line), a
second run credits nothing twice, and a finance user working in another company credits in the settlements'
company."""

from odoo import Command, fields
from odoo.tests import new_test_user

from ..tools.groups import FINANCE_GROUP
from .test_wallet import WalletCase

#: (move type, amount) of each distributor's settlement bill; the vendor refund is a clawback
BILLS = [("in_invoice", 80.0), ("in_invoice", 30.5), ("in_refund", 20.0), ("in_invoice", 12.25)]


class TestWalletSettlementBulk(WalletCase):

    def confirmed_settlements(self, prefix, company=None, bills=BILLS):
        """Confirmed settlements of new wallet distributors, one per ``bills`` (:data:`BILLS`), with their
        posted bills (as ``action_confirm`` leaves them before crediting the wallets)."""
        company = company or self.env.company
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        product = self.env.ref("haoka_distribution.product_commission")
        agents = env["res.partner"].create([{"name": f"{prefix} agent {index}", "haoka_is_distributor": True,
                                             "haoka_payout_method": "wallet"} for index in range(len(bills))])
        today = fields.Date.context_today(agents)
        bills = env["account.move"].create([{
            "move_type": move_type, "partner_id": agent.id, "invoice_date": today, "company_id": company.id,
            "invoice_line_ids": [Command.create({"product_id": product.id, "quantity": 1, "price_unit": amount,
                                                 "tax_ids": [Command.clear()]})],
        } for agent, (move_type, amount) in zip(agents, bills, strict=True)])
        bills.action_post()
        settlements = env["haoka.commission.settlement"].create([
            {"distributor_id": agent.id, "date_to": today, "company_id": company.id} for agent in agents])
        for settlement, bill in zip(settlements, bills, strict=True):
            settlement.write({"move_id": bill.id, "state": "confirmed"})
        return settlements

    def credited(self, settlement):
        """What crediting ``settlement`` left, in terms comparable between two settlements."""
        tx = self.Tx.search([("idempotency_key", "=", f"settlement:{settlement.id}")])
        bill = settlement.move_id
        payable = bill.line_ids.filtered(lambda line: line.account_type == "liability_payable")
        wallet_line = tx.move_id.line_ids.filtered(
            lambda line: line.account_id == tx.wallet_type_id.account_id and line.partner_id == tx.partner_id)
        self.assertTrue(payable.full_reconcile_id)
        self.assertEqual(tx.source_ref, settlement)
        self.assertEqual(payable.full_reconcile_id, tx.counterpart_line_id.full_reconcile_id)  # its own line
        return {
            "movements": len(tx), "kind": tx.kind, "amount": tx.amount, "wallet": tx.wallet_type_id,
            "state": tx.state, "balance_after": tx.balance_after, "source": tx.source_ref == settlement,
            "company": tx.company_id, "entry_state": tx.move_id.state, "journal": tx.move_id.journal_id,
            "wallet_line": (wallet_line.debit, wallet_line.credit),
            "counterpart_line": (tx.counterpart_line_id.account_id, tx.counterpart_line_id.partner_id.id ==
                                 settlement.distributor_id.id, tx.counterpart_line_id.debit,
                                 tx.counterpart_line_id.credit),
            "bill": (bill.payment_state, bill.amount_residual), "settlement": settlement.state,
            "balance": self.balance(settlement.distributor_id, self.commission),
        }

    def test_bulk_credit_equals_one_by_one_and_never_twice(self):
        bulk, single = self.confirmed_settlements("Bulk"), self.confirmed_settlements("Single")
        bulk._haoka_credit_wallet()
        for settlement in single:
            settlement._haoka_credit_wallet()
        for in_bulk, alone in zip(bulk, single, strict=True):
            self.assertEqual(self.credited(in_bulk), self.credited(alone))
        self.assertEqual([self.credited(s)["balance"]["balance"] for s in bulk], [80, 30.5, -20, 12.25])
        self.assertEqual(self.credited(bulk[2])["bill"], ("reversed", 0))  # a vendor refund settled by an entry
        bulk_txs = self.Tx.search([("idempotency_key", "in", [f"settlement:{s.id}" for s in bulk])])
        single_txs = self.Tx.search([("idempotency_key", "in", [f"settlement:{s.id}" for s in single])])
        self.assertEqual((len(bulk_txs.move_id), len(single_txs.move_id)), (1, len(BILLS)))
        # a second run (a retried job, a double click) credits nothing again
        counts = (self.Tx.search_count([]), self.env["account.move"].search_count([]),
                  self.env["account.partial.reconcile"].search_count([]))
        (bulk | single)._haoka_credit_wallet()
        bulk._haoka_credit_wallet()
        self.assertEqual((self.Tx.search_count([]), self.env["account.move"].search_count([]),
                          self.env["account.partial.reconcile"].search_count([])), counts)
        self.assertEqual([self.credited(s)["balance"]["balance"] for s in single], [80, 30.5, -20, 12.25])

    def test_bulk_credit_statements_do_not_grow_per_distributor(self):
        """Odoo's supplier rank of each partner (one statement each) is all that grows with the run."""
        statements = []
        for prefix, bills in (("Few", BILLS[:2]), ("Many", BILLS * 2)):
            settlements = self.confirmed_settlements(prefix, bills=bills)
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            settlements._haoka_credit_wallet()
            self.env.flush_all()
            statements.append(self.env.cr.sql_log_count - before)
            self.assertEqual(set(settlements.move_id.mapped("amount_residual")), {0})
        self.assertLessEqual(statements[1] - statements[0], 6 + 3, statements)  # 6 more distributors

    def test_credit_by_a_finance_user_in_another_current_company(self):
        main = self.env.company
        other = self.env["res.company"].create({"name": "Wallet Other Company",
                                             "currency_id": self.env.ref("base.EUR").id})
        user = new_test_user(self.env, login="wallet_mc_finance", groups=f"base.group_user,{FINANCE_GROUP}",
                             company_id=other.id, company_ids=[Command.set([other.id, main.id])])
        settlements = self.confirmed_settlements("Multi")
        as_user = settlements.with_user(user).with_context(allowed_company_ids=[other.id, main.id])
        self.assertEqual(as_user.env.company, other)
        as_user._haoka_credit_wallet()
        txs = self.Tx.search([("idempotency_key", "in", [f"settlement:{s.id}" for s in settlements])])
        self.assertEqual(len(txs), len(BILLS))
        self.assertEqual((txs.company_id, txs.move_id.company_id, txs.move_id.journal_id),
                         (main, main, self.commission.journal_id))
        self.assertEqual(txs.move_id.state, "posted")
        self.assertEqual(set(settlements.mapped("state")), {"paid"})
        self.assertEqual([s.move_id.amount_residual for s in settlements], [0] * len(BILLS))
        self.assertEqual(self.balance(settlements[0].distributor_id, self.commission)["balance"], 80)

    def entry_on_wallet(self, partner, amount, post=True):
        """A journal entry crediting ``amount`` to ``partner``'s 佣金余额 account by hand (no movement)."""
        move = self.env["account.move"].create({
            "move_type": "entry", "journal_id": self.commission.journal_id.id,
            "line_ids": [Command.create({"account_id": self.commission.account_id.id, "partner_id": partner.id,
                                         "credit": amount}),
                         Command.create({"account_id": self.other_account.id, "debit": amount})],
        })
        if post:
            move.action_post()
        return move

    def test_balance_query_equals_odoos_sum_of_posted_items(self):
        other_agent = self.env["res.partner"].create({"name": "Other Balance Agent", "haoka_is_distributor": True})
        self.credit(self.agent, self.commission, 100)
        self.credit(self.agent, self.commission, -30.25, kind="order_payment")
        self.credit(self.agent, self.prepaid, 7)
        self.credit(other_agent, self.commission, 55)
        self.entry_on_wallet(self.agent, 12)  # posted by hand: counted
        self.entry_on_wallet(self.agent, 1000, post=False)  # draft: not counted
        cancelled = self.entry_on_wallet(self.agent, 500)
        cancelled.button_draft()
        cancelled.button_cancel()
        Line = self.env["account.move.line"]
        for partner, wallet_type in [(self.agent, self.commission), (self.agent, self.prepaid),
                                     (other_agent, self.commission), (other_agent, self.prepaid)]:
            [(total,)] = Line._read_group([("partner_id", "=", partner.id),
                                           ("account_id", "=", wallet_type.account_id.id),
                                           ("company_id", "=", wallet_type.company_id.id),
                                           ("parent_state", "=", "posted")], [], ["balance:sum"])
            self.assertEqual(partner._haoka_wallet_balance(wallet_type)["balance"], -total)
            self.assertEqual(self.Tx._haoka_balances({(partner, wallet_type)})[partner, wallet_type], -total)
        self.assertEqual(self.agent._haoka_wallet_balance(self.commission)["balance"], 81.75)
