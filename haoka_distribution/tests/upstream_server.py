"""A small upstream platform of our own on loopback, for the tests: it verifies signatures, opens each order once
per order reference (a repeated submission gets the order it already has), and can be told to be slow, to fail,
to lose its answer after accepting, or to refuse an order with a reason."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ..tools import upstream_signature


class FakeUpstream:
    def __init__(self, secret, scheme=upstream_signature.HMAC_SHA256):
        self.secret = secret
        self.scheme = scheme
        self.orders = {}  # our order reference -> their order id
        self.requests = []  # (headers, payload) of every request received
        self.fail_next = 0  # answer HTTP 500 to this many requests
        self.lose_answers = 0  # accept this many orders, then answer HTTP 502 as a broken proxy would
        self.delay = 0.0  # seconds to wait before answering
        self.refuse = {}  # order reference -> reason
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
                status, answer = upstream.answer(dict(self.headers), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def answer(self, headers, body):
        payload = json.loads(body)
        with self.lock:
            self.requests.append((headers, payload))
        if self.delay:
            time.sleep(self.delay)
        if self.scheme == upstream_signature.MD5_SORTED:
            verdict = upstream_signature.verify(self.scheme, self.secret, now=time.time(), params=payload)
        else:
            verdict = upstream_signature.verify(self.scheme, self.secret, now=time.time(),
                                                timestamp=headers.get("X-Timestamp"),
                                                signature=headers.get("X-Signature"), body=body)
        if verdict != upstream_signature.VALID:
            return 401, {"code": 401, "msg": "签名错误 (%s)" % verdict}
        with self.lock:
            if self.fail_next:
                self.fail_next -= 1
                return 500, {"code": 500, "msg": "busy"}
            reference = payload["order_ref"]
            if reference in self.refuse:
                return 200, {"code": 1001, "msg": self.refuse[reference]}
            order_id = self.orders.setdefault(reference, "UP%04d" % (len(self.orders) + 1))
            if self.lose_answers:
                self.lose_answers -= 1
                return 502, {"code": 502, "msg": "bad gateway"}
        return 200, {"code": 0, "msg": "ok", "order_id": order_id}
