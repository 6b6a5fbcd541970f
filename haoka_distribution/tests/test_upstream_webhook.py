"""The webhook over real HTTP: signed requests only (each scheme valid, wrong, stale, replayed), the raw payload
stored first and answered at once, the same event twice stored once, processing in the background."""

import json
import time
from urllib.parse import urlencode

from odoo.tests import HttpCase, tagged

from ..tools import upstream_signature as sig
from .test_upstream_events import UpstreamCase


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
        # the language, the source, the replay check, the event, the cron's trigger row (9 to 10 before)
        self.assertLessEqual(self.cr.sql_log_count - before, 6)

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
        second = self.post_hmac({"event_id": "W2", "iccid": card.name, "status": "8"})
        self.assertEqual((first.status_code, second.status_code), (200, 200))
        self.assertEqual(second.json(), {"status": "duplicate", "event_id": None})
        self.assertEqual(self.events().mapped("external_id"), ["W2"])

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
