"""The number pool of an upstream (上游号池): for a plan the upstream fulfils, 选号 searches the upstream's pool
through its API (by tail or substring, as the local 选号 does) and the chosen number is held there while the
quotation is open, when the API allows it.

The API: ``POST <api_url>/numbers/search`` (``mode``, ``digits``, ``limit``) answers ``numbers``;
``POST <api_url>/numbers/hold`` (``number``, ``order_ref``, ``minutes``) answers a ``hold_id``;
``POST <api_url>/numbers/release`` (``number``, ``order_ref``). Every request is signed with the source's scheme,
as the orders are; an answer's ``code`` 0 / ``success`` / 200 means done, anything else is a refusal (``msg``).

Search answers are cached briefly in each server process: an ``ormcache`` keyed by source, URL, query and a time
bucket of ``pool_cache_minutes``. No table is written (a search stays a read, portal searches are many), each
worker asks the upstream at most once per query and bucket, and a cached answer is at most that old: a number
taken meanwhile is refused by the hold, with a clear message."""

import json
import logging
import time

import requests

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import ormcache

from ..tools import sim, upstream_signature

_logger = logging.getLogger(__name__)

SUCCESS_CODES = ("0", "success", "200")


class UpstreamApiError(UserError):
    """The upstream's API did not answer or refused: the message says which and why, for the user."""


class HaokaUpstream(models.Model):
    _inherit = "haoka.upstream"

    pool_search = fields.Boolean(
        string="Number Pool Search",
        help="选号 for the plans this upstream fulfils searches its number pool through its API "
        "(<URL>/numbers/search).")
    pool_holds = fields.Boolean(
        string="Holds Chosen Numbers",
        help="The API holds a chosen number for the quotation (<URL>/numbers/hold) and releases it "
        "(<URL>/numbers/release) when the number is changed, the quotation cancelled or the hold expired.")
    pool_cache_minutes = fields.Integer(
        string="Pool Answers Cached (min)", default=3,
        help="A number search is answered from a cache for this many minutes (0: ask the upstream every time).")

    def _signed_request(self, payload):
        """``(body, headers)`` of ``payload`` signed with the source's scheme (a ``timestamp`` is added)."""
        self.ensure_one()
        payload = dict(payload, timestamp=payload.get("timestamp") or str(int(time.time())))
        secret = self.sudo()._signing_secret()
        if self.signature_scheme == upstream_signature.MD5_SORTED:
            payload["sign"] = upstream_signature.md5_sorted_sign(payload, secret)
            return json.dumps(payload, ensure_ascii=False).encode(), {"Content-Type": "application/json"}
        body = json.dumps(payload, ensure_ascii=False).encode()
        return body, {"Content-Type": "application/json",
                      self.timestamp_header or "X-Timestamp": payload["timestamp"],
                      self.signature_header or "X-Signature": upstream_signature.hmac_sha256_sign(
                          secret, payload["timestamp"], body)}

    def _api_call(self, path, payload, what):
        """POST ``payload`` signed to ``<api_url>/<path>``; the JSON answer when the upstream says done, else an
        :class:`UpstreamApiError` naming the upstream, ``what`` was asked and why it failed."""
        self.ensure_one()
        _ = self.env._
        if not self.api_url:
            raise UpstreamApiError(_("Upstream %(upstream)s has no API URL.", upstream=self.name))
        body, headers = self._signed_request(payload)
        try:
            response = requests.post(self.api_url.rstrip("/") + "/" + path, data=body, headers=headers,
                                     timeout=self.api_timeout or 10)
            answer = response.json()
        except requests.Timeout as error:
            raise UpstreamApiError(_("%(upstream)s did not answer in time (%(what)s). Try again in a moment.",
                                     upstream=self.name, what=what)) from error
        except requests.RequestException as error:
            raise UpstreamApiError(_("%(upstream)s cannot be reached (%(what)s): %(error)s. Try again in a moment.",
                                     upstream=self.name, what=what, error=type(error).__name__)) from error
        except ValueError as error:
            raise UpstreamApiError(_("%(upstream)s gave an unreadable answer (%(what)s, HTTP %(status)s).",
                                     upstream=self.name, what=what, status=response.status_code)) from error
        if not isinstance(answer, dict) or str(answer.get("code")) not in SUCCESS_CODES:
            reason = (answer.get("msg") or answer.get("message")) if isinstance(answer, dict) else None
            raise UpstreamApiError(_("%(upstream)s refused (%(what)s): %(reason)s", upstream=self.name, what=what,
                                     reason=reason or _("HTTP %(status)s", status=response.status_code)))
        return answer

    def _pool_search(self, digits, mode="tail", limit=20):
        """The numbers of the upstream's pool ending with (``tail``) or containing ``digits``, at most ``limit``,
        answered from the cache when the same query was asked within ``pool_cache_minutes``."""
        self.ensure_one()
        minutes = max(self.pool_cache_minutes, 0)
        bucket = int(time.time() // (minutes * 60)) if minutes else time.time()
        return list(self.sudo()._pool_search_cached(self.api_url or "", mode, digits or "", limit, bucket))

    @ormcache("self.id", "url", "mode", "digits", "limit", "bucket")
    def _pool_search_cached(self, url, mode, digits, limit, bucket):
        answer = self._api_call("numbers/search", {"mode": mode, "digits": digits, "limit": limit},
                                self.env._("number search"))
        numbers = []
        for item in answer.get("numbers") or []:
            number = sim.normalize_msisdn(str(item.get("number") if isinstance(item, dict) else item))
            matches = number.endswith(digits) if mode == "tail" else digits in number
            if number and matches and number not in numbers:
                numbers.append(number)
        return tuple(numbers[:limit])

    def _pool_hold(self, number, reference, minutes):
        """Hold ``number`` upstream for our order ``reference``; the upstream's hold id (an error when taken)."""
        self.ensure_one()
        answer = self._api_call("numbers/hold", {"number": number, "order_ref": reference, "minutes": minutes},
                                self.env._("hold of number %(number)s", number=number))
        return str(answer.get("hold_id") or number)

    def _pool_release(self, number, reference):
        """Release ``number`` held for ``reference``. A failed release is logged, not raised: the hold expires
        upstream by itself, and a cancellation must not wait on the upstream."""
        self.ensure_one()
        try:
            self._api_call("numbers/release", {"number": number, "order_ref": reference},
                           self.env._("release of number %(number)s", number=number))
        except UpstreamApiError as error:
            _logger.warning("upstream %s: release of %s for %s failed: %s", self.code, number, reference, error)
            return False
        return True
