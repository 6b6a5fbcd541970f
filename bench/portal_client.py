"""The load generator of bench/load_portal.py (no Odoo import): one :class:`Browser` per distributor, a thread
each, a keep-alive HTTP connection and a session cookie of its own, logged in through /web/login with the form's
CSRF token; then it browses the portal pages with a person's think-time between them. Every answer but a 200
(a redirect included), every refused connection and the number search's rate-limit message is an error."""

import http.client
import re
import statistics
import time
import urllib.parse

#: (name, path) of the pages a distributor browses; the number search gets its digits at each visit
PAGES = [
    ("个人中心 /my", "/my"),
    ("我的订单 /my/sim-orders", "/my/sim-orders"),
    ("我的佣金 /my/commissions", "/my/commissions"),
    ("我的钱包 /my/wallet", "/my/wallet"),
    ("选号 /my/sim-order/new?search", "/my/sim-order/new"),
]
RATE_LIMITED = ("Too many searches", "搜索过于频繁")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PERF = re.compile(r'"(GET|POST) (\S+) HTTP/[\d.]+" (\d+) \S+ (\d+) ([\d.]+) ([\d.]+)')


class Browser:
    """One distributor's browser: its connection, its session cookie, its timings."""

    def __init__(self, port, login, password, plan_id, think):
        self.port, self.login_name, self.password = port, login, password
        self.plan_id, self.think = plan_id, think
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = None
        self.logged_in = False
        self.timings = {name: [] for name, __ in PAGES}
        self.errors = []

    @staticmethod
    def wait_for(port, seconds=120):
        for _attempt in range(int(seconds * 2)):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/web/health")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("the server on port %d did not start" % port)

    def request(self, method, path, body=None):
        """(status, text) of one request on the kept-alive connection (reopened once if the server closed it)."""
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                answer = self.connection.getresponse()
                text = answer.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                if attempt == 2:
                    raise
        for header, value in answer.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session_id="):
                self.cookie = value.split(";", 1)[0]
        return answer.status, text

    def login(self):
        """The login form for real: its page (session and CSRF token), then the post of the credentials."""
        try:
            status, page = self.request("GET", "/web/login")
            token = CSRF.search(page)
            body = urllib.parse.urlencode({"login": self.login_name, "password": self.password, "redirect": "/my",
                                           "csrf_token": token.group(1) if token else ""})
            status, page = self.request("POST", "/web/login", body)
            self.logged_in = status in (301, 302, 303) and bool(self.cookie)
            if not self.logged_in:
                self.errors.append(("login", "HTTP %s" % status))
        except OSError as error:
            self.errors.append(("login", repr(error)))

    def visit(self, name, path, rng):
        if path == "/my/sim-order/new":
            path += "?" + urllib.parse.urlencode({"plan_id": self.plan_id, "digits": "%02d" % rng.randrange(100),
                                                  "mode": "tail", "search": "1"})
        began = time.time()
        try:
            status, text = self.request("GET", path)
        except OSError as error:
            self.errors.append((name, repr(error)))
            return
        self.timings[name].append(time.time() - began)
        if status != 200:
            self.errors.append((name, "HTTP %s" % status))
        elif any(message in text for message in RATE_LIMITED):
            self.errors.append((name, "rate limited"))

    def warm_up(self, rng):
        """Each page once, not timed: every worker compiles its templates and loads its translations once."""
        if self.logged_in:
            for name, path in PAGES:
                self.visit(name, path, rng)
            self.timings = {name: [] for name, __ in PAGES}

    def browse(self, deadline, rng):
        """The pages in a person's order (a shuffled round each time), a think-time between two pages."""
        if not self.logged_in:
            return
        time.sleep(rng.uniform(0, self.think[1]))  # not everyone at the same second
        while time.time() < deadline:
            for name, path in rng.sample(PAGES, len(PAGES)):
                if time.time() >= deadline:
                    return
                self.visit(name, path, rng)
                time.sleep(rng.uniform(*self.think))


def percentile(values, share):
    ordered = sorted(values)
    return ordered[max(0, int(round(len(ordered) * share)) - 1)] if ordered else 0.0


def server_costs(logfile, offset=0):
    """{page path: (requests, mean SQL statements, mean server ms)} from Odoo's werkzeug lines (from ``offset``)."""
    costs = {}
    with open(logfile, encoding="utf-8", errors="replace") as log:
        log.seek(offset)
        for line in log:
            match = PERF.search(line)
            if match:
                path = match.group(2).split("?")[0]
                costs.setdefault(path, []).append((int(match.group(4)),
                                                   (float(match.group(5)) + float(match.group(6))) * 1000))
    return {path: (len(rows), statistics.mean(r[0] for r in rows), statistics.mean(r[1] for r in rows))
            for path, rows in costs.items()}


def summary(browsers, elapsed, logfile, load, offset=0):
    """The printed figures: totals, then per page p50/p95/p99 (client side) and SQL/ms (server side)."""
    every = [t for b in browsers for times in b.timings.values() for t in times]
    errors = [e for b in browsers for e in b.errors]
    costs = server_costs(logfile, offset)
    lines = ["portal load, --workers=2, %d distributors, %.0f s (load average %.1f %.1f %.1f): %d requests, "
             "%.1f requests/s, p50 %.0f ms, p95 %.0f ms (target <= 300 ms), p99 %.0f ms, %d errors (target 0)"
             % (len(browsers), elapsed, *load, len(every), len(every) / elapsed if elapsed else 0,
                percentile(every, 0.5) * 1000, percentile(every, 0.95) * 1000, percentile(every, 0.99) * 1000,
                len(errors))]
    for name, path in PAGES:
        times = [t for b in browsers for t in b.timings[name]]
        count, sql, server_ms = costs.get(path, (0, 0, 0))
        lines.append("  %-32s %5d requests  p50 %5.0f  p95 %5.0f  p99 %5.0f ms  | server: %4.0f SQL, %5.0f ms "
                     "a request" % (name, len(times), percentile(times, 0.5) * 1000, percentile(times, 0.95) * 1000,
                                    percentile(times, 0.99) * 1000, sql, server_ms))
    kinds = {}
    for name, what in errors:
        kinds[(name, what)] = kinds.get((name, what), 0) + 1
    lines += ["  error: %s: %s (%d)" % (name, what, count) for (name, what), count in sorted(kinds.items())[:10]]
    return "\n".join(lines)

