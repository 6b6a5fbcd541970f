"""Excel/CSV card import into stock: real files written by openpyxl, xlwt and the csv module."""

import base64
import csv
import datetime
import io
from unittest.mock import patch

import openpyxl
import xlwt

from odoo.exceptions import UserError
from odoo.tests import Form

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
        with self.recording("stock.lot", "_haoka_import_cards", events, "write"), \
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
        self.assertEqual((row, column), (2, "ICCID"))
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
        self.assertEqual(errors[7][0], "套餐")
        self.assertEqual(errors[7][1], "No Such Plan")
        self.assertEqual(errors[8][0], "有效期")
        self.assertEqual(errors[9][0], "号码")
        self.assertEqual(errors[10][0], "PUK")
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

    def test_atomic_when_writing_fails_midway(self):
        """A failure after some chunks were written leaves nothing: in the one-pass import (cards checked and
        written chunk by chunk) and in the check-then-import one (update mode)."""
        content = xlsx_bytes([HEADER] + self.card_rows(900, 5) + self.card_rows(950, 5, plan="Test Plan 39"))
        lots_before = self.env["stock.lot"].search_count([])
        Lot = type(self.env["stock.lot"])
        original = Lot._haoka_lot_row_maker
        written = []

        def failing_maker(lot_self, products, location):
            make_row = original(lot_self, products, location)

            def make(card, lot_id):
                written.append(card["iccid"])
                if len(written) == 8:
                    raise RuntimeError("disk full")
                return make_row(card, lot_id)

            return make

        for update_existing in (False, True):
            written.clear()
            with self.subTest(update_existing=update_existing), \
                    patch.object(Lot, "_haoka_lot_row_maker", failing_maker), \
                    patch.object(import_wizard, "STREAM_CHUNK", 3), self.assertRaisesRegex(RuntimeError, "disk full"):
                with self.env.cr.savepoint():
                    self.run_import(content, update_existing=update_existing)
            self.assertEqual(len(written), 8)  # chunks of one and three rows were queued before the failure
            self.assertEqual(self.env["stock.lot"].search_count([]), lots_before)
            self.assertFalse(self.env["stock.quant"].search([("lot_id.name", "like", "89860000000000009")]))
            self.assertFalse(self.env["stock.move"].search([("product_id", "in", (self.product | self.product_b).ids)]))

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
        """The unique indexes are per company: with cards of another company in the database, the file is
        checked as a whole, and an ICCID known there is reported."""
        other = self.env["res.company"].create({"name": "Other SIM Company"})
        iccid = make_iccid("898600", 1305)
        self.env["stock.lot"].create({"name": iccid, "product_id": self.product.id, "company_id": other.id})
        result, paths = self.import_paths(xlsx_bytes([HEADER] + self.card_rows(1300, 8)))
        self.assertEqual(paths, ["check"])
        self.assertEqual((result["imported"], result["errors"]), (0, 1))
        self.assertEqual(result["error_lines"][0][0], 7)
        self.assertIn(iccid, result["error_lines"][0][3])

    def test_existing_card_of_no_company_is_reported_for_a_company_plan(self):
        """A plan of a company beside cards of no company: the file is checked as a whole as well."""
        self.product.product_tmpl_id.company_id = self.env.company
        iccid = make_iccid("898600", 1402)
        self.env["stock.lot"].create({"name": iccid, "product_id": self.product_b.id, "company_id": False})
        result, paths = self.import_paths(xlsx_bytes([HEADER] + self.card_rows(1400, 4)))
        self.assertEqual(paths, ["check"])
        self.assertEqual((result["imported"], result["errors"]), (0, 1))
        self.assertIn(iccid, result["error_lines"][0][3])

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

    def test_template_download(self):
        wizard = self.env["haoka.card.import"].create({"plan_id": self.plan.id})
        action = wizard.action_download_template()
        self.assertIn("template_file", action["url"])
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.template_file))).active
        header = [c.value for c in sheet[1]]
        self.assertIn("ICCID(卡号)", header)
        # the template imports as it is (its example card included)
        _wizard, result = self.run_import(base64.b64decode(wizard.template_file))
        self.assertEqual(result["imported"], 1, result["error_lines"])


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
