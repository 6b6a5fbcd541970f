"""号卡导出: Excel export of cards, formula-safe, secrets only for managers, and a round trip."""

import base64
import datetime
import io

import openpyxl

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from ..tools.groups import MANAGER_GROUP, USER_GROUP
from .common import HaokaCase, make_iccid
from .test_card_import import HEADER, xlsx_bytes

FUTURE = datetime.date.today() + datetime.timedelta(days=500)


class TestCardExport(HaokaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rows = [HEADER] + [
            [make_iccid("898600", 70000 + i), "1380007%04d" % i, "%08d" % (12345670 + i), "1234",
             "Test Plan 29", FUTURE]
            for i in range(5)
        ]
        wizard = cls.env["haoka.card.import"].create({"file": base64.b64encode(xlsx_bytes(rows)), "filename": "a.xlsx"})
        assert wizard.action_import()["imported"] == 5
        cls.cards = cls.env["stock.lot"].search([("name", "like", "89860000000000700")])
        cls.cards |= cls.env["stock.lot"].search([("product_id", "=", cls.product.id)])

    def export(self, user, cards=None):
        action = (cards or self.cards).with_user(user).action_haoka_export_xlsx()
        export = self.env["haoka.card.export"].with_user(user).browse(int(action["url"].rsplit("/", 1)[1]))
        return export._haoka_workbook()[0]

    def sheet_rows(self, content):
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        return [list(row) for row in sheet.iter_rows(values_only=True)]

    def test_manager_export_has_secrets_as_text(self):
        rows = self.sheet_rows(self.export(self.manager))
        header = rows[0]
        self.assertEqual(header[:4], ["ICCID", "Phone Number", "PUK", "PIN"])
        self.assertEqual(len(rows), 1 + len(self.cards))
        first = rows[1]
        card = self.cards.sorted("name")[0]
        self.assertEqual(first[0], card.name)  # a string, all 20 digits
        self.assertIsInstance(first[0], str)
        self.assertEqual(first[1], card.msisdn)
        self.assertEqual(first[2], "12345670")
        self.assertIsInstance(first[6], datetime.datetime)  # a date cell
        self.assertEqual(first[6].date(), FUTURE)

    def test_staff_export_has_no_secret_columns(self):
        rows = self.sheet_rows(self.export(self.staff))
        self.assertNotIn("PUK", rows[0])
        self.assertNotIn("PIN", rows[0])
        flat = "".join(str(v) for row in rows for v in row)
        self.assertNotIn("12345670", flat)

    def test_formula_like_values_stay_text(self):
        card = self.cards[0]
        self.env.cr.execute("UPDATE product_template SET name = %s WHERE id = %s",
                            ('{"en_US": "=HYPERLINK(\\"http://x\\")"}', self.plan.id))
        self.env.invalidate_all()
        content = self.export(self.manager, card)
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        cell = sheet.cell(row=2, column=5)
        self.assertEqual(cell.value, '=HYPERLINK("http://x")')
        self.assertEqual(cell.data_type, "s")  # a string, not a formula
        import zipfile

        sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
        self.assertNotIn("<f>", sheet_xml)

    def test_round_trip(self):
        content = self.export(self.manager)
        before = {c.name: (c.msisdn, c.expiration_date, c.product_id, c.sudo()._haoka_read_secrets()[c.id])
                  for c in self.cards}
        wizard = self.env["haoka.card.import"].create(
            {"file": base64.b64encode(content), "filename": "export.xlsx", "update_existing": True}
        )
        result = wizard.action_import()
        self.assertEqual(result["errors"], 0, result["error_lines"])
        self.assertEqual(result["updated"], len(self.cards))
        self.assertEqual(result["imported"], 0)
        self.env.invalidate_all()
        after = {c.name: (c.msisdn, c.expiration_date, c.product_id, c.sudo()._haoka_read_secrets()[c.id])
                 for c in self.cards}
        self.assertEqual(after, before)
        # and into an empty stock it creates the same cards
        snapshot = {c.name: (c.msisdn, c.product_id.id, c.expiration_date.date()) for c in self.cards}
        self.env.cr.execute("SAVEPOINT roundtrip")
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM stock_quant WHERE lot_id = ANY(%s)", (self.cards.ids,))
        self.env.cr.execute("UPDATE stock_move_line SET lot_id = NULL WHERE lot_id = ANY(%s)", (self.cards.ids,))
        self.env.cr.execute("DELETE FROM stock_lot WHERE id = ANY(%s)", (self.cards.ids,))
        self.env.invalidate_all()
        wizard = self.env["haoka.card.import"].create({"file": base64.b64encode(content), "filename": "export.xlsx"})
        result = wizard.action_import()
        self.assertEqual(result["imported"], len(snapshot), result["error_lines"])
        again = self.env["stock.lot"].search([("name", "in", list(snapshot))])
        self.assertEqual({c.name: (c.msisdn, c.product_id.id, c.expiration_date.date()) for c in again}, snapshot)
        self.env.cr.execute("ROLLBACK TO SAVEPOINT roundtrip")

    def test_nothing_selected(self):
        with self.assertRaises(UserError):
            self.env["stock.lot"].action_haoka_export_xlsx()


@tagged("post_install", "-at_install")
class TestCardExportDownload(HttpCase):
    """The export with PUK/PIN is not kept anywhere: built when its creator downloads it, once."""

    def test_downloaded_once_by_its_creator_and_stored_nowhere(self):
        carrier = self.env.ref("haoka_distribution.carrier_cmcc")
        plan = self.env["product.template"].create(
            {"name": "Export Plan", "is_sim_card": True, "haoka_carrier_id": carrier.id}
        )
        card = self.env["stock.lot"].create({"name": make_iccid("898600", 71000), "msisdn": "13800071000",
                                             "product_id": plan.product_variant_id.id, "puk": "83726154"})
        manager = new_test_user(self.env, login="export_manager", groups=MANAGER_GROUP)
        new_test_user(self.env, login="export_staff", groups=USER_GROUP)
        new_test_user(self.env, login="export_sales", groups="sales_team.group_sale_salesman")
        self.env.cr.execute("SELECT COALESCE(max(id), 0) FROM ir_attachment")
        last_attachment = self.env.cr.fetchone()[0]
        url = card.with_user(manager).action_haoka_export_xlsx()["url"]
        for login in ("export_staff", "export_sales"):  # nobody else can fetch it
            self.authenticate(login, login)
            self.assertEqual(self.url_open(url).status_code, 404)
        self.authenticate("export_manager", "export_manager")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn("spreadsheetml", response.headers["Content-Type"])
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        self.assertEqual([c.value for c in sheet[2]][:3], [card.name, "13800071000", "83726154"])
        self.assertEqual(self.url_open(url).status_code, 404)  # consumed
        self.env.cr.execute("SELECT count(*) FROM ir_attachment WHERE id > %s", (last_attachment,))
        self.assertEqual(self.env.cr.fetchone()[0], 0)
