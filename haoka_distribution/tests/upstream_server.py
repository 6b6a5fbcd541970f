"""A small upstream platform of our own on loopback, for the tests, that behaves like a real one: it verifies
signatures, opens each order once per order reference (a repeated submission gets the order it already has), and
can be told to be slow, to fail, to lose its answer after accepting, or to refuse an order with a reason.

It holds a number pool: ``numbers/search`` (tail or substring, held and sold numbers left out), ``numbers/hold``
(one order at a time per number), ``numbers/release``; an order naming a number sells it (refused when another
order holds it).

Callbacks: once an order is accepted, the platform queues what a real one reports later — shipped (courier,
tracking number, ICCID, number), activated, first top-up — signed with its scheme, some of them twice, as real
platforms resend. :meth:`FakeUpstream.deliver_callbacks` POSTs them to ``callback_url`` (our webhook) over real
HTTP from the calling thread (a test's database cursor is shared with the server it calls, so the calls are made
while the test waits for them)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from ..tools import sim, upstream_signature

SUCCESS = {"code": 0, "msg": "ok"}


class FakeUpstream:
    def __init__(self, secret, scheme=upstream_signature.HMAC_SHA256, pool=()):
        self.secret = secret
        self.scheme = scheme
        self.orders = {}  # our order reference -> their order id
        self.requests = []  # (headers, payload) of every request received
        self.paths = []  # the path of every request received
        self.fail_next = 0  # answer HTTP 500 to this many requests
        self.lose_answers = 0  # accept this many orders, then answer HTTP 502 as a broken proxy would
        self.delay = 0.0  # seconds to wait before answering
        self.refuse = {}  # order reference -> reason
        self.pool = list(pool)  # the numbers on sale
        self.holds = {}  # number -> our order reference holding it
        self.sold = {}  # number -> our order reference
        self.callback_url = None  # our webhook: callbacks are queued for it once an order is accepted
        self.callback_cookies = {}
        self.resend = ("shipped", "activated")  # the callbacks sent twice
        self.outbox = []  # callbacks (payloads) waiting to be delivered
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%s/api" % self.server.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = upstream.answer(dict(self.headers), body, self.path)
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _verdict(self, headers, body, payload):
        if self.scheme == upstream_signature.MD5_SORTED:
            return upstream_signature.verify(self.scheme, self.secret, now=time.time(), params=payload)
        return upstream_signature.verify(self.scheme, self.secret, now=time.time(),
                                         timestamp=headers.get("X-Timestamp"), signature=headers.get("X-Signature"),
                                         body=body)

    def answer(self, headers, body, path="/api/order"):
        payload = json.loads(body)
        with self.lock:
            self.requests.append((headers, payload))
            self.paths.append(path)
        if self.delay:
            time.sleep(self.delay)
        verdict = self._verdict(headers, body, payload)
        if verdict != upstream_signature.VALID:
            return 401, {"code": 401, "msg": "签名错误 (%s)" % verdict}
        with self.lock:
            if self.fail_next:
                self.fail_next -= 1
                return 500, {"code": 500, "msg": "busy"}
            handler = {"/api/numbers/search": self._search, "/api/numbers/hold": self._hold,
                       "/api/numbers/release": self._release}.get(path, self._order)
            return handler(payload)

    # ------------------------------------------------------------------ the number pool

    def _search(self, payload):
        digits, limit = payload.get("digits") or "", int(payload.get("limit") or 20)
        found = [n for n in sorted(self.pool) if n not in self.holds and n not in self.sold
                 and (n.endswith(digits) if payload.get("mode") == "tail" else digits in n)]
        return 200, dict(SUCCESS, numbers=[{"number": n} for n in found[:limit]])

    def _hold(self, payload):
        number, reference = payload["number"], payload["order_ref"]
        if number not in self.pool or number in self.sold:
            return 200, {"code": 2002, "msg": "号码不存在或已售出"}
        if self.holds.get(number, reference) != reference:
            return 200, {"code": 2001, "msg": "号码已被占用"}
        self.holds[number] = reference
        return 200, dict(SUCCESS, hold_id="H-%s" % number)

    def _release(self, payload):
        if self.holds.get(payload["number"]) == payload["order_ref"]:
            del self.holds[payload["number"]]
        return 200, dict(SUCCESS)

    # ------------------------------------------------------------------ orders and callbacks

    def _order(self, payload):
        reference, number = payload["order_ref"], payload.get("number")
        if reference in self.refuse:
            return 200, {"code": 1001, "msg": self.refuse[reference]}
        if number and self.holds.get(number, reference) != reference:
            return 200, {"code": 2001, "msg": "号码已被占用"}
        new = reference not in self.orders
        order_id = self.orders.setdefault(reference, "UP%04d" % (len(self.orders) + 1))
        if number:
            self.holds.pop(number, None)
            self.sold[number] = reference
        if new and self.callback_url:
            self._queue_callbacks(order_id, payload)
        if self.lose_answers:
            self.lose_answers -= 1
            return 502, {"code": 502, "msg": "bad gateway"}
        return 200, dict(SUCCESS, order_id=order_id)

    def _queue_callbacks(self, order_id, payload):
        """What the platform reports later about the order: shipped, activated, first top-up (some twice)."""
        serial = int(order_id[2:])
        iccid = self.iccid(serial)
        common = {"order_id": order_id, "number": payload.get("number") or "", "date": time.strftime("%Y-%m-%d")}
        events = [
            ("shipped", dict(common, status="SHIPPED", iccid=iccid, courier="SF", tracking_no="SF9%08d" % serial)),
            ("activated", dict(common, status="ACTIVE")),
            ("first_topup", dict(common, status="RECHARGE", amount="100.00")),
        ]
        for kind, values in events:
            values["event_id"] = "%s-%s" % (order_id, kind)
            # a resend is a new request (its own timestamp and signature: not a replay), naming the same event
            self.outbox += [dict(values, send_count=n) for n in range(1, 3 if kind in self.resend else 2)]

    @staticmethod
    def iccid(serial):
        body = "8986009%011d" % serial
        return body + sim.luhn_check_digit(body)

    def _signed(self, values):
        if self.scheme == upstream_signature.MD5_SORTED:
            values = dict(values, timestamp=str(int(time.time())))
            values["sign"] = upstream_signature.md5_sorted_sign(values, self.secret)
            return json.dumps(values, ensure_ascii=False).encode(), {"Content-Type": "application/json"}
        body = json.dumps(values, ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        return body, {"Content-Type": "application/json", "X-Timestamp": timestamp,
                      "X-Signature": upstream_signature.hmac_sha256_sign(self.secret, timestamp, body)}

    def deliver_callbacks(self, count=None):
        """POST the first ``count`` queued callbacks (all by default) to our webhook, in order; their HTTP
        statuses."""
        with self.lock:
            count = len(self.outbox) if count is None else count
            outbox, self.outbox = self.outbox[:count], self.outbox[count:]
        statuses = []
        for values in outbox:
            body, headers = self._signed(values)
            response = requests.post(self.callback_url, data=body, headers=headers, cookies=self.callback_cookies,
                                     timeout=30)
            statuses.append(response.status_code)
        return statuses
