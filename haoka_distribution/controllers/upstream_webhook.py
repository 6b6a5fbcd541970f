"""``POST /haoka/upstream/<source>/event``: the callbacks of carriers and upstream platforms.

No user: the request is authenticated by the source's signature scheme only. The raw payload is stored before
anything else and the answer is immediate; processing runs in the background (``haoka.upstream.event``)."""

import json
import time
from urllib.parse import urlencode

from odoo import SUPERUSER_ID, http
from odoo.http import request

from ..tools import upstream_signature

MAX_BODY = 1024 * 1024
#: the HTTP status of each refused verdict
REFUSED = {
    upstream_signature.MISSING: 401,
    upstream_signature.WRONG: 401,
    upstream_signature.STALE: 401,
    upstream_signature.REPLAYED: 409,
}
#: request headers never stored
PRIVATE_HEADERS = {"cookie", "authorization", "proxy-authorization"}


class HaokaUpstreamWebhook(http.Controller):
    @http.route("/haoka/upstream/<string:source_code>/event", type="http", auth="none", methods=["POST"],
                csrf=False, save_session=False, readonly=False,  # auth='none' routes default to read-only
                haoka_company_lang=True)  # models/ir_http_upstream.py: the language without reading three rows
    def haoka_upstream_event(self, source_code, **_kwargs):
        env = request.env(user=SUPERUSER_ID)
        source = env["haoka.upstream"]._webhook_source(source_code)
        if not source:
            return self._answer(404, "unknown_source")
        body = request.httprequest.get_data(cache=True)
        if not body and request.httprequest.form:  # a form body was parsed (and consumed) before this method
            body = urlencode(list(request.httprequest.form.items(multi=True))).encode()
        if len(body) > MAX_BODY:
            return self._answer(413, "too_large")
        Event = env["haoka.upstream.event"]
        text = body.decode("utf-8", "replace")
        headers = {k: v for k, v in request.httprequest.headers.items() if k.lower() not in PRIVATE_HEADERS}
        try:
            values = Event._parse_payload(text)
        except Exception:  # noqa: BLE001 - an unreadable body is refused (it cannot be signed data of ours)
            values = None
        verdict, digest = self._verify(source, body, values)
        if verdict != upstream_signature.VALID:
            return self._refuse(source, text, headers, verdict)
        external_id = source._pick_value(values or {}, "key_external_id")
        if external_id in (None, ""):
            if Event._signature_seen(source, digest):
                return self._refuse(source, text, headers, upstream_signature.REPLAYED)
            Event._store_refused(source, text, headers, verdict, env._("Refused: the event has no id."),
                                 digest=digest)
            return self._answer(400, "no_event_id")
        event_id = Event._store_webhook_event(source, str(external_id).strip(), text, headers, digest)
        if not event_id and Event._signature_seen(source, digest):  # not stored: a duplicate or a replay
            return self._refuse(source, text, headers, upstream_signature.REPLAYED)
        return self._answer(200, "received" if event_id else "duplicate", event_id=event_id)

    def _refuse(self, source, text, headers, verdict):
        env = request.env(user=SUPERUSER_ID)
        env["haoka.upstream.event"]._store_refused(source, text, headers, verdict,
                                                   env._("Refused: signature %(verdict)s.", verdict=verdict))
        return self._answer(REFUSED[verdict], verdict)

    def _verify(self, source, body, values):
        """``(verdict, signature digest)`` of this request for ``source``: its signature and age. Whether the
        signature was accepted before (a replay) is checked by the insert of the event, in the same statement."""
        secret = source._signing_secret()
        if source.signature_scheme == upstream_signature.MD5_SORTED:
            params = {**request.httprequest.args.to_dict(), **(values or {})}
            signature = params.get("sign")
            verdict = upstream_signature.verify(source.signature_scheme, secret, now=time.time(), params=params,
                                                tolerance=source.tolerance)
        else:
            headers = request.httprequest.headers
            signature = headers.get(source.signature_header or "X-Signature")
            verdict = upstream_signature.verify(
                source.signature_scheme, secret, now=time.time(), timestamp=headers.get(
                    source.timestamp_header or "X-Timestamp"), signature=signature, body=body,
                tolerance=source.tolerance)
        return verdict, upstream_signature.signature_digest(signature) if signature else None

    def _answer(self, status, code, **extra):
        return request.make_response(json.dumps({"status": code, **extra}), status=status,
                                     headers=[("Content-Type", "application/json")])
