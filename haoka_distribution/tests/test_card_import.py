"""Excel/CSV card import into stock: real files written by openpyxl, xlwt and the csv module."""

import base64
import csv
import datetime
import io
import re
import zipfile
from unittest.mock import patch

import openpyxl
import xlwt
from markupsafe import escape

from odoo.exceptions import UserError
from odoo.tests import Form

from ..models import stock_bulk
from ..tools import card_rows, sim
from ..wizards import haoka_card_import as import_wizard
from .common import HaokaCase, activate_chinese, make_iccid

FUTURE = datetime.date.today() + datetime.timedelta(days=400)
HEADER = ["ICCID", "号码", "PUK", "PIN", "套餐", "有效期"]


def xlsx_bytes(rows, text_columns=(0,)):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for column in text_columns:
        for cells in sheet.iter_rows(min_col=column + 1, max_col=column + 1):
            for cell in cells:
                cell.number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xls_bytes(rows):
    book = xlwt.Workbook()
    sheet = book.add_sheet("cards")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, datetime.date):
                sheet.write(r, c, value, date_style)
            else:
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def full_width(text):
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def csv_bytes(rows, encoding="utf-8-sig"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


class TestCardImport(HaokaCase):
    def card_rows(self, start, count, plan="Test Plan 29", expiry=FUTURE):
        return [
            [make_iccid("898600", start + i), "138%08d" % (start + i), "%08d" % (start + i), "1234", plan, expiry]
            for i in range(count)
        ]

    def run_import(self, content, filename="cards.xlsx", **vals):
        wizard = self.env["haoka.card.import"].create(
            dict({"file": base64.b64encode(content), "filename": filename}, **vals)
        )
        return wizard, wizard.action_import()

    def sim_lots(self, names):
        return self.env["stock.lot"].search([("name", "in", names)])

    def recording(self, model, method, events, name):
        """A patch running ``model``'s ``method`` as usual, appending ``name`` to ``events`` at each call."""
        cls = type(self.env[model])
        original = getattr(cls, method)

        def recording(records, *args, **kwargs):
            events.append(name)
            return original(records, *args, **kwargs)

        return patch.object(cls, method, recording)

    def import_paths(self, content, **vals):
        """Import ``content`` in chunks of three rows; returns the result and the steps taken, in order:
        "write" (cards written in stock), "check" (the rows checked as a whole first: the two-pass path)."""
        events = []
        with self.recording("haoka.stock.bulk", "_import_cards", events, "write"), \
                self.recording("haoka.card.import", "_check_then_import", events, "check"), \
                patch.object(import_wizard, "STREAM_CHUNK", 3):
            _wizard, result = self.run_import(content, **vals)
        return result, events

    def test_title_rows_aliases_formats_and_footer(self):
        rows = [
            ["中国移动号卡入库清单 2026-11"],
            [],
            ["序号", "ICCID(卡号)", "手机号码", "密码", "PIN", "套餐名称", "有效期至", "备注"],
            [1, make_iccid("898600", 1), "13800000001", "11111111", "1234", "Test Plan 29", FUTURE, ""],
            [2, " " + make_iccid("898600", 2), "+86 138-0000-0002", "22222222", "", "Test Plan 29", "2030/12/31", ""],
            [3, "８９８６００" + make_iccid("898600", 3)[6:], full_width("13800000003"), "33333333", "",
             "Test Plan 39", "20301231", ""],
            [4, make_iccid("898600", 4), "13800000004", "00860604", "0086", "Test Plan 39", "2030年12月31日", ""],
            [5, make_iccid("898600", 5), "13800000005", "", "", "Test Plan 39", 47483, "Excel serial"],
            [6, make_iccid("898600", 6) + "F", "", "", "", "Test Plan 39", "2030-12-31", "F pad"],
            ["合计", 6],
        ]
        wizard, result = self.run_import(xlsx_bytes(rows, text_columns=(1,)))
        self.assertEqual(result["errors"], 0, result["error_lines"])
        self.assertEqual(result["imported"], 6)
        self.assertEqual(result["footer_rows"], 1)
        cards = self.sim_lots([make_iccid("898600", i) for i in range(1, 7)])
        self.assertEqual(len(cards), 6)
        by_name = {c.name: c for c in cards}
        second = by_name[make_iccid("898600", 2)]
        self.assertEqual(second.msisdn, "13800000002")
        self.assertEqual(second.expiration_date.date(), datetime.date(2030, 12, 31))
        self.assertEqual(by_name[make_iccid("898600", 3)].msisdn, "13800000003")
        self.assertEqual(by_name[make_iccid("898600", 3)].product_id, self.product_b)
        self.assertEqual(by_name[make_iccid("898600", 5)].expiration_date.date(), datetime.date(2029, 12, 31))
        fourth = by_name[make_iccid("898600", 4)]
        self.assertEqual(fourth.sudo()._haoka_read_secrets()[fourth.id], {"puk": "00860604", "pin": "0086"})
        self.assertEqual(by_name[make_iccid("898600", 1)].expiration_date.date(), FUTURE)
        self.assertEqual(
            by_name[make_iccid("898600", 1)].sudo()._haoka_read_secrets()[by_name[make_iccid("898600", 1)].id],
            {"puk": "11111111", "pin": "1234"},
        )
        self.assertTrue(all(c.card_state == "available" and c.product_qty == 1 for c in cards))
        self.assertEqual(wizard.header_row, 3)
        self.assertEqual(len(result["picking_ids"]), 2)  # one receipt per plan

    def test_numeric_iccid_rejected(self):
        rows = [HEADER, [89860012345678901234, "13800000011", "", "", "Test Plan 29", FUTURE]]
        _wizard, result = self.run_import(xlsx_bytes(rows, text_columns=()))
        self.assertEqual(result["imported"], 0)
        (row, column, _value, reason), = result["error_lines"]
        self.assertEqual((row, column), (2, "A (ICCID)"))
        self.assertIn("text", reason)

    def test_xls_file(self):
        rows = [["号卡"], HEADER] + self.card_rows(100, 3)
        _wizard, result = self.run_import(xls_bytes(rows), filename="cards.xls")
        self.assertEqual(result["imported"], 3, result["error_lines"])
        card = self.sim_lots([make_iccid("898600", 100)])
        self.assertEqual(card.expiration_date.date(), FUTURE)

    def test_csv_utf8_and_gbk(self):
        rows = [HEADER] + [[*r[:5], r[5].isoformat()] for r in self.card_rows(200, 2)]
        _wizard, result = self.run_import(csv_bytes(rows), filename="cards.csv")
        self.assertEqual(result["imported"], 2, result["error_lines"])
        rows = [["卡号", "手机号", "套餐", "到期日"]] + [
            [make_iccid("898600", 300 + i), "1380000030%d" % i, "Test Plan 29", "2030-01-0%d" % (i + 1)]
            for i in range(2)
        ]
        _wizard, result = self.run_import(csv_bytes(rows, "gbk"), filename="cards.csv")
        self.assertEqual(result["imported"], 2, result["error_lines"])
        self.assertEqual(self.sim_lots([make_iccid("898600", 301)]).expiration_date.date(), datetime.date(2030, 1, 2))

    def test_bad_rows_are_reported_with_row_column_value_reason(self):
        existing = self.create_card(400, "13800000400")
        rows = [HEADER] + self.card_rows(401, 2) + [
            [make_iccid("898600", 401), "13800000499", "", "", "Test Plan 29", FUTURE],  # duplicate of row 2
            [existing.name, "13800000498", "", "", "Test Plan 29", FUTURE],  # in the database
            [make_iccid("898600", 403), "13800000400", "", "", "Test Plan 29", FUTURE],  # number in the database
            [make_iccid("898600", 404), "13800000404", "", "", "No Such Plan", FUTURE],
            [make_iccid("898600", 405), "13800000405", "", "", "Test Plan 29", datetime.date(2020, 1, 1)],
            [make_iccid("898600", 406), "23800000406", "", "", "Test Plan 29", FUTURE],
            [make_iccid("898600", 407), "13800000407", "123", "", "Test Plan 29", FUTURE],
            [make_iccid("898600", 408), "13800000408", "", "", "Test Plan 29", "next year"],
        ]
        wizard, result = self.run_import(xlsx_bytes(rows))
        self.assertEqual(result["imported"], 0)  # all or nothing
        self.assertFalse(self.sim_lots([make_iccid("898600", 401)]))
        errors = {row: (column, value, reason) for row, column, value, reason in result["error_lines"]}
        self.assertEqual(set(errors), {4, 5, 6, 7, 8, 9, 10, 11})
        self.assertIn("2", errors[4][2])  # names the other row
        self.assertIn(existing.name, errors[5][2])
        self.assertIn(existing.name, errors[6][2])
        self.assertEqual(errors[7][0], "E (套餐)")  # columns named as Excel names them, and by their header
        self.assertEqual(errors[7][1], "No Such Plan")
        self.assertEqual(errors[8][0], "F (有效期)")
        self.assertEqual(errors[9][0], "B (号码)")
        self.assertEqual(errors[10][0], "C (PUK)")
        self.assertEqual(errors[10][1], "***")  # a PUK, even a wrong one, is masked
        self.assertEqual(errors[11][1], "next year")
        # the error report is a real workbook with the same lines
        sheet = openpyxl.load_workbook(io.BytesIO(result["error_report"])).active
        lines = list(sheet.iter_rows(values_only=True))
        self.assertEqual(len(lines), 1 + len(result["error_lines"]))
        self.assertEqual(wizard.error_count, len(result["error_lines"]))

    def test_valid_only_mode(self):
        rows = [HEADER] + self.card_rows(500, 3) + [
            [make_iccid("898600", 510), "13800000510", "", "", "No Such Plan", FUTURE]
        ]
        _wizard, result = self.run_import(xlsx_bytes(rows), mode="valid_only")
        self.assertEqual(result["imported"], 3)
        self.assertEqual(result["errors"], 1)
        self.assertEqual(len(self.sim_lots([make_iccid("898600", 500 + i) for i in range(3)])), 3)

    def test_reimport_changes_nothing(self):
        content = xlsx_bytes([HEADER] + self.card_rows(600, 4))
        _wizard, first = self.run_import(content)
        self.assertEqual(first["imported"], 4)
        quants_before = self.env["stock.quant"].search_count([])
        _wizard, second = self.run_import(content)
        self.assertEqual(second["imported"], 0)
        self.assertEqual(second["errors"], 4)
        self.assertTrue(all("Duplicate" in line[3] or "重复" in line[3] for line in second["error_lines"]))
        self.assertEqual(self.env["stock.quant"].search_count([]), quants_before)

    def test_update_mode(self):
        self.run_import(xlsx_bytes([HEADER] + self.card_rows(700, 2)))
        later = FUTURE + datetime.timedelta(days=100)
        rows = [HEADER] + [
            [make_iccid("898600", 700), "13800000700", "87654321", "4321", "Test Plan 29", later],
            [make_iccid("898600", 702), "13800000702", "", "", "Test Plan 29", later],
        ]
        _wizard, result = self.run_import(xlsx_bytes(rows), update_existing=True)
        self.assertEqual((result["updated"], result["imported"]), (1, 1), result["error_lines"])
        card = self.sim_lots([make_iccid("898600", 700)])
        self.assertEqual(card.expiration_date.date(), later)
        self.assertEqual(card.sudo()._haoka_read_secrets()[card.id], {"puk": "87654321", "pin": "4321"})
        self.assertEqual(card.product_qty, 1)  # not received twice

    def test_bad_files(self):
        for content, filename, message in (
            (b"", "empty.xlsx", "empty"),
            (b"\x00\x01\x02binary\x00", "photo.png", "not a spreadsheet"),
            (b"PK\x03\x04 broken zip", "broken.xlsx", "not a spreadsheet"),
            (xlsx_bytes([["name", "price"], ["a", 1]]), "other.xlsx", "header"),
            (xlsx_bytes([[None]]), "blank.xlsx", "no data"),
        ):
            with self.subTest(filename=filename), self.assertRaisesRegex(UserError, message):
                self.run_import(content, filename=filename)

    def test_default_plan_and_carrier_column(self):
        rows = [["卡号", "号码", "运营商", "有效期"],
                [make_iccid("898600", 800), "13800000800", "移动", FUTURE],
                [make_iccid("898600", 801), "13800000801", "联通", FUTURE]]
        with self.assertRaisesRegex(UserError, "plan"):
            self.run_import(xlsx_bytes(rows))
        activate_chinese(self.env)
        self.cmcc.with_context(lang="zh_CN").name = "中国移动"
        _wizard, result = self.run_import(xlsx_bytes(rows), plan_id=self.plan.id, mode="valid_only")
        self.assertEqual(result["imported"], 1)
        self.assertEqual(result["error_lines"][0][0], 3)

    def english_only(self):
        """This database as if only English had ever been installed: zh_CN inactive and no Chinese name
        stored on the carriers or plans (so the test does not depend on zh_CN being loaded)."""
        self.env["res.lang"]._activate_lang("en_US")
        for model in ("res.users", "res.partner"):
            self.env[model].with_context(active_test=False).search([("lang", "!=", "en_US")]).lang = "en_US"
        self.env["res.lang"].search([("code", "!=", "en_US")]).active = False
        self.env.flush_all()
        self.env.cr.execute("UPDATE haoka_carrier SET name = jsonb_build_object('en_US', name->>'en_US')")
        self.env.cr.execute("UPDATE product_template SET name = jsonb_build_object('en_US', name->>'en_US')")
        self.env.invalidate_all()
        self.assertEqual([code for code, _name in self.env["res.lang"].get_installed()], ["en_US"])
        self.assertEqual(self.cmcc._fields["name"]._get_stored_translations(self.cmcc), {"en_US": "China Mobile"})

    def carrier_rows(self, start, carriers, plan="Test Plan 29"):
        return [["ICCID", "号码", "套餐", "运营商", "有效期"]] + [
            [make_iccid("898600", start + i), "138%08d" % (start + i), plan, carrier, FUTURE]
            for i, carrier in enumerate(carriers)
        ]

    def test_carrier_names_of_any_language_in_an_english_database(self):
        """A sheet says 中国移动, 移动, CMCC or China Mobile (any case or width) whatever the languages
        installed: the shipped aliases match; another carrier's name is still rejected."""
        self.english_only()
        carriers = ["中国移动", "移动", "CMCC", "China Mobile", "ｃｈｉｎａ　ｍｏｂｉｌｅ", "cmcc ", "中国联通", "电信"]
        _wizard, result = self.run_import(xlsx_bytes(self.carrier_rows(1500, carriers)), mode="valid_only")
        self.assertEqual(result["imported"], 6, result["error_lines"])
        self.assertEqual([(line[0], line[2]) for line in result["error_lines"]], [(8, "中国联通"), (9, "电信")])
        self.assertIn("China Mobile", result["error_lines"][0][3])

    def test_carrier_alias_is_editable(self):
        self.english_only()
        rows = self.carrier_rows(1520, ["中移动通信集团"])
        _wizard, result = self.run_import(xlsx_bytes(rows))
        self.assertEqual((result["imported"], result["errors"]), (0, 1))
        self.cmcc.aliases += ", 中移动通信集团"
        _wizard, result = self.run_import(xlsx_bytes(rows))
        self.assertEqual((result["imported"], result["errors"]), (1, 0), result["error_lines"])

    def test_carrier_and_plan_names_with_chinese_installed(self):
        """With zh_CN loaded, an English user's sheet may use the Chinese names of plans and carriers, a
        Chinese user's sheet the English ones, and either the plan's internal reference."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.plan.update_field_translations("name", {"zh_CN": "测试套餐29元"})
        self.plan_b.default_code = "TP-39"
        rows = [["ICCID", "号码", "套餐", "运营商", "有效期"],
                [make_iccid("898600", 1540), "13800001540", "测试套餐29元", "中国移动", FUTURE],
                [make_iccid("898600", 1541), "13800001541", "Test Plan 29", "China Mobile", FUTURE],
                [make_iccid("898600", 1542), "13800001542", "tp-39", "移动", FUTURE],
                [make_iccid("898600", 1543), "13800001543", "[TP-39] Test Plan 39", "CMCC", FUTURE]]
        for lang, start in (("en_US", 0), ("zh_CN", 10)):
            with self.subTest(lang=lang):
                content = xlsx_bytes([rows[0]] + [
                    [make_iccid("898600", 1540 + start + i), "138%08d" % (1540 + start + i), *row[2:]]
                    for i, row in enumerate(rows[1:])
                ])
                wizard = self.env["haoka.card.import"].with_context(lang=lang).create(
                    {"file": base64.b64encode(content), "filename": "cards.xlsx"}
                )
                result = wizard.action_import()
                self.assertEqual((result["imported"], result["errors"]), (4, 0), result["error_lines"])
                cards = self.sim_lots([make_iccid("898600", 1540 + start + i) for i in range(4)])
                self.assertEqual(cards.mapped("product_id"), self.product | self.product_b)

    def test_plan_name_of_a_language_not_installed(self):
        """A plan's name stored in a language that is not (or no longer) active still matches."""
        self.english_only()
        self.env.cr.execute(
            "UPDATE product_template SET name = name || jsonb_build_object('zh_CN', '测试套餐39元') WHERE id = %s",
            (self.plan_b.id,),
        )
        self.env.invalidate_all()
        rows = [["ICCID", "套餐", "有效期"], [make_iccid("898600", 1560), "测试套餐39元", FUTURE]]
        _wizard, result = self.run_import(xlsx_bytes(rows))
        self.assertEqual(result["imported"], 1, result["error_lines"])
        self.assertEqual(self.sim_lots([make_iccid("898600", 1560)]).product_id, self.product_b)

    def test_every_row_reason_is_worded_in_the_users_language(self):
        """The row checker returns reason codes; the wizard words each one, in Chinese for a Chinese user,
        with its placeholders filled (row, plan, carrier, segment)."""
        activate_chinese(self.env)
        Import = self.env["haoka.card.import"]
        codes = card_rows.ERROR_CODES | card_rows.WARNING_CODES
        english, chinese = Import._row_reasons(), Import.with_context(lang="zh_CN")._row_reasons()
        self.assertEqual(set(english), codes)
        self.assertEqual(set(chinese), codes)
        placeholders = re.compile(r"%\((\w+)\)s")
        for code in codes:
            with self.subTest(code=code):
                self.assertRegex(chinese[code], "[\u4e00-\u9fff]")
                self.assertNotEqual(chinese[code], english[code])
                self.assertEqual(sorted(placeholders.findall(chinese[code])),
                                 sorted(placeholders.findall(english[code])))
        rows = [["ICCID", "号码", "套餐", "运营商", "有效期"],
                [make_iccid("898600", 1570), "13000001570", "Test Plan 29", "中国移动", FUTURE],
                [make_iccid("898600", 1570), "13800001571", "Test Plan 29", "联通", FUTURE]]
        wizard = Import.with_context(lang="zh_CN").create(
            {"file": base64.b64encode(xlsx_bytes(rows)), "filename": "cards.xlsx", "mode": "valid_only"}
        )
        result = wizard.action_import()
        self.assertEqual(result["imported"], 1)
        self.assertEqual(result["warning_lines"], [
            (2, "B (号码)", "13000001570", chinese[card_rows.MSISDN_SEGMENT_FLAGGED] % {
                "segment": "130", "carrier": self.cmcc.with_context(lang="zh_CN").name}),
        ])
        self.assertEqual(result["error_lines"], [
            (3, "D (运营商)", "联通", chinese[card_rows.CARRIER_MISMATCH] % {
                "plan": "Test Plan 29", "carrier": self.cmcc.with_context(lang="zh_CN").name}),
            (3, "A (ICCID)", make_iccid("898600", 1570), chinese[card_rows.ICCID_DUPLICATE] % {"row": 2}),
        ])

    def test_atomic_when_writing_fails_midway(self):
        """A failure after some chunks were written leaves nothing: in the one-pass import (cards checked and
        written chunk by chunk) and in the check-then-import one (update mode)."""
        content = xlsx_bytes([HEADER] + self.card_rows(900, 5) + self.card_rows(950, 5, plan="Test Plan 39"))
        lots_before = self.env["stock.lot"].search_count([])
        Bulk = type(self.env["haoka.stock.bulk"])
        original = Bulk._lot_row_maker
        written = []

        def failing_maker(bulk_self, products):
            make_row = original(bulk_self, products)

            def make(card, lot_id):
                written.append(card["iccid"])
                if len(written) == 8:
                    raise RuntimeError("disk full")
                return make_row(card, lot_id)

            return make

        # written at once (a small import) and by the pipeline's thread (as a large one is)
        for update_existing, threaded_from in ((False, stock_bulk.THREADED_FROM), (False, 0), (True, 0)):
            written.clear()
            with self.subTest(update_existing=update_existing, threaded_from=threaded_from), \
                    patch.object(Bulk, "_lot_row_maker", failing_maker), \
                    patch.object(stock_bulk, "THREADED_FROM", threaded_from), \
                    patch.object(import_wizard, "STREAM_CHUNK", 3), self.assertRaisesRegex(RuntimeError, "disk full"):
                with self.env.cr.savepoint():
                    self.run_import(content, update_existing=update_existing)
            self.assertEqual(len(written), 8)  # chunks of one, two and three rows were queued before the failure
            self.assertEqual(self.env["stock.lot"].search_count([]), lots_before)
            self.assertFalse(self.env["stock.quant"].search([("lot_id.name", "like", "89860000000000009")]))
            self.assertFalse(self.env["stock.move"].search([("product_id", "in", (self.product | self.product_b).ids)]))

    def test_chunks_grow_to_their_full_size(self):
        """The cards of a receipt are written in chunks that start small (PostgreSQL starts after 250 cards)
        and grow by less than the ratio of PostgreSQL's time a card to the checks' (about 2), up to
        ``STREAM_CHUNK``; every card once, in order."""
        chunks = list(import_wizard._chunks(iter(range(20000)), 20000))
        self.assertEqual([len(chunk) for chunk in chunks], [250, 437, 764, 1337, 2339, 4093, 5000, 5000, 780])
        self.assertEqual([card for chunk in chunks for card in chunk], list(range(20000)))
        self.assertEqual([len(chunk) for chunk in import_wizard._chunks(iter(range(100)), 7)], [7])

    def test_one_pass_import_in_chunks(self):
        """Files whose rows are all valid and new are checked and written chunk by chunk; the result is the
        same as for any import."""
        content = xlsx_bytes([HEADER] + self.card_rows(1100, 7) + self.card_rows(1150, 4, plan="Test Plan 39"))
        with patch.object(import_wizard, "STREAM_CHUNK", 3):
            wizard, result = self.run_import(content)
        self.assertEqual((result["imported"], result["valid"], result["errors"], result["rows"]), (11, 11, 0, 11))
        pickings = self.env["stock.picking"].browse(result["picking_ids"])
        self.assertEqual(sorted(len(p.move_line_ids) for p in pickings), [4, 7])
        self.assertEqual(set(pickings.mapped("state")), {"done"})
        self.assertEqual((self.product.qty_available, self.product_b.qty_available), (7, 4))
        cards = self.sim_lots([make_iccid("898600", 1100 + i) for i in range(7)])
        self.assertEqual(set(cards.mapped("product_qty")), {1})
        self.assertEqual(wizard.state, "done")
        self.assertIn(make_iccid("898600", 1100), wizard.preview_html)

    def test_large_files_are_received_in_receipts_of_bounded_size(self):
        """A receipt per plan for each ``RECEIPT_CARDS`` cards (ten receipts of 100,000 for a million cards,
        each out of the ORM cache before the next), in one pass and after a check alike; every card once."""
        content = xlsx_bytes([HEADER] + self.card_rows(1300, 7) + self.card_rows(1350, 4, plan="Test Plan 39"))
        with patch.object(import_wizard, "STREAM_CHUNK", 3), patch.object(import_wizard, "RECEIPT_CARDS", 4):
            _wizard, result = self.run_import(content)
        self.assertEqual((result["imported"], result["errors"]), (11, 0))
        pickings = self.env["stock.picking"].browse(result["picking_ids"])
        # cards 1-4: plan A; 5-8: three of A, one of B; 9-11: B
        self.assertEqual(sorted(len(p.move_line_ids) for p in pickings), [1, 3, 3, 4])
        self.assertEqual(set(pickings.mapped("state")), {"done"})
        self.assertEqual((self.product.qty_available, self.product_b.qty_available), (7, 4))
        bad = self.card_rows(1400, 6)
        bad[2][2] = "12"  # an invalid PUK: the file is checked first, then its valid rows written
        with patch.object(import_wizard, "RECEIPT_CARDS", 2):
            _wizard, result = self.run_import(xlsx_bytes([HEADER] + bad), mode="valid_only")
        self.assertEqual((result["imported"], result["errors"], len(result["picking_ids"])), (5, 1, 3))
        self.assertEqual(self.product.qty_available, 12)

    def test_one_pass_beside_cards_in_stock(self):
        """Cards already in the database (of no company, as their plans) do not send a file of new cards
        down the two-pass path."""
        self.run_import(xlsx_bytes([HEADER] + self.card_rows(1250, 2)))
        result, paths = self.import_paths(xlsx_bytes([HEADER] + self.card_rows(1260, 5)))
        self.assertEqual(result["imported"], 5)
        self.assertEqual(paths, ["write"])  # in one pass

    def test_one_pass_falls_back_when_a_card_exists(self):
        """A card already in the database is met in the fourth chunk: what the first chunks wrote is undone,
        and the file is reported as a whole (all or nothing: nothing imported)."""
        self.run_import(xlsx_bytes([HEADER] + self.card_rows(1207, 1)))
        content = xlsx_bytes([HEADER] + self.card_rows(1200, 9))
        lots_before = self.env["stock.lot"].search_count([])
        result, paths = self.import_paths(content)
        self.assertEqual(paths, ["write", "check"])  # chunks written, undone, then the whole file checked
        self.assertEqual((result["imported"], result["errors"]), (0, 1))
        self.assertEqual(result["error_lines"][0][0], 9)
        self.assertIn(make_iccid("898600", 1207), result["error_lines"][0][3])
        self.assertEqual(self.env["stock.lot"].search_count([]), lots_before)
        with patch.object(import_wizard, "STREAM_CHUNK", 3):
            _wizard, result = self.run_import(content, mode="valid_only")
        self.assertEqual((result["imported"], result["errors"]), (8, 1))
        self.assertEqual(self.product.qty_available, 9)

    def test_existing_card_of_another_company_is_reported(self):
        """A card exists once, in every company (the unique indexes are across companies): a file with an ICCID
        known in another company starts in one pass, is undone when the index meets the card, and the
        card is reported with its company."""
        other = self.env["res.company"].create({"name": "Other SIM Company"})
        iccid = make_iccid("898600", 1305)
        self.env["stock.lot"].create({"name": iccid, "product_id": self.product.id, "company_id": other.id})
        lots_before = self.env["stock.lot"].search_count([])
        result, paths = self.import_paths(xlsx_bytes([HEADER] + self.card_rows(1300, 8)))
        self.assertEqual(paths, ["write", "check"])
        self.assertEqual((result["imported"], result["errors"]), (0, 1))
        self.assertEqual(result["error_lines"][0][0], 7)
        self.assertIn(iccid, result["error_lines"][0][3])
        self.assertIn("Other SIM Company", result["error_lines"][0][3])
        self.assertEqual(self.env["stock.lot"].search_count([]), lots_before)

    def test_existing_card_of_no_company_is_reported_for_a_company_plan(self):
        """A plan of a company beside cards of no company: the card is found and reported as well."""
        self.product.product_tmpl_id.company_id = self.env.company
        iccid = make_iccid("898600", 1402)
        self.env["stock.lot"].create({"name": iccid, "product_id": self.product_b.id, "company_id": False})
        result, _paths = self.import_paths(xlsx_bytes([HEADER] + self.card_rows(1400, 4)))
        self.assertEqual((result["imported"], result["errors"]), (0, 1))
        self.assertIn(iccid, result["error_lines"][0][3])

    def test_update_mode_leaves_cards_of_another_company(self):
        """Update mode updates the cards of the receiving company; a card of another company is reported,
        not changed."""
        other = self.env["res.company"].create({"name": "Other SIM Company"})
        rows = self.card_rows(1500, 2)
        theirs = self.env["stock.lot"].create({"name": rows[0][0], "product_id": self.product.id,
                                                "company_id": other.id, "puk": "99999999"})
        ours = self.env["stock.lot"].create({"name": rows[1][0], "product_id": self.product.id,
                                              "company_id": self.env.company.id, "puk": "99999999"})
        _wizard, result = self.run_import(xlsx_bytes([HEADER] + rows), update_existing=True, mode="valid_only")
        self.assertEqual((result["imported"], result["updated"], result["errors"]), (0, 1, 1))
        self.assertEqual(result["error_lines"][0][0], 2)
        self.assertIn("Other SIM Company", result["error_lines"][0][3])
        secrets = (theirs | ours).sudo()._haoka_read_secrets()
        self.assertEqual((secrets[theirs.id]["puk"], secrets[ours.id]["puk"]), ("99999999", rows[1][2]))

    def test_staff_can_import_through_the_form(self):
        content = xlsx_bytes([HEADER] + self.card_rows(1000, 2))
        form = Form(self.env["haoka.card.import"].with_user(self.staff))
        form.file = base64.b64encode(content)
        wizard = form.save()
        wizard.action_check()
        self.assertEqual((wizard.state, wizard.valid_count, wizard.error_count), ("checked", 2, 0))
        self.assertFalse(self.sim_lots([make_iccid("898600", 1000)]))  # the check writes nothing
        self.assertIn(make_iccid("898600", 1000), wizard.preview_html)
        wizard.action_start_import()
        self.assertEqual(wizard.imported_count, 2)
        self.assertEqual(len(self.sim_lots([make_iccid("898600", 1000 + i) for i in range(2)])), 2)

    def test_template_imports_as_downloaded(self):
        """The template's example row is a card of the plan's carrier (issuer prefix, check digit, number
        segment) that is not in the database yet: it imports without error or warning, again and again."""
        ctcc = self.env.ref("haoka_distribution.carrier_ctcc")
        ctcc.iccid_check_policy = "strict"
        plan_ct = self.env["product.template"].create(
            {"name": "Test Telecom 59", "is_sim_card": True, "haoka_carrier_id": ctcc.id}
        )
        for plan in (self.plan, self.plan_cu, plan_ct, plan_ct):
            with self.subTest(plan=plan.name):
                wizard = self.env["haoka.card.import"].with_user(self.staff).create({"plan_id": plan.id})
                action = wizard.action_download_template()
                self.assertIn("template_file", action["url"])
                content = base64.b64decode(wizard.template_file)
                sheet = openpyxl.load_workbook(io.BytesIO(content)).active
                header, example = ([c.value for c in row] for row in sheet.iter_rows(max_row=2))
                self.assertIn("ICCID(卡号)", header)
                carrier = plan.haoka_carrier_id
                self.assertTrue(carrier._owns_iccid(example[0]), example[0])
                self.assertEqual(sim.iccid_luhn_status(example[0]), "ok")
                self.assertIn(example[1][:3], carrier._segment_set())
                _wizard, result = self.run_import(content)
                self.assertEqual((result["imported"], result["errors"], result["warnings"]), (1, 0, 0),
                                 result["error_lines"] + result["warning_lines"])
                card = self.sim_lots([example[0]])
                self.assertEqual((card.product_id, card.msisdn, card.haoka_warning),
                                 (plan.product_variant_id, example[1], False))

    def test_all_or_nothing_says_why_and_offers_the_valid_rows(self):
        rows = [HEADER] + self.card_rows(1700, 3) + [
            [make_iccid("898600", 1703), "13800001703", "", "", "No Such Plan", FUTURE],
            [make_iccid("898600", 1704), "23800001704", "", "", "Test Plan 29", FUTURE],
        ]
        wizard = self.env["haoka.card.import"].with_user(self.staff).create(
            {"file": base64.b64encode(xlsx_bytes(rows)), "filename": "cards.xlsx"}
        )
        wizard.action_check()
        self.assertEqual((wizard.valid_count, wizard.rejected_count, wizard.import_blocked), (3, 2, True))
        self.assertIn("2 rows are rejected", wizard.blocked_message)
        self.assertIn("3 valid rows", wizard.blocked_message)
        action = wizard.action_start_import()  # 导入: nothing written, and the user is told why
        self.assertEqual((action["tag"], action["params"]["type"]), ("display_notification", "warning"))
        self.assertIn("2 rows are rejected", action["params"]["message"])
        self.assertEqual(action["params"]["next"]["res_id"], wizard.id)
        self.assertEqual((wizard.state, wizard.imported_count), ("checked", 0))
        self.assertFalse(self.sim_lots([make_iccid("898600", 1700)]))
        action = wizard.action_import_valid_rows()
        self.assertEqual(action["res_id"], wizard.id)
        self.assertEqual((wizard.state, wizard.imported_count, wizard.error_count), ("done", 3, 2))
        self.assertFalse(wizard.import_blocked)
        self.assertEqual(len(self.sim_lots([make_iccid("898600", 1700 + i) for i in range(3)])), 3)

    def test_warnings_are_listed_as_errors_are(self):
        """A card imported but flagged (check digit, prefix or number segment not the carrier's) is listed
        with its row, column, value and reason, in the preview and in the downloadable report."""
        bad_luhn, unicom_iccid = make_iccid("898600", 1801, valid=False), make_iccid("898601", 1802)
        rows = [["序号", "ICCID", "号码", "套餐", "有效期"],
                [1, make_iccid("898600", 1800), "13800001800", "Test Plan 29", FUTURE],
                [2, bad_luhn, "13800001801", "Test Plan 29", FUTURE],
                [3, unicom_iccid, "13800001802", "Test Plan 29", FUTURE],
                [4, make_iccid("898600", 1803), "13000001803", "Test Plan 29", FUTURE],
                [5, make_iccid("898600", 1804), "13800001804", "No Such Plan", FUTURE]]
        wizard, result = self.run_import(xlsx_bytes(rows, text_columns=(1,)), mode="valid_only")
        self.assertEqual((result["imported"], result["errors"], result["warnings"]), (4, 1, 3))
        warnings = result["warning_lines"]
        self.assertEqual([line[:3] for line in warnings], [
            (3, "B (ICCID)", bad_luhn), (4, "B (ICCID)", unicom_iccid), (5, "C (号码)", "13000001803"),
        ])
        self.assertIn("Luhn", warnings[0][3])
        self.assertIn("China Mobile", warnings[1][3])
        self.assertIn("130", warnings[2][3])
        self.assertEqual(wizard.warning_count, 3)
        self.assertIn("13000001803", wizard.preview_html)
        report = list(openpyxl.load_workbook(io.BytesIO(result["error_report"])).active.iter_rows(values_only=True))
        self.assertEqual([line[0] for line in report[1:]], [6, 3, 4, 5])
        self.assertEqual(report[1][1], "D (套餐)")
        self.assertEqual({line[4] for line in report[2:]}, {"Warning"})
        self.assertEqual(wizard.column_ids.mapped("column_letter"), ["A", "B", "C", "D", "E"])
        flagged = self.sim_lots([bad_luhn, unicom_iccid, make_iccid("898600", 1803)])
        self.assertEqual(len(flagged.filtered("haoka_warning")), 3)


def unpacked_texts(value):
    """The texts a stored value may hold: itself, its base64 decoding and, for a zip (.xlsx), its members."""
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, str):
        value = value.encode()
    if not isinstance(value, bytes):
        return [str(value)]
    blobs = [value]
    try:
        blobs.append(base64.b64decode(value, validate=True))
    except ValueError:
        pass
    texts = []
    for blob in blobs:
        texts.append(blob.decode("utf-8", "replace"))
        if blob[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(blob)) as archive:
                texts.extend(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return texts


class TestImportKeepsNoClearSecret(HaokaCase):
    """The uploaded file (PUK/PIN) is not kept in clear in the database, nor its secrets in the error report,
    the attachments or the chatter: after an import, a dry run and a failed import."""

    SECRETS = ("83726154", "61829374", "739182", "5064917")

    def setUp(self):
        super().setUp()
        self.env.cr.execute("SELECT COALESCE(max(id), 0) FROM ir_attachment")
        self.last_attachment = self.env.cr.fetchone()[0]
        self.env.cr.execute("SELECT COALESCE(max(id), 0) FROM mail_message")
        self.last_message = self.env.cr.fetchone()[0]

    def rows(self, start, bad_puk=False):
        return [HEADER,
                [make_iccid("898600", start), "138%08d" % start, "83726154", "739182", "Test Plan 29", FUTURE],
                [make_iccid("898600", start + 1), "138%08d" % (start + 1),
                 "5064917" if bad_puk else "61829374", "4321", "Test Plan 29", FUTURE]]

    def new_wizard(self, content, filename="cards.xlsx", **vals):
        return self.env["haoka.card.import"].with_user(self.manager).create(
            dict({"file": base64.b64encode(content), "filename": filename}, **vals)
        )

    def assert_no_clear_secret(self, wizard):
        self.env.flush_all()
        self.env.cr.execute("SELECT * FROM haoka_card_import WHERE id = %s", (wizard.id,))
        columns = [column.name for column in self.env.cr.description]
        stored = dict(zip(columns, self.env.cr.fetchone(), strict=True))
        self.env.cr.execute(
            "SELECT c.* FROM haoka_card_import_column c WHERE c.wizard_id = %s", (wizard.id,)
        )
        stored["columns"] = self.env.cr.fetchall()
        attachments = self.env["ir.attachment"].sudo().search([("id", ">", self.last_attachment)])
        for attachment in attachments:
            stored["attachment %s" % attachment.id] = attachment.raw
            stored["attachment %s index" % attachment.id] = attachment.index_content
        self.env.cr.execute(
            "SELECT id, body::text FROM mail_message WHERE id > %s", (self.last_message,)
        )
        stored.update({"message %s" % message_id: body for message_id, body in self.env.cr.fetchall()})
        self.env.cr.execute(
            "SELECT string_agg(concat(old_value_char, ' ', new_value_char), ' ') FROM mail_tracking_value "
            "WHERE mail_message_id > %s", (self.last_message,)
        )
        stored["tracking"] = self.env.cr.fetchone()[0]
        for name, value in stored.items():
            for text in unpacked_texts(value):
                for secret in self.SECRETS:
                    self.assertNotIn(secret, text, "%s holds the secret %s in clear" % (name, secret))
        return stored

    def test_import(self):
        for filename, content in (("cards.xlsx", xlsx_bytes(self.rows(1600))),
                                  ("cards.csv", csv_bytes(self.rows(1610)))):
            with self.subTest(filename=filename):
                wizard = self.new_wizard(content, filename)
                self.assert_no_clear_secret(wizard)  # as uploaded
                result = wizard.action_import()
                self.assertEqual(result["imported"], 2, result["error_lines"])
                stored = self.assert_no_clear_secret(wizard)
                self.assertFalse(stored["file_cipher"])  # nothing to import any more: the file is gone
                self.assertFalse(wizard.file)
        card = self.env["stock.lot"].search([("name", "=", make_iccid("898600", 1610))])
        self.assertEqual(card.sudo()._haoka_read_secrets()[card.id], {"puk": "83726154", "pin": "739182"})

    def test_dry_run_keeps_the_file_encrypted_for_the_import(self):
        wizard = self.new_wizard(xlsx_bytes(self.rows(1620)))
        wizard.action_check()
        self.assertEqual((wizard.valid_count, wizard.error_count), (2, 0))
        stored = self.assert_no_clear_secret(wizard)
        self.assertTrue(stored["file_cipher"].startswith("g1:"))
        wizard.action_start_import()
        self.assertEqual(wizard.imported_count, 2)
        self.assert_no_clear_secret(wizard)

    def test_failed_import_and_its_error_report(self):
        wizard = self.new_wizard(xlsx_bytes(self.rows(1630, bad_puk=True)))
        result = wizard.action_import()
        self.assertEqual((result["imported"], result["errors"]), (0, 1))
        (row, _column, value, reason), = result["error_lines"]
        self.assertEqual((row, value), (3, "*******"))  # the length shows what is wrong, not the digits
        self.assertIn("8 digits", reason)
        self.assertNotIn("5064917", wizard.preview_html)
        report = openpyxl.load_workbook(io.BytesIO(result["error_report"])).active
        self.assertEqual(list(report.iter_rows(values_only=True))[1][2], "*******")
        self.assert_no_clear_secret(wizard)
        # the error report is downloaded from the wizard's own field: no attachment is made for it
        self.assertIn("field=error_report", wizard.action_download_errors()["url"])
        self.assert_no_clear_secret(wizard)


class TestImportMatchesStandardReceipt(HaokaCase):
    """100 cards imported, 100 cards received the standard way: Odoo sees the same stock."""

    def _standard_receipt(self, product, names, expiry):
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1)
        picking_type = warehouse.in_type_id
        picking = self.env["stock.picking"].create({
            "picking_type_id": picking_type.id,
            "location_id": picking_type.default_location_src_id.id,
            "location_dest_id": warehouse.lot_stock_id.id,
            "move_ids": [(0, 0, {
                "name": product.name, "product_id": product.id, "product_uom_qty": len(names),
                "product_uom": product.uom_id.id, "picking_type_id": picking_type.id,
                "location_id": picking_type.default_location_src_id.id,
                "location_dest_id": warehouse.lot_stock_id.id,
            })],
        })
        move = picking.move_ids
        self.env["stock.move.line"].create([{
            "move_id": move.id, "picking_id": picking.id, "product_id": product.id, "lot_name": name,
            "quantity": 1, "location_id": move.location_id.id, "location_dest_id": move.location_dest_id.id,
            "product_uom_id": product.uom_id.id, "expiration_date": expiry,
        } for name in names])
        picking.action_confirm()
        self.assertIs(picking.button_validate(), True)
        return picking

    def _stock_picture(self, product):
        lots = self.env["stock.lot"].search([("product_id", "=", product.id)])
        quants = self.env["stock.quant"].search([("product_id", "=", product.id)])
        lines = self.env["stock.move.line"].search([("product_id", "=", product.id)])
        moves = lines.move_id
        layers = self.env["stock.valuation.layer"].search([("product_id", "=", product.id)])
        return {
            "lot_count": len(lots),
            "qty_available": product.with_context(location=False).qty_available,
            "quants": sorted((q.location_id.id, q.quantity, q.reserved_quantity, q.company_id.id, bool(q.in_date),
                              q.expiration_date == q.lot_id.expiration_date, q.inventory_diff_quantity,
                              q.inventory_date) for q in quants),
            "lines": sorted((ml.state, ml.quantity, ml.picked, ml.location_id.id, ml.location_dest_id.id,
                             bool(ml.lot_id), ml.expiration_date == ml.lot_id.expiration_date, ml.company_id.id)
                            for ml in lines),
            "moves": sorted((m.state, m.quantity, m.product_uom_qty, m.picked, m.picking_id.state,
                             m.picking_id.picking_type_id.id) for m in moves),
            "layers": sorted((s.quantity, s.value, s.remaining_qty, s.unit_cost) for s in layers),
            "lots": sorted((lot.location_id.id, lot.product_qty, lot.company_id.id, lot.card_state, lot.is_sim_card,
                            lot.product_expiry_reminded, lot.use_date == lot.expiration_date,
                            len(lot.quant_ids), lot.delivery_count) for lot in lots),
            "traceability": sorted(
                len(self.env["stock.move.line"].search([("lot_id", "=", lot.id)])) for lot in lots
            ),
        }

    def test_same_as_standard_receipt(self):
        self.plan.standard_price = 7.5
        self.plan_b.standard_price = 7.5
        expiry = datetime.datetime.combine(FUTURE, datetime.time())
        names_standard = [make_iccid("898600", 5000 + i) for i in range(100)]
        self._standard_receipt(self.product, names_standard, expiry)
        rows = [HEADER] + [[make_iccid("898600", 6000 + i), "", "", "", "Test Plan 39", FUTURE] for i in range(100)]
        wizard = self.env["haoka.card.import"].create({"file": base64.b64encode(xlsx_bytes(rows)),
                                                       "filename": "c.xlsx"})
        result = wizard.action_import()
        self.assertEqual(result["imported"], 100, result["error_lines"])
        # compare what is in the database, not what the ORM has in its cache
        self.env.flush_all()
        self.env.invalidate_all()
        standard, imported = self._stock_picture(self.product), self._stock_picture(self.product_b)
        for key in standard:
            with self.subTest(key=key):
                self.assertEqual(imported[key], standard[key])
        self.assertEqual(standard["lot_count"], 100)
        # the stored fields of the lots match too (bar identity and dates of creation)
        ignored = {"id", "name", "product_id", "create_date", "write_date", "display_name", "message_ids",
                   "quant_ids", "delivery_ids", "lot_properties", "__last_update", "website_message_ids",
                   "message_follower_ids", "activity_ids", "rating_ids", "message_partner_ids",
                   "expiration_date", "use_date", "removal_date", "alert_date", "haoka_carrier_id"}
        Lot = self.env["stock.lot"]
        names = [n for n, f in Lot._fields.items() if f.store and n not in ignored]
        orm = Lot.search([("name", "=", names_standard[0])]).read(names)[0]
        bulk = Lot.search([("name", "=", make_iccid("898600", 6000))]).read(names)[0]
        self.assertEqual({k: bulk[k] for k in names}, {k: orm[k] for k in names})

    def _stored_rows(self, records, ignored):
        """Every stored column of ``records`` but ``ignored`` (and identity): sorted rows of (name, value)."""
        names = [name for name, field in records._fields.items()
                 if field.store and field.type not in ("one2many", "many2many")
                 and name not in {"id", "create_date", "write_date", *ignored}]
        return sorted((tuple((name, row[name]) for name in names) for row in records.read(names, load=False)),
                      key=repr)

    def _chatter(self, records, names):
        """The messages on ``records``, their names (``names``) taken out of the texts."""
        messages = self.env["mail.message"].search(
            [("model", "=", records._name), ("res_id", "in", records.ids)], order="id"
        )
        result = []
        for message in messages:
            body = str(message.body)
            for name in names:
                body = body.replace(name, "<name>")
            result.append((message.message_type, message.subtype_id.id, body, sorted(
                (value.field_id.name, value.old_value_char, value.new_value_char, value.old_value_float,
                 value.new_value_float) for value in message.sudo().tracking_value_ids
            )))
        return sorted(result, key=repr)

    def _full_picture(self, product, pickings):
        lots = self.env["stock.lot"].search([("product_id", "=", product.id)])
        names = [*lots.mapped("name"), *pickings.mapped("name")]
        per_receipt = {"product_id", "product_tmpl_id", "lot_id", "lot_name", "move_id", "picking_id", "reference",
                       "name", "description", "stock_move_id", "date", "in_date", "msisdn", "msisdn_tail",
                       "puk_cipher", "pin_cipher", "puk_hash", "grade_id", "grade_pattern",
                       "expiration_date", "use_date", "removal_date", "alert_date"}
        return {
            "lots": self._stored_rows(lots, per_receipt),
            "lines": self._stored_rows(self.env["stock.move.line"].search([("product_id", "=", product.id)]),
                                       per_receipt),
            "quants": self._stored_rows(self.env["stock.quant"].search([("product_id", "=", product.id)]),
                                        per_receipt),
            "layers": self._stored_rows(
                self.env["stock.valuation.layer"].search([("product_id", "=", product.id)]), per_receipt
            ),
            "lot chatter": self._chatter(lots, names),
            "picking chatter": self._chatter(pickings, names),
        }

    def _compare_with_tracking(self, cost_method):
        """Every stored column of lots, move lines, quants and valuation layers, and the chatter, tracking on,
        after a receipt validated by hand and an import (identities, names, numbers and times of day aside)."""
        self.env = self.env(context=dict(self.env.context, tracking_disable=False))
        category = self.env["product.category"].create({"name": "Cards %s" % cost_method,
                                                        "property_cost_method": cost_method})
        for plan in (self.plan, self.plan_b):
            plan.with_env(self.env).write({"categ_id": category.id, "standard_price": 7.5})
        expiry = datetime.datetime.combine(FUTURE, datetime.time())
        names = [make_iccid("898600", 8000 + i) for i in range(5)]
        standard = self._standard_receipt(self.product.with_env(self.env), names, expiry)
        rows = [HEADER] + [[make_iccid("898600", 8100 + i), "", "", "", "Test Plan 39", FUTURE] for i in range(5)]
        wizard = self.env["haoka.card.import"].create({"file": base64.b64encode(xlsx_bytes(rows)),
                                                       "filename": "c.xlsx"})
        result = wizard.action_import()
        self.assertEqual(result["imported"], 5, result["error_lines"])
        self.env.flush_all()
        self.env.invalidate_all()
        by_hand = self._full_picture(self.product, standard)
        imported = self._full_picture(self.product_b, self.env["stock.picking"].browse(result["picking_ids"]))
        # the one known difference, kept on purpose (see models/stock_bulk.py): Odoo logs "Lot/Serial created"
        # on each lot it creates with tracking on; the fast path writes the lots by COPY and logs nothing on
        # them, as a note per card would cost a mail_message row each (the receipt's own chatter is the same).
        # The note is in the language Odoo writes it in (zh_CN loaded or not): asked of Odoo, in the same env
        created = self.env["stock.lot"].search([("name", "=", names[0])], limit=1)._creation_message()
        self.assertEqual(by_hand.pop("lot chatter"), [("notification", self.env.ref("mail.mt_note").id,
                                                       "<p>%s</p>" % escape(created), [])] * 5)
        self.assertEqual(imported.pop("lot chatter"), [])
        self.assertEqual([len(by_hand[key]) for key in ("lots", "lines", "quants", "layers")], [5, 5, 10, 1])
        self.assertIn(("value", 37.5), by_hand["layers"][0])
        for key in by_hand:
            with self.subTest(key=key, cost_method=cost_method):
                self.assertEqual(imported[key], by_hand[key])

    def test_every_column_and_the_chatter_standard_cost(self):
        self._compare_with_tracking("standard")

    def test_every_column_and_the_chatter_average_cost(self):
        self._compare_with_tracking("average")

    def test_every_column_and_the_chatter_fifo(self):
        self._compare_with_tracking("fifo")

    def import_cards(self, plan, first, count):
        rows = [HEADER] + [[make_iccid("898600", first + i), "1370%07d" % (first + i), "%08d" % i, "1234", plan, FUTURE]
                           for i in range(count)]
        wizard = self.env["haoka.card.import"].create({"file": base64.b64encode(xlsx_bytes(rows)),
                                                       "filename": "c.xlsx"})
        result = wizard.action_import()
        self.assertEqual(result["imported"], count, result["error_lines"])
        return result

    def test_fast_path_knows_every_installed_override(self):
        """The detector names the overrides and stored fields of modules it does not know, and lot valuation."""
        Bulk = self.env["haoka.stock.bulk"]
        self.assertEqual(Bulk._fast_path_blockers([self.product]), [])
        reasons = Bulk._fast_path_blockers([self.product], known=stock_bulk.KNOWN_MODULES - {"stock_account"})
        for reason in ("stock.move.line._action_done is overridden by module stock_account",
                       "stock.lot.create is overridden by module stock_account",
                       "stock.move._get_in_move_lines is overridden by module stock_account",
                       "stock.lot.standard_price is a stored field of module stock_account"):
            self.assertIn(reason, reasons)
        self.assertNotIn("stock.quant.create is overridden by module stock_account", reasons)
        self.product.lot_valuated = True
        self.assertEqual(Bulk._fast_path_blockers([self.product]),
                         ["%s is valuated per lot" % self.product.display_name])

    def test_unknown_override_takes_the_standard_path_with_the_same_result(self):
        """A module the fast path does not know (here: stock_account, as if it were not vetted) sends the
        import through Odoo's standard path; Odoo sees the same stock as after the fast path."""
        self.plan.standard_price = 7.5
        self.plan_b.standard_price = 7.5
        self.import_cards("Test Plan 29", 7400, 30)
        Bulk = type(self.env["haoka.stock.bulk"])
        taken, standard_import = [], Bulk._standard_import

        def recording(bulk_self, *args, **kwargs):
            taken.append("standard")
            return standard_import(bulk_self, *args, **kwargs)

        with patch.object(stock_bulk, "KNOWN_MODULES", stock_bulk.KNOWN_MODULES - {"stock_account"}), \
                patch.object(Bulk, "_standard_import", recording):
            self.import_cards("Test Plan 39", 7500, 30)
        self.assertEqual(taken, ["standard"])
        self.env.flush_all()
        self.env.invalidate_all()
        fast, standard = self._stock_picture(self.product), self._stock_picture(self.product_b)
        for key in fast:
            with self.subTest(key=key):
                self.assertEqual(standard[key], fast[key])
        self.assertEqual(fast["lot_count"], 30)
        Lot = self.env["stock.lot"]
        ignored = {"id", "name", "product_id", "create_date", "write_date", "display_name", "msisdn",
                   "puk_cipher", "pin_cipher", "msisdn_tail", "grade_id", "grade_pattern"}
        names = [n for n, f in Lot._fields.items() if f.store and f.type not in ("one2many", "many2many")
                 and n not in ignored]
        by_fast = Lot.search([("name", "=", make_iccid("898600", 7400))]).read(names)[0]
        by_standard = Lot.search([("name", "=", make_iccid("898600", 7500))]).read(names)[0]
        self.assertEqual({k: by_standard[k] for k in names}, {k: by_fast[k] for k in names})
