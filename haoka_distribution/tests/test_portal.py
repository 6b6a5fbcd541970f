"""The distributor portal (个人中心) over real HTTP: its pages, what a distributor may and may not reach
(another distributor's order, commission, settlement and ID photo answer 404), the real-name gate, the
referral sign-up, ordering a chosen number, and a suspended distributor who reads but cannot order."""

import base64
import io
import re

from PIL import Image

from odoo import fields
from odoo.addons.mail.tests.common import MockEmail
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import HOST

from .common import CommissionCase, activate_chinese, adult_id, make_distributor

PORTAL = "base.group_portal"


def png_bytes(color="red"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, "PNG")
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class PortalCase(CommissionCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the pages are read in English (the default language) unless a test says otherwise
        cls.env["res.lang"]._activate_lang("en_US")
        cls.env["ir.default"].set("res.partner", "lang", "en_US")
        cls.seller.email = "seller@example.com"
        cls.user_a = new_test_user(cls.env, login="portal_a", groups=PORTAL, lang="en_US", partner_id=cls.seller.id,
                                    name=cls.seller.name)
        cls.other = make_distributor(cls.env, "Other Agent", "903", parent=cls.top)
        cls.user_b = new_test_user(cls.env, login="portal_b", groups=PORTAL, lang="en_US", partner_id=cls.other.id,
                                    name=cls.other.name)
        cls.customer_b = cls.env["res.partner"].create({"name": "Customer Zhao", "haoka_referrer_id": cls.other.id})

    def authenticate(self, user, password, lang="en_US", **kwargs):
        """Log in, reading the portal in ``lang`` (the portal's language is the frontend_lang cookie's)."""
        result = super().authenticate(user, password, **kwargs)
        self.opener.cookies.set("frontend_lang", lang, domain=HOST, path="/")
        return result

    def csrf_from(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)

    def photo_of(self, partner, data):
        """Give ``partner`` a front ID photo; its attachment."""
        partner.haoka_kyc_photo_front = base64.b64encode(data)
        return self.env["ir.attachment"].search([("res_model", "=", "res.partner"), ("res_id", "=", partner.id),
                                                 ("res_field", "=", "haoka_kyc_photo_front")])


class TestPortalPages(PortalCase):
    def test_orders_list_detail_and_other_distributor(self):
        order_a = self.order(qty=1)
        order_a.order_line.haoka_lot_ids.puk = "87654321"
        order_b = self.order(qty=1, partner_id=self.customer_b.id)
        self.assertEqual((order_a.haoka_distributor_id, order_b.haoka_distributor_id), (self.seller, self.other))
        self.authenticate("portal_a", "portal_a")
        page = self.url_open("/my/sim-orders")
        self.assertEqual(page.status_code, 200)
        self.assertIn(order_a.name, page.text)
        self.assertNotIn(order_b.name, page.text)
        self.assertIn(order_a.name, self.url_open("/my/sim-orders?search=%s" % order_a.name).text)
        self.assertNotIn(order_a.name, self.url_open("/my/sim-orders?filterby=shipped").text)
        detail = self.url_open("/my/sim-orders/%s" % order_a.id)
        self.assertEqual(detail.status_code, 200)
        own_line = self.line_of(order_a, self.seller)
        self.assertTrue(own_line, "the order earned its seller a commission")
        self.assertIn("Tier 0", detail.text)
        full_id = order_a._haoka_clear_id()
        self.assertNotIn(full_id, detail.text)
        self.assertIn(order_a.haoka_id_number, detail.text)  # masked
        self.assertIn(order_a.order_line.haoka_lot_ids.msisdn, detail.text)
        self.assertNotIn("87654321", detail.text)  # never the PUK
        # the history lists the fulfilment states as the chatter tracked them
        order_a.with_context(tracking_disable=False).write({"haoka_fulfilment_state": "shipped",
                                                            "haoka_tracking_ref": "SF-HISTORY-1"})
        self.env.cr.precommit.run()
        history = self.url_open("/my/sim-orders/%s" % order_a.id).text
        self.assertRegex(history, r"(?s)Ordered.*Shipped.*SF-HISTORY-1")
        # another distributor's order, by the portal page and by Odoo's sale portal
        self.assertEqual(self.url_open("/my/sim-orders/%s" % order_b.id).status_code, 404)
        self.assertNotIn(order_b.name, self.url_open("/my/orders/%s" % order_b.id).text)
        self.assertEqual(self.url_open("/my/sim-orders/999999999").status_code, 404)

    def test_commissions_and_settlements_are_own(self):
        order_a = self.order(qty=1)
        settlement_b = self.env["haoka.commission.settlement"].create(
            {"distributor_id": self.other.id, "date_to": fields.Date.today()})
        settlement_a = self.env["haoka.commission.settlement"].create(
            {"distributor_id": self.seller.id, "date_to": fields.Date.today()})
        self.authenticate("portal_a", "portal_a")
        page = self.url_open("/my/commissions")
        self.assertEqual(page.status_code, 200)
        self.assertIn(order_a.name, page.text)
        self.assertIn(settlement_a.name, page.text)
        self.assertNotIn(settlement_b.name, page.text)
        self.assertIn("Waiting for the trigger", page.text)  # the reason in words
        self.assertEqual(self.url_open("/my/settlements/%s" % settlement_a.id).status_code, 200)
        self.assertEqual(self.url_open("/my/settlements/%s" % settlement_b.id).status_code, 404)
        mid_line = self.line_of(order_a, self.mid)
        self.assertEqual(len(mid_line), 1)
        # the upline's commission on the same order is not the seller's to read
        self.assertEqual(self.env["haoka.commission.line"].with_user(self.user_a).search_count(
            [("id", "=", mid_line.id)]), 0)

    def test_kyc_photo_served_to_owner_and_manager_only(self):
        photo = png_bytes("purple")
        attachment_b = self.photo_of(self.other, photo)
        self.assertEqual((len(attachment_b), attachment_b.public), (1, False))
        url = "/my/kyc/photo/%s/front" % self.other.id
        odoo_urls = ("/web/content/%s" % attachment_b.id,
                     "/web/image/res.partner/%s/haoka_kyc_photo_front" % self.other.id,
                     "/web/content/res.partner/%s/haoka_kyc_photo_front" % self.other.id)
        self.authenticate("portal_a", "portal_a")
        self.assertEqual(self.url_open(url).status_code, 404)
        self.assertEqual(self.url_open("/my/kyc/photo/%s/nosuchside" % self.seller.id).status_code, 404)
        for odoo_url in odoo_urls:
            self.assertNotEqual(self.url_open(odoo_url).content, photo, odoo_url)
        self.authenticate("portal_b", "portal_b")
        response = self.url_open(url)
        self.assertEqual((response.status_code, response.headers["Content-Type"], response.content),
                         (200, "image/png", photo))
        self.authenticate("haoka_staff", "haoka_staff")  # 号卡业务员: not even through Odoo's own routes
        self.assertEqual(self.url_open(url).status_code, 404)
        for odoo_url in odoo_urls:
            self.assertNotEqual(self.url_open(odoo_url).content, photo, odoo_url)
        self.authenticate("haoka_manager", "haoka_manager")
        self.assertEqual(self.url_open(url).content, photo)

    def test_home_team_and_promotion(self):
        top_user = new_test_user(self.env, login="portal_top", groups=PORTAL, lang="en_US", partner_id=self.top.id,
                                 name=self.top.name)
        self.order(qty=2)
        self.authenticate(top_user.login, top_user.login)
        home = self.url_open("/my")
        self.assertEqual(home.status_code, 200)
        for url in ("/my/sim-orders", "/my/commissions", "/my/team", "/my/promote", "/my/kyc"):
            self.assertIn('href="%s"' % url, home.text)
        team = self.url_open("/my/team").text
        for name in ("Mid Agent", "Seller Agent", "Other Agent"):
            self.assertIn(name, team)
        self.assertNotIn("Customer Wu", team)  # never the downline's customers
        self.assertRegex(team, r"Seller Agent[\s\S]*Cards this month: 2")
        promote = self.url_open("/my/promote").text
        self.assertIn("/r/%s" % self.top.haoka_referral_code, promote)
        qr = self.url_open("/my/promote/qr.png")
        self.assertEqual(qr.headers["Content-Type"], "image/png")
        self.assertEqual(qr.content[:8], b"\x89PNG\r\n\x1a\n")

    def test_home_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["haoka_distribution"], ["zh_CN"])
        self.env.registry.clear_cache()
        self.user_a.lang = "zh_CN"
        self.authenticate("portal_a", "portal_a", lang="zh_CN")
        home = self.url_open("/my").text
        for words in ("我的订单", "我的佣金", "我的团队", "推广", "实名认证", "个人中心"):
            self.assertIn(words, home)

    def test_csrf_is_required(self):
        draft = self.env["sale.order"].create({"partner_id": self.seller.id, "haoka_distributor_id": self.seller.id})
        self.authenticate("portal_a", "portal_a")
        response = self.url_open("/my/sim-order/hold", data={"plan_id": self.product.id, "card_id": self.cards[0].id})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.cards[0].card_state, "available")
        for url in ("/my/kyc/submit", "/my/sim-order/%s/confirm" % draft.id):
            self.assertEqual(self.url_open(url, data={"name": "x"}).status_code, 400, url)
        self.assertEqual(draft.state, "draft")


class TestPortalKyc(PortalCase):
    def test_first_login_kyc_then_approved(self):
        newcomer = self.env["res.partner"].create({"name": "New Agent", "haoka_is_distributor": True,
                                                   "haoka_parent_distributor_id": self.top.id})
        new_test_user(self.env, login="portal_new", groups=PORTAL, lang="en_US", partner_id=newcomer.id,
                      name="New Agent")
        self.authenticate("portal_new", "portal_new")
        response = self.url_open("/my", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/my/kyc"))
        self.assertTrue(self.url_open("/my/commissions", allow_redirects=False).headers["Location"].endswith("/my/kyc"))
        csrf = self.csrf_from("/my/kyc")
        # a text file named .png is refused by its content; a bad ID number is named
        bad = self.url_open("/my/kyc/submit", data={"csrf_token": csrf, "name": "新代理", "id_number": "110105"},
                            files={"photo_front": ("a.png", b"not an image", "image/png"),
                                   "photo_back": ("b.png", png_bytes(), "image/png")})
        self.assertEqual(bad.status_code, 200)
        self.assertIn("not a JPEG, PNG or WebP image", bad.text)
        self.assertIn("valid 18-character resident ID number", bad.text)
        self.assertEqual(newcomer.haoka_kyc_state, "draft")
        number = adult_id(sequence="555")
        good = self.url_open("/my/kyc/submit", data={"csrf_token": csrf, "name": "新代理", "id_number": number},
                             files={"photo_front": ("a.png", png_bytes(), "image/png"),
                                    "photo_back": ("b.jpg", png_bytes("blue"), "image/jpeg")})
        self.assertEqual(good.status_code, 200)
        newcomer.invalidate_recordset()
        self.assertEqual(newcomer.haoka_kyc_state, "submitted")
        photos = self.env["ir.attachment"].search([("res_model", "=", "res.partner"), ("res_id", "=", newcomer.id),
                                                   ("res_field", "like", "haoka_kyc_photo_%")])
        self.assertEqual((len(photos), set(photos.mapped("public"))), (2, {False}))
        self.assertIn("/my/kyc/photo/%s/front" % newcomer.id, good.text)
        self.assertNotIn(number, good.text)
        newcomer.with_user(self.manager).action_haoka_kyc_reject(reason="照片模糊")
        self.assertIn("照片模糊", self.url_open("/my/kyc").text)
        newcomer.write({"haoka_kyc_state": "submitted"})
        newcomer.with_user(self.manager).action_haoka_kyc_approve()
        self.assertEqual(self.url_open("/my", allow_redirects=False).status_code, 200)


class TestPortalSignup(PortalCase):
    def test_referral_signup_pending_then_approved_and_locked(self):
        self.env["ir.config_parameter"].set_param("auth_signup.invitation_scope", "b2b")  # public sign-up off
        self.assertEqual(self.url_open("/web/signup").status_code, 404)  # public sign-up is off
        self.assertEqual(self.url_open("/r/NOSUCHCODE").status_code, 404)
        response = self.url_open("/r/%s" % self.seller.haoka_referral_code.lower(), allow_redirects=False)
        self.assertTrue(response.headers["Location"].endswith("/web/signup"))
        page = self.url_open("/web/signup")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Seller Agent", page.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        # the referrer cannot sign up through its own link
        own = self.url_open("/web/signup", data={"csrf_token": csrf, "login": self.seller.email, "name": "x",
                                                 "password": "pw-123456", "confirm_password": "pw-123456"})
        self.assertIn("own referral link", own.text)
        self.url_open("/web/signup", data={"csrf_token": csrf, "login": "newbie@example.com", "name": "Newbie",
                                           "password": "pw-123456", "confirm_password": "pw-123456"})
        newbie = self.env["res.users"].search([("login", "=", "newbie@example.com")]).partner_id
        self.assertEqual(len(newbie), 1)
        self.assertEqual((newbie.haoka_is_distributor, newbie.haoka_distributor_state, newbie.haoka_kyc_state),
                         (True, "pending", "draft"))
        self.assertEqual((newbie.haoka_parent_distributor_id, newbie.haoka_signup_referrer_id),
                         (self.seller, self.seller))
        self.assertFalse(newbie._haoka_portal_can_order())
        newbie.with_user(self.manager).action_haoka_distributor_approve()
        self.assertEqual((newbie.haoka_distributor_state, newbie.haoka_upline_locked), ("active", True))
        with self.assertRaisesRegex(Exception, "is fixed"):
            newbie.haoka_parent_distributor_id = self.top

    def test_referral_link_for_customers_and_self(self):
        customer = self.env["res.partner"].create({"name": "Customer Qian", "email": "qian@example.com"})
        new_test_user(self.env, login="portal_qian", groups=PORTAL, lang="en_US", partner_id=customer.id,
                      name="Customer Qian")
        self.authenticate("portal_qian", "portal_qian")
        self.url_open("/r/%s" % self.seller.haoka_referral_code)
        self.assertEqual(customer.haoka_referrer_id, self.seller)
        order = self.env["sale.order"].create({"partner_id": customer.id})
        self.assertEqual(order.haoka_distributor_id, self.seller)  # carried onto the order
        self.authenticate("portal_a", "portal_a")
        self.url_open("/r/%s" % self.seller.haoka_referral_code)
        self.assertFalse(self.seller.haoka_referrer_id)
        self.assertEqual(self.seller.haoka_parent_distributor_id, self.mid)
        with self.assertRaisesRegex(Exception, "own referral link"):
            self.mid._haoka_make_referred_distributor(self.seller)  # a cycle


class TestPortalInvite(PortalCase, MockEmail):
    def test_invite_button_gives_a_portal_user_in_chinese(self):
        activate_chinese(self.env)
        agent = make_distributor(self.env, "Invited Agent", "904", parent=self.top)
        agent.email = "invited@example.com"
        with self.mock_mail_gateway():
            agent.with_user(self.manager).action_haoka_invite_portal()
        user = agent.user_ids
        self.assertEqual(len(user), 1)
        self.assertTrue(user.has_group(PORTAL))
        self.assertEqual(agent.lang, "zh_CN")
        mails = self._new_mails.filtered(lambda mail: "invited@example.com" in (mail.email_to or ""))
        self.assertEqual(len(mails), 1)
        self.assertIn("实名认证", mails.body_html)  # the welcome message in the distributor's language


class TestPortalOrdering(PortalCase):
    def test_search_hold_and_confirm_a_chosen_number(self):
        card = self.cards[3]
        self.authenticate("portal_a", "portal_a")
        results = self.url_open("/my/sim-order/new?search=1&plan_id=%s&digits=%s&mode=tail"
                                % (self.product.id, card.msisdn[-4:]))
        self.assertEqual(results.status_code, 200)
        self.assertIn(card.msisdn, results.text)
        self.assertNotIn(self.cards[4].msisdn, results.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', results.text).group(1)
        held = self.url_open("/my/sim-order/hold", data={"csrf_token": csrf, "plan_id": self.product.id,
                                                         "card_id": card.id}, allow_redirects=False)
        order_id = int(held.headers["Location"].rsplit("/", 1)[1])
        order = self.env["sale.order"].browse(order_id)
        self.assertEqual((card.card_state, card.haoka_hold_line_id.order_id), ("reserved", order))
        province = self.env["res.country.state"].search([("country_id.code", "=", "CN")], limit=1)
        form = {"csrf_token": csrf, "holder_name": "周", "id_type": "resident", "id_number": "110105199001011234",
                "phone": "13912345678", "recipient": "周", "street": "人民路1号", "city": "北京",
                "state_id": province.id}
        bad = self.url_open("/my/sim-order/%s/confirm" % order.id, data=form)
        self.assertIn("is not valid", bad.text)
        self.assertEqual(order.state, "draft")
        form["id_number"] = adult_id(sequence="777")
        done = self.url_open("/my/sim-order/%s/confirm" % order.id, data=form)
        self.assertEqual(done.status_code, 200)
        self.assertEqual((order.state, order.haoka_distributor_id), ("sale", self.seller))
        self.assertEqual(order.order_line.haoka_lot_ids, card)
        self.assertIn("/payment/pay?", done.text)
        # another distributor cannot confirm or see it
        self.authenticate("portal_b", "portal_b")
        self.assertEqual(self.url_open("/my/sim-orders/%s" % order.id).status_code, 404)

    def test_searches_are_capped_and_rate_limited(self):
        self.env["ir.config_parameter"].set_param("haoka_distribution.portal_searches_per_minute", 2)
        self.authenticate("portal_a", "portal_a")
        url = "/my/sim-order/new?search=1&plan_id=%s&digits=" % self.product.id
        for _attempt in range(2):
            self.assertNotIn("Too many searches", self.url_open(url).text)
        self.assertIn("Too many searches", self.url_open(url).text)

    def test_suspended_distributor_reads_but_cannot_order(self):
        order_a = self.order(qty=1)
        self.seller.haoka_distributor_state = "suspended"
        self.authenticate("portal_a", "portal_a")
        self.assertEqual(self.url_open("/my/sim-orders/%s" % order_a.id).status_code, 200)
        self.assertIn("cannot place orders", self.url_open("/my/sim-order/new").text)
        csrf = self.csrf_from("/my/account")
        self.url_open("/my/sim-order/hold", data={"csrf_token": csrf, "plan_id": self.product.id,
                                                  "card_id": self.cards[5].id})
        self.assertEqual(self.cards[5].card_state, "available")



@tagged("post_install", "-at_install")
class TestPortalTours(PortalCase):
    """The journeys in headless Chromium."""

    def test_tour_referral_signup_kyc_approved(self):
        self.env["ir.config_parameter"].set_param("auth_signup.invitation_scope", "b2b")
        self.start_tour("/r/%s" % self.seller.haoka_referral_code, "haoka_portal_referral_signup")
        newbie = self.env["res.users"].search([("login", "=", "tour.newbie@example.com")]).partner_id
        self.assertEqual((newbie.haoka_parent_distributor_id, newbie.haoka_distributor_state, newbie.haoka_kyc_state),
                         (self.seller, "pending", "submitted"))
        self.assertEqual(newbie.haoka_kyc_name, "新代理")
        self.assertEqual(base64.b64decode(newbie.haoka_kyc_photo_back)[:8], b"\x89PNG\r\n\x1a\n")
        newbie.with_user(self.manager).action_haoka_kyc_approve()
        newbie.with_user(self.manager).action_haoka_distributor_approve()
        self.authenticate("tour.newbie@example.com", "Tour-pass-123")
        home = self.url_open("/my", allow_redirects=False)
        self.assertEqual(home.status_code, 200)
        self.assertIn('href="/my/sim-order/new"', home.text)

    def test_tour_order_a_chosen_number(self):
        card = self.cards[3]
        self.assertEqual(card.msisdn, "13800500003")
        expense = self.env["account.account"].search(
            [*self.env["account.account"]._check_company_domain(self.env.company), ("account_type", "=", "expense")],
            limit=1)
        prepaid = self.env["haoka.wallet.type"]._haoka_get("prepaid")
        self.env["haoka.wallet.transaction"]._haoka_post_movement(
            self.seller, prepaid, 1000, "commission_credit", expense, key="tour-order-prepaid", reason="test")
        self.start_tour("/my/sim-order/new", "haoka_portal_order_chosen_number", login="portal_a")
        order = card.sudo().haoka_hold_line_id.order_id or self.env["sale.order"].search(
            [("order_line.haoka_lot_ids", "in", card.ids)])
        self.assertEqual((order.state, order.haoka_distributor_id, order.haoka_holder_name),
                         ("sale", self.seller, "周"))
        self.assertEqual(card.card_state, "sold")
        # paid from the balance: the invoice paid by the 预存款 wallet entry
        self.assertEqual((order.invoice_ids.state, order.invoice_ids.payment_state), ("posted", "paid"))
        self.assertEqual(self.seller._haoka_wallet_balance(prepaid)["available"], 1000 - order.amount_total)
