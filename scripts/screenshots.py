"""The README's screenshots, taken in headless Chromium on a server of the ``make demo`` data (run by
``make screenshots``, see scripts/screenshots.sh): the distributor portal at phone width (375 px) logged in as
demo distributors, and a few back-office screens at desktop width logged in as the administrator. Chromium is
driven over the DevTools protocol (websocket-client), one browser context per user, logging in through Odoo's
own login form; each page is taken once it has loaded (the web client ready, fonts loaded), and saved as a
palette PNG under docs/screenshots/.

    python scripts/screenshots.py --url http://127.0.0.1:8069 --db haoka_demo --out docs/screenshots
"""

import argparse
import base64
import io
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import xmlrpc.client

import websocket
from PIL import Image

PHONE = {"width": 375, "height": 812, "deviceScaleFactor": 1, "mobile": True}
DESKTOP = {"width": 1280, "height": 760, "deviceScaleFactor": 1, "mobile": False}
PHONE_MAX_HEIGHT = 1100  # a long page is cut there: the README shows the top of it

#: (file, path, login): the portal pages at phone width, each as the demo distributor who has something to show
PORTAL_PAGES = [
    ("portal-home.png", "/my", "wangqiang"),
    ("portal-order-new.png", "/my/sim-order/new?search=1&plan_id={plan}&digits=88", "wangqiang"),
    ("portal-orders.png", "/my/sim-orders", "wangqiang"),
    ("portal-commissions.png", "/my/commissions", "wangqiang"),
    ("portal-wallet.png", "/my/wallet", "wangqiang"),
    ("portal-withdrawals.png", "/my/withdrawals", "wangqiang"),
    ("portal-withdrawal-new.png", "/my/withdrawals/new", "wangqiang"),
    ("portal-kyc.png", "/my/kyc", "zhaomin"),
    ("portal-team.png", "/my/team", "zhangwei"),
    ("portal-promote.png", "/my/promote", "wangqiang"),
]
#: (file, path): the back office at desktop width, as the administrator
BACKOFFICE_PAGES = [
    ("backoffice-dashboard.png", "/odoo/sim-dashboard"),
    ("backoffice-cards.png", "/odoo/sim-cards"),
    ("backoffice-order.png", "/odoo/action-haoka_distribution.action_haoka_orders/{order}"),
    ("backoffice-withdrawals.png", "/odoo/action-haoka_distribution.action_haoka_withdrawals"),
    ("backoffice-wallets.png", "/odoo/action-haoka_distribution.action_haoka_wallet"),
]
#: JavaScript true once a page is ready to be taken
READY = """(() => {
    if (document.readyState !== 'complete') { return false; }
    if (location.pathname.startsWith('/odoo')) {
        if (!(window.odoo && odoo.isReady) || !document.querySelector('.o_action_manager > *')) { return false; }
        if (document.querySelector('.o_loading_indicator, .o_blockUI, .o_view_nocontent_empty_folder')) {
            return false;
        }
    }
    return document.fonts.status === 'loaded';
})()"""


class ScreenshotError(Exception):
    pass


class Chromium:
    """A headless Chromium and its DevTools connection (browser-level, pages attached as flat sessions)."""

    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="haoka_screenshots_")
        port = free_port()
        self.process = subprocess.Popen([
            binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--hide-scrollbars", "--no-first-run", "--disable-background-networking", "--disable-sync",
            "--disable-component-update", "--force-color-profile=srgb", "--lang=zh-CN",
            f"--user-data-dir={self.profile}", "--remote-debugging-address=127.0.0.1",
            f"--remote-debugging-port={port}", "about:blank",
        ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ids = itertools.count(1)
        self.events = []
        url = wait_for(lambda: json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=2)),
                       30, "Chromium did not open its DevTools port")["webSocketDebuggerUrl"]
        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)

    def send(self, method, params=None, session=None):
        """Send a DevTools command and return its result (events received meanwhile are kept)."""
        message_id = next(self.ids)
        message = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            answer = json.loads(self.ws.recv())
            if answer.get("id") == message_id:
                if "error" in answer:
                    raise ScreenshotError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_event(self, method, session, timeout=60):
        """Wait for the event ``method`` of the page ``session`` (one received before counts too)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    self.events.remove(event)
                    return event
            self.ws.settimeout(max(0.1, deadline - time.time()))
            try:
                self.events.append(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException:
                break
            finally:
                self.ws.settimeout(60)
        raise ScreenshotError(f"no {method} within {timeout} s")

    def new_page(self, metrics):
        """A page of its own browser context (its own cookies: one user), at the size ``metrics``."""
        context = self.send("Target.createBrowserContext")["browserContextId"]
        target = self.send("Target.createTarget", {"url": "about:blank", "browserContextId": context})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "Runtime.enable"):
            self.send(method, session=session)
        self.send("Emulation.setDeviceMetricsOverride", metrics, session=session)
        if metrics["mobile"]:
            self.send("Emulation.setTouchEmulationEnabled", {"enabled": True}, session=session)
        return Page(self, session, metrics)

    def close(self):
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    def __init__(self, browser, session, metrics):
        self.browser, self.session, self.metrics = browser, session, metrics

    def evaluate(self, expression):
        result = self.browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                        "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in result:
            raise ScreenshotError(f"{expression[:60]}…: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def goto(self, url):
        self.browser.events.clear()
        self.browser.send("Page.navigate", {"url": url}, session=self.session)
        self.browser.wait_event("Page.loadEventFired", self.session)
        self.wait_ready(url)

    def wait_ready(self, url, timeout=60):
        wait_for(lambda: self.evaluate(READY), timeout, f"{url} did not finish loading")
        time.sleep(1.5)  # the last renders: charts, images, transitions

    def login(self, base_url, login, password):
        """Log in through Odoo's login form (the user's session cookie stays in this page's context)."""
        self.goto(f"{base_url}/web/login")
        self.browser.events.clear()
        self.evaluate(f"""(() => {{
            const form = document.querySelector('form.oe_login_form');
            form.querySelector('input[name=login]').value = {json.dumps(login)};
            form.querySelector('input[name=password]').value = {json.dumps(password)};
            form.submit();
        }})()""")
        self.browser.wait_event("Page.loadEventFired", self.session)
        if "/web/login" in self.evaluate("location.pathname"):
            raise ScreenshotError(f"cannot log in as {login}: is this a `make demo` database?")

    def screenshot(self, path):
        """Save the page as a palette PNG: the viewport on a desktop, the page up to PHONE_MAX_HEIGHT on a phone."""
        width, height = self.metrics["width"], self.metrics["height"]
        if self.metrics["mobile"]:
            height = min(PHONE_MAX_HEIGHT, max(height, self.evaluate("document.documentElement.scrollHeight")))
        data = self.browser.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        }, session=self.session)["data"]
        image = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")
        image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        image.save(path, optimize=True)
        print(f"   {os.path.basename(path)}: {image.width}×{image.height}, {os.path.getsize(path) // 1024} KB")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout, message):
    """The first true result of ``check()`` within ``timeout`` seconds; errors count as not yet."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            result = check()
            if result:
                return result
        except (OSError, ValueError, ScreenshotError):
            pass
        time.sleep(0.3)
    raise ScreenshotError(message)


def demo_ids(url, db):
    """The records some paths name: a plan to search numbers of, a shipped order (read as admin over XML-RPC)."""
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(db, "admin", "admin", {})
    if not uid:
        raise ScreenshotError(f"cannot log in to {db} as admin/admin: is it a `make demo` database?")
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")

    def first(model, domain, order="id"):
        ids = models.execute_kw(db, uid, "admin", model, "search", [domain], {"limit": 1, "order": order})
        if not ids:
            raise ScreenshotError(f"no {model} {domain} in {db}: is it a `make demo` database?")
        return ids[0]

    return {
        "plan": first("product.product", [("default_code", "=", "SIM-CMCC_29")]),
        "order": first("sale.order", [("haoka_fulfilment_state", "in", ("received", "shipped"))], "id desc"),
    }


def take(browser, base_url, out, ids):
    pages = {}
    for name, path, login in PORTAL_PAGES:
        if login not in pages:
            pages[login] = browser.new_page(PHONE)
            pages[login].login(base_url, login, login)
        pages[login].goto(base_url + path.format(**ids))
        pages[login].screenshot(os.path.join(out, name))
    admin = browser.new_page(DESKTOP)
    admin.login(base_url, "admin", "admin")
    for name, path in BACKOFFICE_PAGES:
        admin.goto(base_url + path.format(**ids))
        admin.screenshot(os.path.join(out, name))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the Odoo server of the demo database")
    parser.add_argument("--db", required=True, help="the demo database")
    parser.add_argument("--out", required=True, help="the folder of the PNG files")
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("google-chrome") or "chromium")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    browser = Chromium(args.chromium)
    try:
        take(browser, args.url.rstrip("/"), args.out, demo_ids(args.url, args.db))
    except ScreenshotError as error:
        sys.exit(f"ERROR: {error}")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
