"""Settlement reconciliation (对账): a statement against the commission income expected per card, each card
matched, short-paid, missing or unexpected, exported to Excel, the differences as a claim list."""

import base64
import io

import openpyxl
from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .test_upstream_events import UpstreamCase


@tagged("post_install", "-at_install")
class TestUpstreamReconciliation(UpstreamCase):
    def xlsx(self, rows):
        workbook = openpyxl.Workbook()
        for row in rows:
            workbook.active.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def test_statement_categories_export_and_claims(self):
        """A statement with matched, short-paid, missing and unexpected cards, its export and the claim list.

        Long because one statement exercises every category and both exports read back."""
        self.plan.haoka_upstream_income = 40
        self.source.carrier_id = self.cmcc
        activated = []
        for _i in range(3):
            card = self.shipped_order().order_line.haoka_lot_ids
            card._haoka_record_carrier_event("activation", self.today - relativedelta(days=1))
            activated.append(card)
        matched, short, missing = activated
        not_activated = self.shipped_order().order_line.haoka_lot_ids
        statement = self.xlsx([
            ["号易 2026年11月 结算单"],
            ["ICCID", "金额"],
            [matched.name, 25],
            [matched.name, 15],  # paid in two rows
            [short.name, "20.00"],
            [not_activated.name, 30],
            ["89860000000000000001", 50],
            [missing.name, "abc"],  # refused row: the card counts as missing
            ["合计", 140],
        ])
        rec = self.env["haoka.upstream.reconciliation"].with_user(self.manager).create({
            "source_id": self.source.id, "date_from": self.today - relativedelta(days=30), "date_to": self.today,
            "file": base64.b64encode(statement), "filename": "结算单.xlsx"})
        rec.action_reconcile()
        by_card = {line.reference: (line.category, line.expected_amount, line.paid_amount, line.difference)
                   for line in rec.line_ids}
        self.assertEqual(by_card, {
            matched.name: ("matched", 40, 40, 0),
            short.name: ("short_paid", 40, 20, -20),
            missing.name: ("missing", 40, 0, -40),
            not_activated.name: ("unexpected", 0, 30, 30),
            "89860000000000000001": ("unexpected", 0, 50, 50),
        })
        self.assertEqual((rec.matched_count, rec.short_paid_count, rec.missing_count, rec.unexpected_count),
                         (1, 1, 1, 2))
        self.assertEqual((rec.expected_total, rec.paid_total), (120, 140))
        self.assertEqual(rec.error_lines, "Row 8, B (金额), abc: The amount is not a number.")
        self.assertEqual(rec.line_ids.filtered(lambda l: l.reference == matched.name).row_numbers, "3, 4")
        rec.action_export_claims()
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(rec.export_file))).active
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        self.assertEqual(rows[0], ["Card", "Phone Number", "Category", "Expected", "Paid", "Difference",
                                   "Statement Rows"])
        self.assertEqual(sorted((r[0], r[2], r[5]) for r in rows[1:]),
                         sorted([(short.name, "Short-paid", -20), (missing.name, "Missing", -40)]))
        rec.action_export()
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(rec.export_file))).active
        self.assertEqual(sheet.max_row, 6)
        rec.action_reconcile()
        self.assertEqual(len(rec.line_ids), 5, "reconciling again starts over")

    def test_only_managers_and_finance_reconcile(self):
        with self.assertRaises(AccessError):
            self.env["haoka.upstream.reconciliation"].with_user(self.staff).search([])
        self.assertEqual(self.env["haoka.upstream.reconciliation"].with_user(self.finance).search_count([]), 0)
