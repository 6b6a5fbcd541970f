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

    def credit_the_standard_way(self, settlements):
        """Odoo's standard path, settlement by settlement: a journal entry of the movement's two lines given as
        a user would (account, partner, label, debit, credit), posted, its payable line reconciled with the
        bill's by ``reconcile()``."""
        for settlement in settlements:
            payable = settlement._haoka_open_payable()
            movement = settlement._haoka_credit_movement(payable, self.commission)
            amount, label = movement["amount"], movement["ref"]
            move = self.env["account.move"].create({
                "move_type": "entry", "journal_id": self.commission.journal_id.id, "ref": label,
                "line_ids": [
                    Command.create({"account_id": self.commission.account_id.id, "name": label,
                                    "partner_id": settlement.distributor_id.id,
                                    "debit": max(-amount, 0.0), "credit": max(amount, 0.0)}),
                    Command.create({"account_id": payable.account_id.id, "name": label,
                                    "partner_id": settlement.distributor_id.id,
                                    "debit": max(amount, 0.0), "credit": max(-amount, 0.0)}),
                ],
            })
            move.action_post()
            (move.line_ids.filtered(lambda line, p=payable: line.account_id == p.account_id) | payable).reconcile()

    def stored_rows(self, table, ids, ignored, order="id"):
        """The stored columns of ``table``'s rows ``ids`` (in ``order``), less the columns ``ignored``."""
        self.env.flush_all()
        self.env.cr.execute(f"SELECT * FROM {table} WHERE id = ANY(%s) ORDER BY {order}", (list(ids),))  # noqa: S608
        names = [column.name for column in self.env.cr.description]
        return [{name: value for name, value in zip(names, row, strict=True) if name not in ignored}
                for row in self.env.cr.fetchall()]

    #: columns naming a row itself (compared through the rows' positions instead)
    IDENTITY = {"id", "move_id", "move_name", "create_date", "write_date", "create_uid", "write_uid"}

    def credited_lines(self, settlements):
        """The journal items of ``settlements``' bills, then of their wallet entries (by distributor), the set
        of the wallet entries' items, and the distributors' positions."""
        positions = {partner.id: index for index, partner in enumerate(settlements.distributor_id)}
        wallet_lines = self.env["account.move.line"].search([("journal_id", "=", self.commission.journal_id.id),
                                                             ("partner_id", "in", list(positions))])
        lines = self.env["account.move.line"].browse(
            [line.id for s in settlements for line in s.move_id.line_ids.sorted("id")]
            + [line.id for line in wallet_lines.sorted(lambda line: (positions[line.partner_id.id], line.id))])
        return lines, wallet_lines, positions

    def line_rows(self, settlements, lines, wallet_lines, positions):
        """The stored columns of ``lines`` in their order, documents' names and partners replaced."""
        names = {s.name: "SETTLEMENT" for s in settlements} | {b.name: "BILL" for b in settlements.move_id}
        order = {line.id: index for index, line in enumerate(lines)}
        rows = []
        for line, row in zip(lines.sorted("id"), self.stored_rows("account_move_line", lines.ids, self.IDENTITY),
                             strict=True):
            row["partner_id"] = positions.get(row["partner_id"], row["partner_id"])
            for key in ("name", "ref"):
                for name, word in sorted(names.items(), key=lambda item: -len(item[0])):  # R账单/1 before 账单/1
                    row[key] = row[key] and row[key].replace(name, word)
            if line in wallet_lines:
                del row["ref"]  # the entry's reference: one entry for the run, one per settlement by hand
            row["matching_number"] = bool(row["matching_number"])
            row["full_reconcile_id"] = bool(row["full_reconcile_id"])
            rows.append((order[line.id], row))
        return [row for _position, row in sorted(rows, key=lambda item: item[0])]

    def written(self, settlements):
        """Every stored column the credit of ``settlements`` wrote (journal items of the wallet entries and of
        the bills, partial and full reconciles, bills, the distributors' ranks), with what names the documents
        (ids, names, partners, timestamps) replaced by their position or left out."""
        lines, wallet_lines, positions = self.credited_lines(settlements)
        order = {line.id: index for index, line in enumerate(lines)}
        partials = (lines.matched_debit_ids | lines.matched_credit_ids)
        return {
            "lines": self.line_rows(settlements, lines, wallet_lines, positions),
            "partials": [{key: value for key, value in row.items() if not key.endswith("move_id")}
                         for row in self.stored_rows("account_partial_reconcile", partials.ids,
                                                     self.IDENTITY | {"full_reconcile_id", "exchange_move_id"})],
            "partial_pairs": sorted((order[p.debit_move_id.id], order[p.credit_move_id.id]) for p in partials),
            "full_reconciles": len(partials.full_reconcile_id),
            # is_manually_modified: Odoo's invoice synchronisation around ``reconcile()`` writes the bill (its
            # terms are no longer "dirty") and so marks it modified by hand; the bulk path, which skips that
            # synchronisation, leaves the generated bill unmarked (the flag only feeds the auto-post suggestion)
            "bills": [{**row, **{key: positions[row[key]] for key in ("partner_id", "commercial_partner_id",
                                                                      "partner_shipping_id")}}
                      for row in self.stored_rows("account_move", settlements.move_id.ids, self.IDENTITY | {
                          "name", "ref", "sequence_number", "payment_reference", "invoice_partner_display_name",
                          "access_token", "message_main_attachment_id", "is_manually_modified"})],
            "ranks": [(p.supplier_rank, p.customer_rank) for p in settlements.distributor_id],
        }

    def test_bulk_credit_writes_what_odoos_standard_path_writes(self):
        """Every stored column of the journal items, reconciles and bills the bulk credit writes is the one
        Odoo's standard path (entry by entry, ``reconcile()``) writes; only the run's single entry differs."""
        bulk, standard = self.confirmed_settlements("Bulk"), self.confirmed_settlements("Standard")
        bulk._haoka_credit_wallet()
        self.credit_the_standard_way(standard)
        expected, got = self.written(standard), self.written(bulk)
        for key in expected:
            if key in ("lines", "partials", "bills"):  # row by row, the columns that differ
                for index, (want, have) in enumerate(zip(expected[key], got[key], strict=True)):
                    self.assertEqual({k: v for k, v in have.items() if v != want.get(k)},
                                     {k: v for k, v in want.items() if v != have.get(k)}, f"{key} {index}")
            else:
                self.assertEqual(got[key], expected[key], key)

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
