"""The requests of deploy/check.sh, all through the proxy: a card import (JSON-RPC, as the import wizard's
button does), a portal page, a webhook call and the websocket handshake.
    check_client.py PROXY_URL DATABASE ADDON_DIR   (HAOKA_DEPLOY_PASSWORD: the admin's and portal user's password)
"""

import base64
import datetime
import http.client
import http.cookiejar
import io
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import openpyxl

BASE, DB, ADDON = sys.argv[1], sys.argv[2], sys.argv[3]
PASSWORD = os.environ["HAOKA_DEPLOY_PASSWORD"]
CARDS = 200


def luhn_iccid(serial):
    body = ("89860077" + str(serial).rjust(11, "0"))[:19]
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char) * (2 if index % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return body + str((10 - total % 10) % 10)


class Session:
    def __init__(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path):
        with self.opener.open(BASE + path, timeout=120) as answer:
            return answer.status, answer.read().decode()

    def rpc(self, path, params):
        data = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params, "id": 1}).encode()
        request = urllib.request.Request(BASE + path, data, {"Content-Type": "application/json"})
        with self.opener.open(request, timeout=600) as answer:
            reply = json.loads(answer.read())
        if "error" in reply:
            raise RuntimeError("%s: %s" % (path, json.dumps(reply["error"])[:2000]))
        return reply["result"]

    def login(self, login):
        return self.rpc("/web/session/authenticate", {"db": DB, "login": login, "password": PASSWORD})

    def call(self, model, method, *args, **kwargs):
        return self.rpc("/web/dataset/call_kw", {"model": model, "method": method, "args": list(args),
                                                 "kwargs": kwargs})


def card_file():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ICCID", "号码", "PUK", "PIN", "套餐", "有效期"])
    expiry = datetime.date.today() + datetime.timedelta(days=730)
    stamp = int(time.time()) % 10_000_000
    for i in range(CARDS):
        sheet.append([luhn_iccid(stamp * 1000 + i), "1390077%04d" % i, "%08d" % (12345678 + i), "1234",
                      "Deploy Check Plan", expiry])
    stream = io.BytesIO()
    book.save(stream)
    return base64.b64encode(stream.getvalue()).decode()


def check_import():
    admin = Session()
    admin.login("admin")
    location = admin.call("ir.model.data", "check_object_reference", "stock", "stock_location_stock")[1]
    wizard = admin.call("haoka.card.import", "create", [{"file": card_file(), "filename": "deploy_check.xlsx",
                                                         "location_id": location}])[0]
    started = time.time()
    admin.call("haoka.card.import", "action_start_import", [wizard])
    state = admin.call("haoka.card.import", "read", [wizard], ["state", "row_count", "error_count"])[0]
    assert (state["state"], state["row_count"], state["error_count"]) == ("done", CARDS, 0), state
    print("card import through the proxy: %s cards in %.1f s" % (CARDS, time.time() - started))


def check_portal():
    portal = Session()
    portal.login("deploy_portal")
    status, page = portal.get("/my/home")
    assert status == 200 and "Deploy Check Portal" in page, (status, page[:500])
    print("portal page /my/home: 200")


def check_webhook():
    if not os.path.exists(os.path.join(ADDON, "controllers", "upstream_webhook.py")):
        print("webhook: this version has no webhook route (controllers/upstream_webhook.py), not checked")
        return
    request = urllib.request.Request(BASE + "/haoka/upstream/deploy-check-unknown/event", b'{"id": "1"}',
                                     {"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=60)
        raise AssertionError("an unknown source was accepted")
    except urllib.error.HTTPError as error:
        body = error.read().decode()
        # the route's own answer (JSON naming the reason), not a proxy or server error page
        assert error.code == 404 and "unknown_source" in body, (error.code, body[:500])
    print("webhook call: answered by the route (404 unknown_source)")


def check_websocket():
    url = urllib.parse.urlparse(BASE)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    connection.request("GET", "/websocket", headers={
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(), "Origin": BASE})
    status = connection.getresponse().status
    assert status == 101, "websocket handshake through the proxy: HTTP %s" % status
    print("websocket through the proxy (gevent port): 101")


def wait_for_server():
    for _ in range(120):
        try:
            if Session().get("/web/health")[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
            pass
        time.sleep(1)
    raise SystemExit("the server did not answer through the proxy within 120 s")


if __name__ == "__main__":
    wait_for_server()
    for check in (check_import, check_portal, check_webhook, check_websocket):
        check()
