"""Signatures of upstream callbacks (pure functions, no ORM): each scheme valid, wrong, stale, replayed."""

import hashlib
import hmac

from odoo.addons.haoka_distribution.tools import upstream_signature as sig
from odoo.tests.common import BaseCase, tagged

NOW = 1_790_000_000
BODY = b'{"event_id": "E1", "iccid": "89860012345678901234", "status": "3001"}'


@tagged("post_install", "-at_install")
class TestUpstreamSignature(BaseCase):
    def test_hmac_sha256_signature_is_the_stripe_scheme(self):
        expected = hmac.new(b"s3cret", b"1790000000." + BODY, hashlib.sha256).hexdigest()
        self.assertEqual(sig.hmac_sha256_sign("s3cret", "1790000000", BODY), expected)

    def hmac_verdict(self, signature=None, timestamp=NOW, body=BODY, now=NOW, seen=None, secret="s3cret"):
        signature = signature if signature is not None else sig.hmac_sha256_sign("s3cret", timestamp, BODY)
        return sig.verify(sig.HMAC_SHA256, secret, now=now, timestamp=str(timestamp), signature=signature,
                          body=body, seen=seen)

    def test_hmac_valid_wrong_stale_replayed(self):
        self.assertEqual(self.hmac_verdict(), sig.VALID)
        self.assertEqual(self.hmac_verdict(signature=sig.hmac_sha256_sign("s3cret", NOW, BODY).upper()), sig.VALID,
                         "hex digests compare case-insensitively")
        self.assertEqual(self.hmac_verdict(body=BODY.replace(b"3001", b"3002")), sig.WRONG, "the body was changed")
        self.assertEqual(self.hmac_verdict(secret="other"), sig.WRONG)
        self.assertEqual(self.hmac_verdict(signature="0" * 64), sig.WRONG)
        self.assertEqual(self.hmac_verdict(now=NOW + 301), sig.STALE, "older than 5 minutes")
        self.assertEqual(self.hmac_verdict(now=NOW + 300), sig.VALID, "exactly 5 minutes old is still accepted")
        self.assertEqual(self.hmac_verdict(now=NOW - 301), sig.STALE, "from the future")
        self.assertEqual(self.hmac_verdict(timestamp=NOW * 1000, now=NOW + 1,
                                           signature=sig.hmac_sha256_sign("s3cret", NOW * 1000, BODY)),
                         sig.VALID, "milliseconds are read as such")
        accepted = {sig.signature_digest(sig.hmac_sha256_sign("s3cret", NOW, BODY))}
        self.assertEqual(self.hmac_verdict(seen=accepted.__contains__), sig.REPLAYED)
        self.assertEqual(self.hmac_verdict(signature=""), sig.MISSING)
        self.assertEqual(sig.verify(sig.HMAC_SHA256, "s3cret", now=NOW, timestamp=None, signature="ab", body=BODY),
                         sig.MISSING)
        self.assertEqual(self.hmac_verdict(secret=False), sig.MISSING, "a source without a secret accepts nothing")

    def test_md5_sorted_parameters(self):
        params = {"timestamp": str(NOW), "order_no": "SO001", "status": "8", "empty": "", "iccid": "8986001"}
        self.assertEqual(sig.md5_sorted_payload(params, "KEY"),
                         "iccid=8986001&order_no=SO001&status=8&timestamp=1790000000&key=KEY")
        signed = dict(params, sign=sig.md5_sorted_sign(params, "KEY"))
        self.assertEqual(signed["sign"], hashlib.md5(
            b"iccid=8986001&order_no=SO001&status=8&timestamp=1790000000&key=KEY").hexdigest().upper())
        self.assertEqual(sig.verify(sig.MD5_SORTED, "KEY", now=NOW, params=signed), sig.VALID)
        lower = dict(signed, sign=signed["sign"].lower())
        self.assertEqual(sig.verify(sig.MD5_SORTED, "KEY", now=NOW, params=lower), sig.VALID)
        self.assertEqual(sig.verify(sig.MD5_SORTED, "KEY", now=NOW, params=dict(signed, status="10")), sig.WRONG)
        self.assertEqual(sig.verify(sig.MD5_SORTED, "OTHER", now=NOW, params=signed), sig.WRONG)
        self.assertEqual(sig.verify(sig.MD5_SORTED, "KEY", now=NOW + 600, params=signed), sig.STALE)
        self.assertEqual(sig.verify(sig.MD5_SORTED, "KEY", now=NOW, params=signed,
                                    seen={sig.signature_digest(signed["sign"])}.__contains__), sig.REPLAYED)
        unsigned = dict(params)
        self.assertEqual(sig.verify(sig.MD5_SORTED, "KEY", now=NOW, params=unsigned), sig.MISSING)

    def test_comparison_is_constant_time(self):
        """The comparison goes through hmac.compare_digest (a wrong signature of the right length and one of
        another length are both refused, and no early exit on the first differing character is used)."""
        calls = []
        original = sig.hmac.compare_digest
        try:
            sig.hmac.compare_digest = lambda a, b: calls.append((a, b)) or original(a, b)
            self.assertFalse(sig.same_signature("abcd", "abce"))
            self.assertFalse(sig.same_signature("abcd", "ab"))
            self.assertTrue(sig.same_signature("ABCD", " abcd "))
        finally:
            sig.hmac.compare_digest = original
        self.assertEqual(len(calls), 3)

    def test_backoff_grows_then_caps(self):
        self.assertEqual([sig.backoff_minutes(n) for n in range(1, 7)], [1, 5, 25, 125, 600, 600])
