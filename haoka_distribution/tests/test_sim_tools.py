"""Normalisation and validation of ICCIDs and numbers (pure functions, no ORM)."""


from odoo.addons.haoka_distribution.tools import sim
from odoo.tests.common import BaseCase, tagged


@tagged("post_install", "-at_install")
class TestSimTools(BaseCase):
    def test_normalize_iccid(self):
        for raw, expected in [
            ("89860012345678901234", "89860012345678901234"),
            (" 8986 0012 3456 7890 1234 ", "89860012345678901234"),
            ("８９８６００１２３４５６７８９０１２３４", "89860012345678901234"),
            ("'89860012345678901234", "89860012345678901234"),
            ("898600b5123456789012", "898600B5123456789012"),
            ("8986001234567890123F", "8986001234567890123"),
            ("8986001234567890123f", "8986001234567890123"),
            ("８９８６００ｂ５１２３４５６７８９０１２", "898600B5123456789012"),
            ("\t89860012345678901234\u3000", "89860012345678901234"),
        ]:
            with self.subTest(raw=raw):
                self.assertEqual(sim.normalize_iccid(raw), expected)

    def test_iccid_format(self):
        for iccid, ok in [
            ("89860012345678901234", True),  # 20 digits
            ("8986001234567890123", True),  # 19 digits
            ("8986001234567890123456", True),  # 22 digits
            ("898600B5123456789012", True),  # hex letters
            ("898600123456789012", False),  # 18: too short
            ("89860012345678901234567", False),  # 23: too long
            ("88860012345678901234", False),  # not 89
            ("898600G5123456789012", False),  # G is not hex
            ("", False),
        ]:
            with self.subTest(iccid=iccid):
                self.assertIs(sim.iccid_format_ok(iccid), ok)

    def test_luhn(self):
        body = "8986001234567890123"
        digit = sim.luhn_check_digit(body)
        self.assertTrue(sim.luhn_valid(body + digit))
        self.assertFalse(sim.luhn_valid(body + str((int(digit) + 1) % 10)))
        self.assertEqual(sim.iccid_luhn_status(body + digit), "ok")
        self.assertEqual(sim.iccid_luhn_status(body + str((int(digit) + 5) % 10)), "failed")
        self.assertEqual(sim.iccid_luhn_status("898600B5123456789012"), "not_applicable")
        # the classic example of the algorithm
        self.assertTrue(sim.luhn_valid("79927398713"))
        self.assertFalse(sim.luhn_valid("79927398710"))

    def test_normalize_msisdn(self):
        for raw, expected in [
            ("13800138000", "13800138000"),
            ("+86 138 0013 8000", "13800138000"),
            ("+8613800138000", "13800138000"),
            ("8613800138000", "13800138000"),
            ("0086-138-0013-8000", "13800138000"),
            ("138-0013-8000", "13800138000"),
            ("１３８００１３８０００", "13800138000"),
            ("'13800138000", "13800138000"),
        ]:
            with self.subTest(raw=raw):
                self.assertEqual(sim.normalize_msisdn(raw), expected)

    def test_msisdn_format(self):
        for number, ok in [
            ("13800138000", True),
            ("19912345678", True),
            ("12800138000", False),
            ("1380013800", False),
            ("138001380001", False),
            ("1380013800a", False),
            ("", False),
        ]:
            with self.subTest(number=number):
                self.assertIs(sim.msisdn_format_ok(number), ok)

    def test_segments_and_prefixes(self):
        self.assertEqual(sim.parse_segments("134-136, 150，187"), {"134", "135", "136", "150", "187"})
        self.assertEqual(sim.parse_prefixes("898600, 898602；898604"), ["898600", "898602", "898604"])
        with self.assertRaises(ValueError):
            sim.parse_segments("139-134")
        with self.assertRaises(ValueError):
            sim.parse_segments("13a")



@tagged("post_install", "-at_install")
class TestStreamingXlsx(BaseCase):
    def test_rows_read_back_whole_in_order_without_forbidden_characters(self):
        """More rows than one write holds; text with XML's special characters and a control character XML
        forbids (dropped); a date; an empty cell."""
        import datetime
        import io

        import openpyxl

        from odoo.addons.haoka_distribution.tools import xlsx_stream

        buffer = io.BytesIO()
        count = xlsx_stream.ROWS_PER_WRITE * 2 + 7
        with xlsx_stream.StreamingXlsx(buffer, "卡", [10, 10, 10]) as book:
            book.header(["ICCID", "备注", "日期"])
            for index in range(count):
                book.row(["8986%016d" % index, "a<b>&c\x01d\te" if index == 3 else None, datetime.date(2027, 1, 2)])
        sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()), read_only=True).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(len(rows), count + 1)
        self.assertEqual(rows[0], ("ICCID", "备注", "日期"))
        self.assertEqual([row[0] for row in rows[1:]], ["8986%016d" % index for index in range(count)])
        self.assertEqual(rows[4][1], "a<b>&cd\te")
        self.assertEqual(rows[5][1:], (None, datetime.datetime(2027, 1, 2)))
