"""The import's row checker (pure logic, no database): normalised card values, and each problem as the row,
field, raw value, reason code and the parameters of its wording."""

import datetime

from odoo.addons.haoka_distribution.tools import card_rows, sim
from odoo.addons.haoka_distribution.tools.card_rows import Issue
from odoo.tests.common import BaseCase, tagged

TODAY = datetime.date(2026, 6, 1)
HEADER = ["ICCID", "号码", "PUK", "PIN", "套餐", "运营商", "有效期"]
COLUMNS = {"iccid": 0, "msisdn": 1, "puk": 2, "pin": 3, "plan": 4, "carrier": 5, "expiry": 6}


def iccid(serial, prefix="898600"):
    """A 20-digit ICCID with a right check digit."""
    body = prefix + str(serial).rjust(19 - len(prefix), "0")
    return body + sim.luhn_check_digit(body)


def wrong_check_digit(value):
    return value[:-1] + str((int(value[-1]) + 1) % 10)


class CountingFacts(dict):
    """Plan facts read on demand, counting the reads (the wizard reads them from the database)."""

    def __init__(self, facts):
        super().__init__()
        self.source, self.reads = facts, []

    def __missing__(self, plan):
        self.reads.append(plan)
        value = self[plan] = self.source[plan]
        return value


@tagged("post_install", "-at_install")
class TestCardRows(BaseCase):
    def setUp(self):
        super().setUp()
        self.facts = {
            "mobile29": card_rows.plan_facts(
                "Mobile 29", "China Mobile", carrier_names={"chinamobile", "中国移动", "移动", "cmcc"},
                policy="strict", prefixes=("898600", "898602"), segments={"138", "139"}, expiration_time=365,
                product="product-mobile29",
            ),
            "unicom19": card_rows.plan_facts(
                "Unicom 19", "China Unicom", carrier_names={"chinaunicom", "联通"}, policy="warn",
                prefixes=("898601",), segments=None, expiration_time=0, product="product-unicom19",
            ),
        }
        self.plans = {"mobile29": "mobile29", "移动29元": "mobile29", "unicom19": "unicom19"}

    def checker(self, default_plan=None, facts=None):
        return card_rows.CardRowChecker(COLUMNS, self.plans, facts or self.facts, default_plan=default_plan,
                                        today=TODAY)

    def check(self, rows, default_plan=None, title_rows=0):
        """``[(card, errors, warnings)]`` of the rows, under ``title_rows`` title rows and the header."""
        sheet = [["号卡入库单"]] * title_rows + [HEADER] + rows
        return list(self.checker(default_plan).check_rows(sheet, title_rows))

    def issues(self, row, default_plan=None):
        """``(errors, warnings)`` of one row, as (field, code, params)."""
        [(card, errors, warnings)] = self.check([row], default_plan)
        self.assertEqual(card is None, bool(errors))
        return ([(i.target, i.code, i.params) for i in errors], [(i.target, i.code, i.params) for i in warnings])

    def test_valid_row_normalised(self):
        [(card, errors, warnings)] = self.check([[
            " ８９８６ " + iccid(1)[4:] + " ", "+86 138-0013-8000", "'01234567", "０１２３", " Mobile 29 ",
            "中国移动", "2027年12月31日",
        ]])
        self.assertEqual((errors, warnings), ([], []))
        self.assertEqual(card, {
            "row": 2, "iccid": iccid(1), "msisdn": "13800138000", "puk": "01234567", "pin": "0123",
            "plan": "mobile29", "product": "product-mobile29",
            "expiration_date": datetime.datetime(2027, 12, 31, 0, 0),
        })

    def test_optional_cells_and_defaults(self):
        """No number, PUK, PIN or carrier: the card has none; no expiry: the plan's default validity; no plan:
        the default plan; trailing cells missing altogether read as blank."""
        [(card, errors, _warnings)] = self.check([[iccid(2), None, "", " "]], default_plan="mobile29")
        self.assertEqual(errors, [])
        self.assertEqual((card["msisdn"], card["puk"], card["pin"], card["plan"]), (None, None, None, "mobile29"))
        self.assertEqual(card["expiration_date"], datetime.datetime(2027, 6, 1))
        self.assertEqual(card["row"], 2)

    def test_row_numbers_blank_and_footer_rows(self):
        checker = self.checker(default_plan="mobile29")
        sheet = [["号卡入库单"], [], HEADER, [iccid(3)], [None, "  "], [iccid(4)], ["合计", 2], [iccid(5)]]
        results = list(checker.check_rows(sheet, 2))
        self.assertEqual([card["row"] for card, _e, _w in results], [4, 6, 8])
        self.assertEqual(checker.footers, 1)

    def test_iccid_errors(self):
        for raw, code in [
            (None, card_rows.ICCID_EMPTY),
            ("  ", card_rows.ICCID_EMPTY),
            (8.98600123456789e19, card_rows.ICCID_CUT_BY_EXCEL),
            ("8.98600123456789E+19", card_rows.ICCID_CUT_BY_EXCEL),
            ("88860012345678901234", card_rows.ICCID_INVALID),
            ("898600123", card_rows.ICCID_INVALID),
            (wrong_check_digit(iccid(6)), card_rows.ICCID_LUHN),  # the plan's carrier is strict
        ]:
            with self.subTest(raw=raw):
                self.assertEqual(self.issues([raw, "", "", "", "mobile29"]), ([("iccid", code, {})], []))

    def test_check_digit_and_prefix_flags(self):
        """A carrier that warns flags a wrong check digit; an ICCID outside the carrier's issuer prefixes is
        flagged (imported); hex ICCIDs have no Luhn digit; a carrier that does not check lets it pass."""
        self.assertEqual(self.issues([wrong_check_digit(iccid(7, "898601")), "", "", "", "unicom19", "", "2027-01-01"]),
                         ([], [("iccid", card_rows.ICCID_LUHN_FLAGGED, {})]))
        self.assertEqual(self.issues([iccid(8, "898603"), "", "", "", "mobile29"]), ([], [(
            "iccid", card_rows.ICCID_PREFIX_FLAGGED, {"carrier": "China Mobile", "prefixes": "898600, 898602"},
        )]))
        self.assertEqual(self.issues(["898600B5123456789012", "", "", "", "mobile29"]), ([], []))
        self.facts["mobile29"]["policy"] = "off"
        self.assertEqual(self.issues([wrong_check_digit(iccid(9)), "", "", "", "mobile29"]), ([], []))

    def test_plan_and_carrier(self):
        self.assertEqual(self.issues([iccid(10), "", "", "", "Mobile 39"]),
                         ([("plan", card_rows.PLAN_UNKNOWN, {})], []))
        self.assertEqual(self.issues([iccid(11), "", "", "", ""]), ([("plan", card_rows.PLAN_MISSING, {})], []))
        self.assertEqual(self.issues([iccid(12), "", "", "", "移动29元", "CMCC"]), ([], []))
        self.assertEqual(self.issues([iccid(13), "", "", "", "mobile29", "联通"]), ([(
            "carrier", card_rows.CARRIER_MISMATCH, {"plan": "Mobile 29", "carrier": "China Mobile"},
        )], []))
        # the carrier is checked against the row's plan, the default plan only for rows naming none
        self.assertEqual(self.issues([iccid(14, "898601"), "", "", "", "unicom19", "联通", "2027-01-01"],
                                     default_plan="mobile29"), ([], []))

    def test_number(self):
        self.assertEqual(self.issues([iccid(15), "1380013800", "", "", "mobile29"]),
                         ([("msisdn", card_rows.MSISDN_INVALID, {})], []))
        self.assertEqual(self.issues([iccid(16), "12800138000", "", "", "mobile29"]),
                         ([("msisdn", card_rows.MSISDN_INVALID, {})], []))
        self.assertEqual(self.issues([iccid(17), 15000150000.0, "", "", "mobile29"]), ([], [(
            "msisdn", card_rows.MSISDN_SEGMENT_FLAGGED, {"segment": "150", "carrier": "China Mobile"},
        )]))
        # a carrier listing no segment accepts every one
        self.assertEqual(self.issues([iccid(18, "898601"), "15000150001", "", "", "unicom19", "", "2027-01-01"]),
                         ([], []))

    def test_puk_and_pin(self):
        for puk, pin, expected in [
            ("1234567", "", [("puk", card_rows.PUK_INVALID, {})]),
            ("1234567a", "", [("puk", card_rows.PUK_INVALID, {})]),
            ("12345678", "123", [("pin", card_rows.PIN_INVALID, {})]),
            ("12345678", "123456789", [("pin", card_rows.PIN_INVALID, {})]),
            ("123", "12a4", [("puk", card_rows.PUK_INVALID, {}), ("pin", card_rows.PIN_INVALID, {})]),
            ("12345678", "12345678", []),
            (12345678.0, 1234, []),
        ]:
            with self.subTest(puk=puk, pin=pin):
                self.assertEqual(self.issues([iccid(19), "", puk, pin, "mobile29"]), (expected, []))

    def test_expiry(self):
        for raw, expected in [
            ("2027/12/31", datetime.datetime(2027, 12, 31)),
            ("20271231", datetime.datetime(2027, 12, 31)),
            (datetime.datetime(2027, 12, 31, 15, 30), datetime.datetime(2027, 12, 31)),
            (46752, datetime.datetime(2027, 12, 31)),  # an Excel serial
            ("2026-06-01", datetime.datetime(2026, 6, 1)),  # today is still valid
        ]:
            with self.subTest(raw=raw):
                [(card, errors, _warnings)] = self.check([[iccid(20), "", "", "", "mobile29", "", raw]])
                self.assertEqual((errors, card["expiration_date"]), ([], expected))
        self.assertEqual(self.issues([iccid(21), "", "", "", "mobile29", "", "31.12.2027x"]),
                         ([("expiry", card_rows.EXPIRY_UNREADABLE, {})], []))
        self.assertEqual(self.issues([iccid(22), "", "", "", "mobile29", "", "2026-05-31"]),
                         ([("expiry", card_rows.EXPIRY_PAST, {})], []))
        self.assertEqual(self.issues([iccid(23, "898601"), "", "", "", "unicom19"]),
                         ([("expiry", card_rows.EXPIRY_MISSING, {"plan": "Unicom 19"})], []))

    def test_duplicates_within_the_file(self):
        """The second row giving an ICCID or number names the first; rerunning the check starts afresh."""
        rows = [
            [iccid(24), "13800138024", "", "", "mobile29"],
            [iccid(25), "13800138025", "", "", "mobile29"],
            [" " + iccid(24), "13800138026", "", "", "mobile29"],
            [iccid(27), "138 0013 8025", "", "", "mobile29"],
        ]
        sheet = [HEADER, *rows]
        checker = self.checker()
        for _run in range(2):
            results = list(checker.check_rows(sheet, 0))
            self.assertEqual([card and card["row"] for card, _e, _w in results], [2, 3, None, None])
            self.assertEqual([errors for _card, errors, _w in results][2:], [
                [Issue(4, "iccid", " " + iccid(24), card_rows.ICCID_DUPLICATE, {"row": 2})],
                [Issue(5, "msisdn", "138 0013 8025", card_rows.MSISDN_DUPLICATE, {"row": 3})],
            ])

    def test_an_invalid_row_reports_every_problem_with_its_raw_values(self):
        [(card, errors, warnings)] = self.check([
            [iccid(28, "898603"), "1380013", "12", "1", "mobile29", "联通", "tomorrow"],
        ])
        self.assertIsNone(card)
        self.assertEqual(errors, [
            Issue(2, "carrier", "联通", card_rows.CARRIER_MISMATCH, {"plan": "Mobile 29", "carrier": "China Mobile"}),
            Issue(2, "msisdn", "1380013", card_rows.MSISDN_INVALID, {}),
            Issue(2, "puk", "12", card_rows.PUK_INVALID, {}),
            Issue(2, "pin", "1", card_rows.PIN_INVALID, {}),
            Issue(2, "expiry", "tomorrow", card_rows.EXPIRY_UNREADABLE, {}),
        ])
        self.assertEqual(warnings, [Issue(2, "iccid", iccid(28, "898603"), card_rows.ICCID_PREFIX_FLAGGED,
                                          {"carrier": "China Mobile", "prefixes": "898600, 898602"})])
        self.assertTrue(all(issue.code in card_rows.ERROR_CODES for issue in errors))
        self.assertTrue(all(issue.code in card_rows.WARNING_CODES for issue in warnings))

    def test_plans_read_once_and_only_when_named(self):
        facts = CountingFacts(self.facts)
        checker = card_rows.CardRowChecker(COLUMNS, self.plans, facts, default_plan="mobile29", today=TODAY)
        sheet = [HEADER] + [[iccid(100 + n), "", "", "", "Mobile 29" if n % 2 else ""] for n in range(50)]
        self.assertEqual(len([card for card, _e, _w in checker.check_rows(sheet, 0) if card]), 50)
        self.assertEqual(facts.reads, ["mobile29"])
        self.assertEqual(checker.row_plan(["x", "", "", "", "UNICOM 19"]), ("unicom19", "UNICOM 19"))
        self.assertEqual(checker.row_plan(["x", "", "", "", None]), ("mobile29", None))
        self.assertEqual(checker.row_plan(["x"]), ("mobile29", None))
        self.assertEqual(checker.row_plan(["x", "", "", "", "Mobile 39"]), (None, "Mobile 39"))

    def test_codes(self):
        self.assertFalse(card_rows.ERROR_CODES & card_rows.WARNING_CODES)
        codes = {value for name, value in vars(card_rows).items() if name.isupper() and isinstance(value, str)}
        self.assertEqual(codes, card_rows.ERROR_CODES | card_rows.WARNING_CODES)
        self.assertEqual(len(codes), 18)

    def test_an_xlsx_is_streamed_as_read(self):
        """An .xlsx's rows are produced again on each pass (not kept), from column A and row 1 as when read
        whole; the first rows can be indexed (the header's search)."""
        import io

        import openpyxl
        from python_calamine import CalamineWorkbook

        from odoo.addons.haoka_distribution.tools import spreadsheet

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        for index in range(70):
            sheet.cell(row=index + 3, column=2, value=iccid(index))
            sheet.cell(row=index + 3, column=4, value=index)
        buffer = io.BytesIO()
        workbook.save(buffer)
        content = buffer.getvalue()
        whole = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python(
            skip_empty_area=False)
        rows = spreadsheet.stream_rows(content, "cards.xlsx")
        self.assertIsInstance(rows, spreadsheet.SheetRows)
        self.assertEqual((len(rows), list(rows), list(rows)), (72, whole, whole))  # two passes
        self.assertEqual(rows[2], ["", iccid(0), "", 0.0])
        self.assertEqual(rows[:3], whole[:3])
        with self.assertRaises(IndexError):
            rows[70]  # noqa: B018 - beyond the first rows: read by a pass
        self.assertEqual(spreadsheet.read_rows(content, "cards.xlsx"), whole)

