"""The webhook over real HTTP: signed requests only (each scheme valid, wrong, stale, replayed), the raw payload
stored first and answered at once, the same event twice stored once, processing in the background."""

import json
import time
from urllib.parse import urlencode

from odoo import http
from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from ..tools import secrets
from ..tools import upstream_signature as sig
from .common import adult_id
from .test_upstream_events import UpstreamCase
from .upstream_server import FakeUpstream


@tagged("post_install", "-at_install")
class TestUpstreamWebhook(UpstreamCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.md5_source = cls.env["haoka.upstream"].create({
            "name": "蓝畅", "code": "lanchang", "secret": "MD5KEY", "signature_scheme": sig.MD5_SORTED,
            "card_match": "msisdn", "key_card": "phone", "key_external_id": "notify_id", "key_status": "state",
            "status_map_ids": [(0, 0, {"code": "-2000", "event": "activated"})],
        })

    def setUp(self):
        super().setUp()
        self.authenticate(None, None)  # a session that names the database, with no user
        # and no language (a machine keeps no cookie): Odoo takes it from Accept-Language, or the route decides
        self.session.context.pop("lang", None)
        http.root.session_store.save(self.session)

    def post_hmac(self, payload, secret="top-secret-key", timestamp=None, signature=None, code="haoy", **headers):
        body = json.dumps(payload, ensure_ascii=False).encode()
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = signature or sig.hmac_sha256_sign(secret, timestamp, body)
        return self.url_open(f"/haoka/upstream/{code}/event", data=body, headers={
            "Content-Type": "application/json", "X-Timestamp": timestamp, "X-Signature": signature, **headers})

    def test_a_new_secret_is_used_at_once(self):
        """The clear secret is kept per encrypted token: a new secret is a new token, never a stale entry."""
        self.assertEqual(self.post_hmac({"event_id": "S1", "status": "8"}).status_code, 200)
        self.source.secret = "rotated-key"
        self.env.flush_all()
        self.assertEqual(self.post_hmac({"event_id": "S2", "status": "8"}).status_code, 401, "the old secret")
        self.assertEqual(self.post_hmac({"event_id": "S3", "status": "8"}, secret="rotated-key").status_code, 200)

    def test_request_reads_little(self):
        """A caller with no installed Accept-Language: the language found with one narrow query (not the
        superuser's, company's and partner's whole rows); the source with its secret in one query."""
        refused = self.post_hmac({"event_id": "L1", "status": "8"}, secret="guess", **{"Accept-Language": "fr-FR"})
        self.assertEqual(refused.status_code, 401)
        self.post_hmac({"event_id": "L2", "status": "8"}, **{"Accept-Language": "fr-FR"})  # warm the caches up
        before = self.cr.sql_log_count
        accepted = self.post_hmac({"event_id": "L3", "status": "8"}, **{"Accept-Language": "fr-FR"})
        self.assertEqual(accepted.status_code, 200)
        # the event with its replay check and the cron's trigger row in one statement; the language and the
        # source come from caches (5 before: the language, the source, the replay check and the trigger row each
        # had their own)
        self.assertLessEqual(self.cr.sql_log_count - before, 1)

    def test_machine_requests_follow_the_company_language(self):
        """A caller with no installed Accept-Language is answered in the company's language (Odoo's choice for a
        request with no user): the refusal stored for 号卡主管 reads in it. The language is cached, and a change of
        the company's language is followed at once."""
        self.env["res.lang"]._activate_lang("zh_CN")
        company_partner = self.env.ref("base.main_company").partner_id
        Event = self.env["haoka.upstream.event"]
        for lang, expected in (("zh_CN", "已拒绝"), ("en_US", "Refused"), ("zh_CN", "已拒绝")):
            company_partner.lang = lang
            self.env.flush_all()
            answer = self.post_hmac({"event_id": "G-%s" % lang, "status": "8"}, secret="guess",
                                    **{"Accept-Language": "fr-FR"})
            self.assertEqual(answer.status_code, 401)
            refused = Event.search([("source_id", "=", self.source.id), ("external_id", "=", False)],
                                   order="id desc", limit=1)
            self.assertTrue(refused.error.startswith(expected), (lang, refused.error))

    def test_source_cache_follows_changes(self):
        """The webhook's sources come from a process cache, which a change of a source clears (in every worker, by
        Odoo's cache signaling): an archived source is unknown at once, a new one known at once, a key rotation's
        new cipher used at once."""
        self.assertEqual(self.post_hmac({"event_id": "C1", "status": "8"}).status_code, 200)
        self.source.active = False
        self.assertEqual(self.post_hmac({"event_id": "C2", "status": "8"}).status_code, 404, "archived")
        self.source.active = True
        self.assertEqual(self.post_hmac({"event_id": "C3", "status": "8"}).status_code, 200, "back")
        newcomer = self.env["haoka.upstream"].create({"name": "新源", "code": "newcomer", "secret": "new-key"})
        self.assertEqual(self.post_hmac({"event_id": "C4", "status": "8"}, secret="new-key",
                                        code="newcomer").status_code, 200, "a new source")
        Source = self.env["haoka.upstream"]
        self.assertEqual(Source._webhook_source("newcomer").secret_cipher, newcomer.secret_cipher)
        token = secrets.encrypt("new-key")  # a rotation writes new ciphers in SQL, batch by batch
        self.env["haoka.key.rotation.line"]._store(Source, [Source._haoka_secrets["secret"]], [(newcomer.id, token)])
        self.assertEqual(Source._webhook_source("newcomer").secret_cipher, token)
        newcomer.unlink()
        self.assertEqual(self.post_hmac({"event_id": "C5", "status": "8"}, secret="new-key",
                                        code="newcomer").status_code, 404, "removed")

    def test_webhook_saves_no_session(self):
        """A machine's callback gets no session: no cookie in the answer, no session file written (the filestore
        write and its fsync would cost every event)."""
        self.opener.cookies.clear()
        sessions_before = set(http.root.session_store.list())
        response = self.post_hmac({"event_id": "N1", "status": "8"})
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("Set-Cookie", response.headers)
        self.assertNotIn("session_id", response.cookies)
        self.assertEqual(set(http.root.session_store.list()), sessions_before, "no session file written")

    def events(self, source=None):
        return self.Event.search([("source_id", "=", (source or self.source).id)], order="id")

    def test_signed_event_is_stored_answered_and_processed_in_background(self):
        order = self.shipped_order()
        card = order.order_line.haoka_lot_ids
        cron = self.env.ref("haoka_distribution.ir_cron_haoka_upstream_process")
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        response = self.post_hmac({"event_id": "W1", "iccid": card.name, "status": "8", "number": card.msisdn})
        self.assertEqual(response.status_code, 200, response.text)
        event = self.events()
        self.assertEqual(response.json(), {"status": "received", "event_id": event.id})
        self.assertEqual((event.external_id, event.state, event.signature_verdict), ("W1", "received", "valid"))
        self.assertEqual(json.loads(event.payload)["iccid"], card.name, "the raw payload is stored")
        self.assertEqual(json.loads(event.headers)["X-Timestamp"].isdigit(), True)
        self.assertEqual(card.card_state, "shipped", "nothing is processed before the answer")
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers_before + 1,
                         "the processing cron is woken")
        self.process()
        self.assertEqual((event.state, card.card_state, order.haoka_fulfilment_state),
                         ("processed", "activated", "activated"))

    def test_same_event_twice_is_stored_once(self):
        card = self.shipped_order().order_line.haoka_lot_ids
        first = self.post_hmac({"event_id": "W2", "iccid": card.name, "status": "8"}, timestamp=int(time.time()) - 5)
        cron = self.env.ref("haoka_distribution.ir_cron_haoka_upstream_process")
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        second = self.post_hmac({"event_id": "W2", "iccid": card.name, "status": "8"})
        self.assertEqual((first.status_code, second.status_code), (200, 200))
        self.assertEqual(second.json(), {"status": "duplicate", "event_id": None})
        self.assertEqual(self.events().mapped("external_id"), ["W2"])
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers_before,
                         "a duplicate wakes no cron")

    def test_unsigned_wrong_stale_and_replayed_requests_are_refused(self):
        card = self.shipped_order().order_line.haoka_lot_ids
        payload = {"event_id": "W3", "iccid": card.name, "status": "8"}
        wrong = self.post_hmac(payload, secret="guess")
        stale = self.post_hmac(payload, timestamp=int(time.time()) - 301)
        unsigned = self.url_open("/haoka/upstream/haoy/event", data=json.dumps(payload),
                                 headers={"Content-Type": "application/json"})
        self.assertEqual([r.status_code for r in (wrong, stale, unsigned)], [401, 401, 401])
        self.assertEqual([r.json()["status"] for r in (wrong, stale, unsigned)], ["wrong", "stale", "missing"])
        refused = self.events()
        self.assertEqual(refused.mapped("signature_verdict"), ["wrong", "stale", "missing"],
                         "refused requests are kept for the record")
        self.assertEqual((refused.mapped("state"), refused.mapped("external_id")), (["ignored"] * 3, [False] * 3),
                         "and never take the event's id")
        timestamp = int(time.time())
        body = json.dumps(payload).encode()
        signature = sig.hmac_sha256_sign("top-secret-key", timestamp, body)
        accepted = self.post_hmac(payload, timestamp=timestamp, signature=signature)
        replayed = self.post_hmac(payload, timestamp=timestamp, signature=signature)
        self.assertEqual((accepted.status_code, replayed.status_code), (200, 409))
        self.assertEqual(replayed.json()["status"], "replayed")
        self.assertEqual(len(self.events().filtered("external_id")), 1)
        self.assertEqual(self.url_open("/haoka/upstream/nobody/event", data=body).status_code, 404)
        self.process()
        self.assertEqual(card.card_state, "activated")

    def test_md5_sorted_form_callback(self):
        order = self.shipped_order()
        card = order.order_line.haoka_lot_ids
        params = {"notify_id": "L1", "phone": card.msisdn, "state": "-2000", "timestamp": str(int(time.time()))}
        params["sign"] = sig.md5_sorted_sign(params, "MD5KEY")
        response = self.url_open("/haoka/upstream/lanchang/event", data=urlencode(params),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(response.status_code, 200, response.text)
        tampered = dict(params, state="6")
        response = self.url_open("/haoka/upstream/lanchang/event", data=urlencode(tampered),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(response.status_code, 401)
        self.process()
        event = self.events(self.md5_source).filtered("external_id")
        self.assertEqual((event.external_id, event.state, event.lot_ids), ("L1", "processed", card))
        self.assertEqual(order.haoka_fulfilment_state, "activated")

    def test_refused_requests_are_capped_per_hour_and_cleaned_up(self):
        """A sender of bad signatures cannot fill the inbox: refused requests are kept up to the source's cap per
        hour (answered the same beyond it), and removed after the source's keep days; accepted events stay."""
        self.source.refused_per_hour = 3
        card = self.shipped_order().order_line.haoka_lot_ids
        answers = [self.post_hmac({"event_id": "R%s" % i, "iccid": card.name, "status": "8"}, secret="guess")
                   for i in range(5)]
        self.assertEqual([r.status_code for r in answers], [401] * 5, "every refusal is answered as before")
        self.assertEqual(len(self.events()), 3, "only the cap is stored")
        accepted = self.post_hmac({"event_id": "R-ok", "iccid": card.name, "status": "8"})
        self.assertEqual(accepted.status_code, 200, "the cap never refuses a signed event")
        other = self.md5_source
        params = {"notify_id": "L9", "phone": card.msisdn, "state": "-2000", "timestamp": str(int(time.time())),
                  "sign": "0" * 32}
        self.url_open("/haoka/upstream/lanchang/event", data=urlencode(params),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(len(self.events(other)), 1, "the cap is per source")
        old = self.events().filtered(lambda e: not e.external_id)[:2]
        self.env.cr.execute("UPDATE haoka_upstream_event SET received_at = received_at - interval '8 days' "
                            "WHERE id = ANY(%s) OR external_id = 'R-ok'", [old.ids])
        self.Event._gc_refused_requests()
        self.Event.invalidate_model()
        self.assertEqual(self.events().mapped("external_id"), [False, "R-ok"],
                         "the refused requests older than 7 days are removed, the accepted event stays")
        self.assertEqual(len(self.events(other)), 1)

    def test_upstream_callbacks_drive_the_order_and_each_commission_once(self):
        """Our upstream server, once it accepted an order, calls our webhook over real HTTP, signed, as a real
        platform does: shipped (courier, tracking number), activated and first top-up, the first two sent twice.
        The order goes 已发货 then 已激活, and each commission is reached once."""
        self.plan_b.write({"haoka_upstream_id": self.source.id, "default_code": "HY-59"})
        self.source.write({"card_match": "order_ref", "key_card": "order_id,order_ref", "api_timeout": 5,
                           "status_map_ids": [Command.create({"code": code, "event": event}) for code, event in [
                               ("SHIPPED", "shipped"), ("ACTIVE", "activated"), ("RECHARGE", "first_topup")]]})
        with FakeUpstream("top-secret-key") as server:
            server.callback_url = self.base_url() + "/haoka/upstream/haoy/event"
            server.callback_cookies = self.opener.cookies.get_dict()
            self.source.api_url = server.url
            order = self.env["sale.order"].create({
                "partner_id": self.customer.id, "haoka_holder_name": "吴", "haoka_id_number": adult_id(sequence="591"),
                "haoka_holder_phone": "13912345678",
                "order_line": [Command.create({"product_id": self.product_b.id, "product_uom_qty": 1,
                                               "haoka_upstream_number": "13800138000"})]})
            order.action_confirm()
            order.action_haoka_push_upstream()
            self.assertEqual((order.haoka_upstream_state, order.haoka_upstream_order_ref), ("pushed", "UP0001"))
            self.assertEqual([v["status"] for v in server.outbox], ["SHIPPED"] * 2 + ["ACTIVE"] * 2 + ["RECHARGE"])
            self.assertEqual(server.deliver_callbacks(count=2), [200, 200])
            self.process()
            card = order.order_line.haoka_lot_ids
            self.assertEqual((order.haoka_fulfilment_state, order.haoka_courier_id.code, order.haoka_tracking_ref),
                             ("shipped", "SF", "SF900000001"))
            self.assertEqual((card.name, card.msisdn, card.card_state), (server.iccid(1), "13800138000", "shipped"))
            self.assertEqual(server.deliver_callbacks(), [200, 200, 200])
            self.process()
        self.assertEqual((order.haoka_fulfilment_state, card.card_state, card.haoka_first_topup_amount),
                         ("activated", "activated", 100))
        events = self.events().filtered("external_id")
        self.assertEqual(sorted(events.mapped("external_id")), ["UP0001-activated", "UP0001-first_topup",
                                                                "UP0001-shipped"], "a resent callback is stored once")
        self.assertEqual(set(events.mapped("state")), {"processed"})
        lines = order.haoka_commission_line_ids.filtered(lambda l: not l.clawback_of_id and l.distributor_id ==
                                                         self.seller)
        self.assertEqual(sorted((l.trigger, l.state, l.amount) for l in lines if l.trigger != "confirmed"),
                         [("activated", "eligible", 20), ("first_topup", "eligible", 15), ("shipped", "eligible", 30)],
                         "each trigger fired once")
