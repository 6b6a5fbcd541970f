"""选号 in the number pool of an upstream (上游号池), against a small upstream server of our own on loopback:
searched by tail or substring through its API, answers cached briefly, the chosen number held upstream (released
when changed, cancelled or expired, sold by the order), errors of the API as clear messages; in the back office's
wizard and in the portal's 下单."""

import re
import socket
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import adult_id
from .test_portal import PortalCase
from .test_upstream_events import UpstreamCase
from .upstream_server import FakeUpstream

POOL = ["13800138000", "13800138888", "13912348888", "15088886666", "18600001234"]


def closed_port_url():
    """An API URL nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return "http://127.0.0.1:%s/api" % port


class PoolMixin:
    @classmethod
    def setup_pool_source(cls, source, plan):
        plan.write({"haoka_upstream_id": source.id, "default_code": "HY-59"})
        source.write({"api_timeout": 2, "pool_search": True, "pool_holds": True, "pool_cache_minutes": 3})

    def setUp(self):
        super().setUp()
        self.env.registry.clear_cache()  # the pool answers cached by an earlier test


@tagged("post_install", "-at_install")
class TestUpstreamPool(PoolMixin, UpstreamCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_pool_source(cls.source, cls.plan_b)

    def quotation(self, number=False):
        type(self).sequence += 1
        return self.env["sale.order"].create({
            "partner_id": self.customer.id, "haoka_holder_name": "吴",
            "haoka_id_number": adult_id(sequence="4%02d" % self.sequence), "haoka_holder_phone": "13912345678",
            "order_line": [fields.Command.create({"product_id": self.product_b.id, "product_uom_qty": 1,
                                                  "haoka_upstream_number": number})],
        })

    def searches(self, server):
        return server.paths.count("/api/numbers/search")

    def test_search_by_tail_and_substring_is_cached_per_query(self):
        with FakeUpstream("top-secret-key", pool=POOL) as server:
            self.source.api_url = server.url
            self.assertEqual(self.source._pool_search("8888", "tail"), ["13800138888", "13912348888"])
            self.assertEqual(self.source._pool_search("8888", "contains"),
                             ["13800138888", "13912348888", "15088886666"])
            self.assertEqual(self.searches(server), 2)
            self.assertEqual(self.source._pool_search("8888", "tail"), ["13800138888", "13912348888"])
            self.assertEqual(self.searches(server), 2, "the same query within minutes is answered from the cache")
            self.assertEqual(self.source._pool_search("8888", "tail", limit=1), ["13800138888"], "the cap is sent")
            self.assertEqual(self.searches(server), 3)
            self.assertEqual(server.requests[-1][1]["limit"], 1)
            self.source.pool_cache_minutes = 0
            self.source._pool_search("8888", "tail")
            self.source._pool_search("8888", "tail")
            self.assertEqual(self.searches(server), 5, "no cache: the upstream is asked every time")

    def test_chosen_number_is_held_released_and_sold_by_the_order(self):
        with FakeUpstream("top-secret-key", pool=POOL) as server:
            self.source.api_url = server.url
            order = self.quotation("138 0013 8888")
            line = order.order_line
            self.assertEqual((line.haoka_upstream_number, line.haoka_upstream_hold_ref), ("13800138888",
                                                                                         "H-13800138888"))
            self.assertEqual(server.holds, {"13800138888": order.name})
            self.assertAlmostEqual(line.haoka_upstream_hold_until, fields.Datetime.now() + timedelta(minutes=30),
                                   delta=timedelta(minutes=1))
            line.haoka_upstream_number = "13912348888"
            self.assertEqual(server.holds, {"13912348888": order.name}, "the number replaced is released")
            other = self.quotation()
            with self.assertRaisesRegex(UserError, r"号易 refused \(hold of number 13912348888\): 号码已被占用"):
                other.order_line.haoka_upstream_number = "13912348888"
            order.action_confirm()
            self.assertEqual(order.haoka_card_numbers, "13912348888")
            order.haoka_upstream_next_push = fields.Datetime.now() - timedelta(seconds=1)
            self.env["sale.order"]._cron_haoka_upstream_push()
            self.assertEqual(order.haoka_upstream_state, "pushed")
            self.assertEqual({k: server.requests[-1][1][k] for k in ("number", "hold_id")},
                             {"number": "13912348888", "hold_id": "H-13912348888"}, "the order pushes the held number")
            self.assertEqual((server.sold, server.holds), ({"13912348888": order.name}, {}))
            other.order_line.haoka_upstream_number = "15088886666"
            self.assertEqual(server.holds, {"15088886666": other.name})
            other.action_cancel()
            self.assertEqual(server.holds, {}, "a cancelled quotation releases its number")
            self.assertEqual(other.order_line.haoka_upstream_hold_ref, False)

    def test_expired_hold_is_released_and_leaves_the_quotation(self):
        with FakeUpstream("top-secret-key", pool=POOL) as server:
            self.source.api_url = server.url
            order = self.quotation("18600001234")
            self.assertEqual(server.holds, {"18600001234": order.name})
            self.env["sale.order"]._cron_haoka_release_holds()
            self.assertEqual(server.holds, {"18600001234": order.name}, "a hold in time stays")
            order.order_line.haoka_upstream_hold_until = fields.Datetime.now() - timedelta(minutes=1)
            self.env["sale.order"]._cron_haoka_release_holds()
            self.assertEqual(server.holds, {})
            self.assertEqual((order.order_line.haoka_upstream_number, order.order_line.haoka_upstream_hold_ref),
                             (False, False))
            note = order.message_ids[0].body  # in the language of the company's users, as the other hold notes
            self.assertEqual(("18600001234" in note, "号易" in note), (True, True), note)

    def test_api_errors_are_clear_messages(self):
        self.source.api_url = closed_port_url()
        with self.assertRaisesRegex(UserError, r"^号易 cannot be reached \(number search\): ConnectionError\. Try "):
            self.source._pool_search("8888", "tail")
        with self.assertRaisesRegex(UserError, r"^号易 cannot be reached \(hold of number 13800138888\)"):
            self.quotation("13800138888")
        with FakeUpstream("another-key", pool=POOL) as server:
            self.source.api_url = server.url
            with self.assertRaisesRegex(UserError, r"^号易 refused \(number search\): 签名错误 \(wrong\)$"):
                self.source._pool_search("8888", "tail")
            server.secret = "top-secret-key"
            server.fail_next = 1
            with self.assertRaisesRegex(UserError, r"^号易 refused \(number search\): busy$"):
                self.source._pool_search("8888", "tail")
            self.assertEqual(self.source._pool_search("8888", "tail"), ["13800138888", "13912348888"],
                             "a failure is not cached")
        self.source.pool_holds = False
        order = self.quotation("13800138888")
        self.assertEqual((order.order_line.haoka_upstream_number, order.order_line.haoka_upstream_hold_ref),
                         ("13800138888", False), "an upstream that does not hold numbers is not asked to")

    def test_back_office_wizard_searches_and_chooses(self):
        with FakeUpstream("top-secret-key", pool=POOL) as server:
            self.source.api_url = server.url
            order = self.quotation()
            action = order.order_line.action_haoka_choose_upstream_number()
            wizard = self.env["haoka.upstream.number.choose"].browse(action["res_id"])
            wizard.write({"digits": "8888", "mode": "contains"})
            wizard.action_search()
            self.assertEqual(wizard.choice_ids.mapped("number"), ["13800138888", "13912348888", "15088886666"])
            wizard.choice_ids[2].action_choose()
            self.assertEqual(order.order_line.haoka_upstream_number, "15088886666")
            self.assertEqual(server.holds, {"15088886666": order.name})
            stock_line = self.env["sale.order.line"].create({"order_id": order.id, "product_id": self.product.id})
            with self.assertRaisesRegex(UserError, "is not fulfilled by an upstream with a number pool"):
                stock_line.action_haoka_choose_upstream_number()


@tagged("post_install", "-at_install")
class TestPortalUpstreamPool(PoolMixin, PortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.env["haoka.upstream"].create({"name": "号易", "code": "haoy-portal", "secret": "k-portal"})
        cls.setup_pool_source(cls.source, cls.plan_b)
        cls.plan_b.company_id = False

    def test_portal_search_and_hold_in_the_upstream_pool(self):
        self.authenticate("portal_a", "portal_a")
        with FakeUpstream("k-portal", pool=POOL) as server:
            self.source.api_url = server.url
            url = "/my/sim-order/new?search=1&plan_id=%s&digits=8888&mode=tail" % self.product_b.id
            page = self.url_open(url)
            self.assertEqual(re.findall(r'name="number" value="(\d+)"', page.text), ["13800138888", "13912348888"])
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            held = self.url_open("/my/sim-order/hold", data={"csrf_token": csrf, "plan_id": self.product_b.id,
                                                             "number": "13912348888"}, allow_redirects=False)
            order = self.env["sale.order"].browse(int(held.headers["Location"].rsplit("/", 1)[1]))
            self.assertEqual((order.haoka_distributor_id, order.order_line.haoka_upstream_number),
                             (self.seller, "13912348888"))
            self.assertEqual(server.holds, {"13912348888": order.name})
            taken = self.url_open("/my/sim-order/hold", data={"csrf_token": csrf, "plan_id": self.product_b.id,
                                                              "number": "13912348888"})
            self.assertIn("号码已被占用", taken.text, "the upstream's refusal is shown")
        self.source.api_url = closed_port_url()
        page = self.url_open(url.replace("8888", "1234"))
        self.assertEqual(page.status_code, 200)
        self.assertIn("cannot be reached (number search)", page.text)
