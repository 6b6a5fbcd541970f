"""我的钱包 › 对账单 over real HTTP: a distributor downloads its own statement of a period as .xlsx (read back
with openpyxl) and as PDF (HTML under the test runners), of all its wallets or one; another distributor's
partner id or wallet id answers 404 and never shows a figure of theirs; bad dates are refused with a clear
message; in Chinese; a portal user cannot make another distributor's statement through the ORM either."""

import datetime
import uuid

from lxml import html

from odoo import fields
from odoo.exceptions import AccessError

from .test_portal_wallet import PortalWalletCase
from .test_wallet_statement import read_xlsx

D = datetime.date
PERIOD = {"date_from": "2025-02-01", "date_to": "2025-02-28"}


class TestPortalWalletStatement(PortalWalletCase):
    def post_dated(self, partner, wallet_type, amount, date, kind="commission_credit", reason="test"):
        return self.env["haoka.wallet.transaction"]._haoka_post_movements([{
            "partner": partner, "wallet_type": wallet_type, "amount": amount, "kind": kind, "reason": reason,
            "counterpart_account": self.expense, "key": uuid.uuid4().hex, "date": date}])

    def setUp(self):
        super().setUp()
        self.post_dated(self.seller, self.commission_wallet, 300, D(2025, 1, 10))
        self.post_dated(self.seller, self.commission_wallet, 45.5, D(2025, 2, 3), reason="February commission")
        self.post_dated(self.seller, self.prepaid_wallet, 60, D(2025, 2, 4), kind="topup", reason="Own top-up")
        self.post_dated(self.other, self.commission_wallet, 777.77, D(2025, 2, 5), reason="Theirs")
        self.own_wallets = self.env["haoka.wallet"].search([("partner_id", "=", self.seller.id)])
        self.their_wallet = self.env["haoka.wallet"].search([("partner_id", "=", self.other.id)], limit=1)

    def download(self, url, **params):
        return self.url_open(url + "?" + "&".join(f"{key}={value}" for key, value in params.items()))

    def sheet_rows(self, response):
        self.assertEqual(response.status_code, 200, response.text[:500])
        self.assertIn("spreadsheetml", response.headers["Content-Type"])
        return read_xlsx(response.content)

    def test_own_statement_as_xlsx_and_pdf(self):
        self.authenticate("portal_a", "portal_a")
        response = self.download("/my/wallet/statement", file_format="xlsx", **PERIOD)
        self.assertIn("attachment", response.headers["Content-Disposition"])
        self.assertIn(".xlsx", response.headers["Content-Disposition"])
        rows = self.sheet_rows(response)
        self.assertEqual(rows[1][:2], ["Distributor", self.seller.name])
        first = [row[0] for row in rows]
        commission = first.index(self.commission_wallet.name)
        self.assertEqual(rows[commission + 1][7], 300)  # opening
        self.assertEqual(rows[commission + 3][4:], ["February commission", 45.5, None, 345.5])
        self.assertEqual(rows[commission + 5][7], 345.5)  # closing
        prepaid = first.index(self.prepaid_wallet.name)
        self.assertEqual((rows[prepaid + 1][7], rows[prepaid + 3][1], rows[prepaid + 5][7]), (0, "Top-up", 60))
        cells = {cell for row in rows for cell in row}
        self.assertNotIn(777.77, cells)
        self.assertNotIn("Theirs", cells)

        response = self.download("/my/wallet/statement", file_format="pdf", **PERIOD)
        self.assertEqual(response.status_code, 200)
        self.assertIn(".pdf", response.headers["Content-Disposition"])
        page = html.fromstring(response.content)
        self.assertEqual(len(page.xpath("//table[hasclass('o_haoka_statement_lines')]")), 2)
        text = page.text_content()
        for figure in ("300.00", "45.50", "345.50", "February commission", self.seller.name):
            self.assertIn(figure, text)
        self.assertNotIn("777.77", text)
        self.assertNotIn(self.other.name, text)

    def test_one_own_wallet(self):
        wallet = self.own_wallets.filtered(lambda w: w.wallet_type_id == self.prepaid_wallet)
        self.authenticate("portal_a", "portal_a")
        self.assertEqual(self.url_open(f"/my/wallet/{wallet.id}/statement").status_code, 200)
        rows = self.sheet_rows(self.download(f"/my/wallet/{wallet.id}/statement", file_format="xlsx", **PERIOD))
        names = {row[0] for row in rows}
        self.assertIn(self.prepaid_wallet.name, names)
        self.assertNotIn(self.commission_wallet.name, names)

    def test_another_distributors_statement_answers_404(self):
        self.authenticate("portal_a", "portal_a")
        for file_format in ("xlsx", "pdf"):
            theirs = self.download(f"/my/wallet/{self.their_wallet.id}/statement", file_format=file_format, **PERIOD)
            self.assertEqual(theirs.status_code, 404, file_format)
            self.assertNotIn("777.77", theirs.text)
            by_partner = self.download("/my/wallet/statement", file_format=file_format, partner_id=self.other.id,
                                       **PERIOD)
            self.assertEqual(by_partner.status_code, 404, file_format)
            self.assertNotIn("777.77", by_partner.text)
        self.assertEqual(self.url_open(f"/my/wallet/{self.their_wallet.id}/statement").status_code, 404)
        self.assertEqual(self.url_open("/my/wallet/999999999/statement").status_code, 404)
        # naming oneself is allowed
        own = self.download("/my/wallet/statement", file_format="xlsx", partner_id=self.seller.id, **PERIOD)
        self.assertEqual(own.status_code, 200)
        # and B downloads its own
        self.authenticate("portal_b", "portal_b")
        rows = self.sheet_rows(self.download("/my/wallet/statement", file_format="xlsx", **PERIOD))
        self.assertIn(777.77, {cell for row in rows for cell in row})

    def test_bad_dates_and_format_are_refused_with_a_message(self):
        self.authenticate("portal_a", "portal_a")
        cases = [
            ({"date_from": "2025-02-30", "date_to": "2025-03-01"}, "Date From: 2025-02-30 is not a date (YYYY-MM-DD)."),
            ({"date_from": "2025-02-01", "date_to": "yesterday"}, "Date To: yesterday is not a date (YYYY-MM-DD)."),
            ({"date_from": "", "date_to": "2025-03-01"}, "Date From: enter a date (YYYY-MM-DD)."),
            ({"date_from": "2025-03-01", "date_to": "2025-02-01"},
             "The period starts on 2025-03-01, after its end on 2025-02-01."),
        ]
        for params, message in cases:
            response = self.download("/my/wallet/statement", file_format="xlsx", **params)
            self.assertEqual(response.status_code, 400, params)
            errors = html.fromstring(response.text).xpath("//*[hasclass('o_haoka_error')]")
            self.assertEqual([error.text_content().strip() for error in errors], [message])
        response = self.download("/my/wallet/statement", file_format="csv", **PERIOD)
        self.assertEqual(response.status_code, 400)
        self.assertIn("Format: choose Excel (xlsx) or PDF.", response.text)
        self.assertEqual(self.env["haoka.wallet.statement"].search_count([("partner_id", "=", self.seller.id)]), 0)

    def test_statement_is_read_only_and_offered_on_the_wallet_page(self):
        self.authenticate("portal_a", "portal_a")
        page = html.fromstring(self.url_open("/my/wallet").text)
        form = page.xpath("//form[hasclass('o_haoka_statement_form')]")
        self.assertEqual([(f.get("method"), f.get("action")) for f in form], [("get", "/my/wallet/statement")])
        today = fields.Date.today()
        self.assertEqual(form[0].xpath(".//input[@name='date_to']")[0].get("value"), str(today))
        # a POST (a form that would change something) is not a way in
        response = self.url_open("/my/wallet/statement", data={"file_format": "xlsx", **PERIOD})
        self.assertIn(response.status_code, (400, 405))

    def test_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["haoka_distribution"], ["zh_CN"])
        self.env.registry.clear_cache()
        self.user_a.lang = "zh_CN"
        self.authenticate("portal_a", "portal_a", lang="zh_CN")
        self.assertIn("下载对账单", self.url_open("/my/wallet").text)
        rows = self.sheet_rows(self.download("/my/wallet/statement", file_format="xlsx", **PERIOD))
        self.assertEqual(rows[0][0], "分销商对账单")
        words = {cell for row in rows for cell in row if isinstance(cell, str)}
        for word in ("期初余额", "期末余额", "收入", "支出", "余额", "充值"):
            self.assertIn(word, words)
        response = self.download("/my/wallet/statement", file_format="xlsx", date_from="2025-13-01",
                                 date_to="2025-02-01")
        self.assertIn("不是日期", response.text)

    def test_portal_user_cannot_make_another_distributors_statement(self):
        Statement = self.env["haoka.wallet.statement"].with_user(self.user_a)
        own = Statement.create({"partner_id": self.seller.id, "date_from": D(2025, 2, 1), "date_to": D(2025, 2, 28)})
        self.assertEqual([section.closing for section in own._haoka_sections()], [60, 345.5])
        with self.assertRaises(AccessError):
            Statement.create({"partner_id": self.other.id, "date_from": D(2025, 2, 1), "date_to": D(2025, 2, 28)})
        theirs = self.env["haoka.wallet.statement"].create(
            {"partner_id": self.other.id, "date_from": D(2025, 2, 1), "date_to": D(2025, 2, 28)})
        with self.assertRaises(AccessError):
            theirs.with_user(self.user_a)._haoka_sections()
