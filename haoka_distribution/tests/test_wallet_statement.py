"""分销商对账单 in the back office: opening balance, movements with their running balance and closing balance per
wallet type, read from the posted journal items (the balance is the ledger) and worded by their movements; the
PDF report (HTML under the test runners), the .xlsx read back with openpyxl, Chinese headings, a constant
number of SQL statements whatever the number of movements, the access of each group, and the tool alone."""

import datetime
import io
import uuid
import warnings

import openpyxl
from lxml import html

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests.common import BaseCase, tagged

from ..tools import wallet_statement
from .common import activate_chinese
from .test_wallet import WalletCase

D = datetime.date
FEB = (D(2025, 2, 1), D(2025, 2, 28))
REPORT = "haoka_distribution.action_report_haoka_wallet_statement"


def read_xlsx(content):
    """The rows of the workbook's sheet as lists (openpyxl; its note that the file names no cell style
    of its own, which Excel does not need, is silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


class StatementCase(WalletCase):
    def post(self, wallet_type, amount, date, kind="adjustment", partner=None, **extra):
        """A movement dated ``date`` (its journal entry's date), through the wallet API."""
        return self.Tx._haoka_post_movements([dict({
            "partner": partner or self.agent, "wallet_type": wallet_type, "amount": amount, "kind": kind,
            "counterpart_account": self.other_account, "key": uuid.uuid4().hex, "date": date}, **extra)])

    def statement(self, date_from, date_to, **vals):
        return self.env["haoka.wallet.statement"].create(dict({
            "partner_id": self.agent.id, "date_from": date_from, "date_to": date_to}, **vals))

    def section(self, sections, wallet_type):
        return next(section for section in sections if section.name == wallet_type.name)

    def ledger_sum(self, wallet_type, domain):
        """-sum of the agent's posted journal items on the wallet account matching ``domain`` (the ORM's figure)."""
        groups = self.env["account.move.line"]._read_group(
            [("partner_id", "=", self.agent.id), ("account_id", "=", wallet_type.account_id.id),
             ("parent_state", "=", "posted"), *domain], aggregates=["balance:sum"])
        return -(groups[0][0] or 0.0)

    def february(self):
        """Movements before, in and after February 2025 on both wallets; the invoice some are paid for."""
        invoice = self.customer_invoice(self.agent, 20)
        self.post(self.prepaid, 100, D(2025, 1, 5), "topup")
        self.post(self.prepaid, -30, D(2025, 1, 20), "order_payment")
        self.post(self.commission, 200, D(2025, 1, 15), "commission_credit")
        self.post(self.prepaid, 50, D(2025, 2, 3), "topup", reason="Bank transfer 0203")
        self.post(self.prepaid, -20, D(2025, 2, 10), "order_payment", source=invoice)
        self.post(self.commission, -80, D(2025, 2, 12), "withdrawal_hold")
        self.post(self.prepaid, 5, D(2025, 2, 28), "adjustment", reason="Goodwill")
        self.post(self.prepaid, 7, D(2025, 3, 1), "topup")
        return invoice


class TestWalletStatement(StatementCase):
    def test_opening_movements_closing_per_wallet_from_the_ledger(self):
        invoice = self.february()
        sections = self.statement(*FEB)._haoka_sections()
        self.assertEqual([section.name for section in sections], [self.prepaid.name, self.commission.name])
        prepaid = self.section(sections, self.prepaid)
        self.assertEqual(prepaid.opening, 100 - 30)
        self.assertEqual(prepaid.opening, self.ledger_sum(self.prepaid, [("date", "<", FEB[0])]))
        rows = [(line.movement.date, line.movement.kind, line.movement.document, line.movement.description,
                 line.amount_in, line.amount_out, line.balance) for line in prepaid.lines]
        self.assertEqual(rows, [
            (D(2025, 2, 3), "Top-up", "", "Bank transfer 0203", 50, 0, 120),
            (D(2025, 2, 10), "Order Payment", invoice.display_name, rows[1][3], 0, 20, 100),
            (D(2025, 2, 28), "Adjustment", "", "Goodwill", 5, 0, 105),
        ])
        self.assertTrue(all(line.movement.entry.startswith(self.prepaid.journal_id.code) for line in prepaid.lines))
        self.assertEqual((prepaid.total_in, prepaid.total_out, prepaid.closing), (55, 20, 105))
        self.assertEqual(prepaid.closing, prepaid.opening + sum(line.movement.amount for line in prepaid.lines))
        self.assertEqual(prepaid.closing, self.ledger_sum(self.prepaid, [("date", "<=", FEB[1])]))
        commission = self.section(sections, self.commission)
        self.assertEqual((commission.opening, [line.balance for line in commission.lines], commission.closing),
                         (200, [120], 120))
        self.assertEqual(commission.lines[0].movement.kind, "Withdrawal Hold")
        # the next period opens where this one closed; a period up to today closes on the balance
        march = self.section(self.statement(D(2025, 3, 1), D(2025, 3, 31))._haoka_sections(), self.prepaid)
        self.assertEqual((march.opening, march.closing), (105, 112))
        today = fields.Date.context_today(self.agent)
        for wallet_type in (self.prepaid, self.commission):
            section = self.section(self.statement(D(2024, 1, 1), today)._haoka_sections(), wallet_type)
            self.assertEqual(section.opening, 0)
            self.assertEqual(section.closing, self.agent._haoka_wallet_balance(wallet_type)["balance"])

    def test_entries_by_hand_cancelled_entries_and_shared_entries(self):
        """The ledger decides: an entry posted by hand on the wallet account is listed (its label, no movement),
        an entry no longer posted is not, and the movements of one entry (a settlement run) keep their words."""
        self.post(self.prepaid, 40, D(2025, 2, 2), "topup")
        undone = self.post(self.prepaid, 9, D(2025, 2, 3), "topup")
        undone.move_id.button_draft()
        manual = self.env["account.move"].create({
            "move_type": "entry", "date": D(2025, 2, 4), "journal_id": self.prepaid.journal_id.id,
            "line_ids": [
                Command.create({"account_id": self.prepaid.account_id.id, "partner_id": self.agent.id,
                                "name": "Correction by hand", "credit": 3}),
                Command.create({"account_id": self.other_account.id, "name": "Correction by hand", "debit": 3}),
            ]})
        manual.action_post()
        self.Tx._haoka_post_movements([
            {"partner": partner, "wallet_type": self.commission, "amount": amount, "kind": "commission_credit",
             "counterpart_account": self.other_account, "key": uuid.uuid4().hex, "date": D(2025, 2, 5),
             "reason": reason}
            for partner, amount, reason in ((self.seller, 11, "seller's"), (self.agent, 12, "first"),
                                            (self.agent, 13, "second"))], one_entry="Run 2025-02")
        sections = self.statement(*FEB)._haoka_sections()
        prepaid = self.section(sections, self.prepaid)
        self.assertEqual([(line.movement.kind, line.movement.description, line.movement.entry, line.balance)
                          for line in prepaid.lines[1:]],
                         [("Manual Journal Entry", "Correction by hand", manual.name, 43)])
        self.assertEqual(prepaid.closing, self.agent._haoka_wallet_balance(self.prepaid)["balance"])
        commission = self.section(sections, self.commission)
        self.assertEqual([(line.movement.description, line.amount_in, line.balance) for line in commission.lines],
                         [("first", 12, 12), ("second", 13, 25)])

    def test_one_wallet_type_and_bad_period(self):
        self.february()
        sections = self.statement(*FEB, wallet_type_ids=[Command.set(self.commission.ids)])._haoka_sections()
        self.assertEqual([(section.name, section.closing) for section in sections], [(self.commission.name, 120)])
        with self.assertRaisesRegex(ValidationError, "starts on 2025-02-28, after its end on 2025-02-01"):
            self.statement(FEB[1], FEB[0])

    def test_xlsx_cells(self):
        invoice = self.february()
        statement = self.statement(*FEB)
        action = statement.action_export_xlsx()
        self.assertIn(f"id={statement.id}&field=file", action["url"])
        self.assertEqual(statement.filename, "Statement-Wallet_Agent-2025-02-01-2025-02-28.xlsx")
        rows = read_xlsx(statement._haoka_xlsx())
        self.assertEqual(rows[0][0], "Distributor Statement")
        self.assertEqual(rows[1][:2], ["Distributor", "Wallet Agent"])
        self.assertEqual(rows[3][:2], ["Period", "2025-02-01 ~ 2025-02-28"])
        self.assertEqual(rows[4][:2], ["Currency", f"{self.env.company.currency_id.name} "
                                                   f"({self.env.company.currency_id.symbol})"])
        start = [row[0] for row in rows].index(self.prepaid.name)
        self.assertEqual(rows[start + 1][0], "Opening Balance")
        self.assertEqual(rows[start + 1][7], 70)
        self.assertEqual(rows[start + 2], ["Date", "Kind", "Document", "Journal Entry", "Description", "In", "Out",
                                           "Balance"])
        self.assertEqual(rows[start + 3][:2], [datetime.datetime(2025, 2, 3), "Top-up"])
        self.assertEqual(rows[start + 3][5:], [50, None, 120])
        self.assertEqual(rows[start + 4][2], invoice.display_name)
        self.assertEqual(rows[start + 4][5:], [None, 20, 100])
        self.assertEqual(rows[start + 6][:1] + rows[start + 6][5:7], ["Total", 55, 20])
        self.assertEqual((rows[start + 7][0], rows[start + 7][7]), ("Closing Balance", 105))
        commission_rows = rows[start + 9:]
        self.assertEqual(commission_rows[0][0], self.commission.name)
        self.assertEqual((commission_rows[1][7], commission_rows[3][6:], commission_rows[-1][7]), (200, [80, 120], 120))

    def test_pdf_report_renders_the_statement(self):
        self.february()
        statement = self.statement(*FEB)
        report = self.env.ref(REPORT)
        self.assertEqual((report.report_type, report.model), ("qweb-pdf", "haoka.wallet.statement"))
        action = statement.with_user(self.finance).action_print_pdf()
        self.assertEqual((action["type"], action["report_name"]),
                         ("ir.actions.report", "haoka_distribution.report_haoka_wallet_statement"))
        content, kind = self.env["ir.actions.report"]._render_qweb_pdf(REPORT, statement.ids)
        self.assertEqual(kind, "html")  # the test runners render HTML instead of calling wkhtmltopdf
        page = html.fromstring(content)
        self.assertIn("Wallet Agent", page.text_content())
        tables = page.xpath("//table[hasclass('o_haoka_statement_lines')]")
        self.assertEqual(len(tables), 2)
        prepaid = tables[0]
        cells = [[cell.text_content().strip() for cell in row.xpath("td")]
                 for row in prepaid.xpath(".//tr[hasclass('o_haoka_statement_line')]")]
        self.assertEqual([(row[0], row[1], row[5], row[6], row[7]) for row in cells], [
            ("2025-02-03", "Top-up", "50.00", "", "120.00"),
            ("2025-02-10", "Order Payment", "", "20.00", "100.00"),
            ("2025-02-28", "Adjustment", "5.00", "", "105.00"),
        ])
        self.assertEqual(prepaid.xpath(".//tr[hasclass('o_haoka_statement_opening')]/td")[-1].text_content(), "70.00")
        self.assertEqual(prepaid.xpath(".//tr[hasclass('o_haoka_statement_closing')]/td")[-1].text_content(), "105.00")

    def test_chinese_headings(self):
        activate_chinese(self.env)
        self.february()
        statement = self.statement(*FEB).with_context(lang="zh_CN")
        rows = read_xlsx(statement._haoka_xlsx())
        self.assertEqual(rows[0][0], "分销商对账单")
        self.assertEqual([row[0] for row in rows[1:5]], ["代理", "公司", "期间", "币种"])
        words = {cell for row in rows for cell in row if isinstance(cell, str)}
        for word in ("期初余额", "期末余额", "合计", "日期", "收入", "支出", "余额", "充值", "订单支付"):
            self.assertIn(word, words)
        content, _kind = self.env["ir.actions.report"].with_context(lang="zh_CN")._render_qweb_pdf(
            REPORT, statement.ids)
        text = html.fromstring(content).text_content()
        for word in ("分销商对账单", "期初余额", "期末余额", "会计凭证", "收入", "支出", "充值"):
            self.assertIn(word, text)

    def test_sql_statements_do_not_grow_with_the_movements(self):
        """The statement reads its data in a constant number of queries (no query per movement)."""
        invoices = [self.customer_invoice(self.agent, 1) for _index in range(2)]

        def queries(count):
            self.post(self.prepaid, 1000, D(2025, 1, 2), "topup")
            for index in range(count):
                self.post(self.prepaid, -1, D(2025, 2, 1 + index % 28), "order_payment",
                          source=invoices[index % 2])
            statement = self.statement(*FEB)
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            sections = statement._haoka_sections()
            statement._haoka_xlsx(sections)
            return self.env.cr.sql_log_count - before, len(sections[0].lines)

        few, lines = queries(3)
        self.assertEqual(lines, 3)
        many, lines = queries(40)
        self.assertEqual(lines, 43)
        self.assertEqual(many, few)
        self.assertLessEqual(many, 15)

    def test_access_per_group(self):
        self.february()
        Statement = self.env["haoka.wallet.statement"]
        for user in (self.finance, self.manager):
            statement = Statement.with_user(user).create(
                {"partner_id": self.agent.id, "date_from": FEB[0], "date_to": FEB[1]})
            self.assertEqual(statement._haoka_sections()[0].closing, 105, user.name)
        with self.assertRaises(AccessError):
            Statement.with_user(self.staff).create({"partner_id": self.agent.id, "date_from": FEB[0],
                                                    "date_to": FEB[1]})
        with self.assertRaises(AccessError):
            self.statement(*FEB).with_user(self.staff)._haoka_sections()

    def test_opened_from_a_distributor(self):
        wizard = self.env["haoka.wallet.statement"].with_context(
            active_model="res.partner", active_ids=self.agent.ids).create({})
        today = fields.Date.context_today(wizard)
        self.assertEqual((wizard.partner_id, wizard.date_from, wizard.date_to),
                         (self.agent, today.replace(day=1), today))


@tagged("post_install", "-at_install")
class TestWalletStatementTool(BaseCase):
    def test_running_balance_totals_and_rounding(self):
        movements = [wallet_statement.Movement(D(2025, 1, day), "k", "", "", "", amount)
                     for day, amount in ((1, 10.01), (2, -0.1), (3, -0.2), (4, 100))]
        section = wallet_statement.build_section("W", 0.3, movements)
        self.assertEqual([line.balance for line in section.lines], [10.31, 10.21, 10.01, 110.01])
        self.assertEqual([(line.amount_in, line.amount_out) for line in section.lines],
                         [(10.01, 0), (0, 0.1), (0, 0.2), (100, 0)])
        self.assertEqual((section.opening, section.total_in, section.total_out, section.closing),
                         (0.3, 110.01, 0.3, 110.01))
        self.assertEqual(round(section.opening + section.total_in - section.total_out, 2), section.closing)
        empty = wallet_statement.build_section("W", -5, [])
        self.assertEqual((empty.lines, empty.closing), ([], -5))
        self.assertEqual(wallet_statement.format_amount(-1234567.5), "-1,234,567.50")
