"""Signatures of upstream callbacks (no ORM).

Two schemes are in use among carriers and upstream platforms:

- ``hmac_sha256``: ``hex(HMAC-SHA256(secret, "<timestamp>.<raw body>"))`` sent in a header with the timestamp in
  another one (the Stripe way); a request older than the tolerance is stale.
- ``md5_sorted``: ``MD5("k1=v1&k2=v2&...&key=<secret>")`` over the parameters sorted by name, leaving out the
  signature itself and empty values, sent as the ``sign`` parameter (upper or lower case hex), with a
  ``timestamp`` parameter checked against the same tolerance.

A request whose signature was already accepted once is a replay. Signatures are compared with
:func:`hmac.compare_digest` (constant time).
"""

import hashlib
import hmac

HMAC_SHA256 = "hmac_sha256"
MD5_SORTED = "md5_sorted"
SCHEMES = (HMAC_SHA256, MD5_SORTED)
#: seconds a signed request stays acceptable
DEFAULT_TOLERANCE = 300

VALID = "valid"
MISSING = "missing"
WRONG = "wrong"
STALE = "stale"
REPLAYED = "replayed"
VERDICTS = (VALID, MISSING, WRONG, STALE, REPLAYED)


def _bytes(value):
    return value if isinstance(value, bytes) else str(value).encode()


def hmac_sha256_sign(secret, timestamp, body):
    """The hex signature of ``body`` (bytes) sent at ``timestamp``."""
    return hmac.new(_bytes(secret), _bytes(timestamp) + b"." + _bytes(body), hashlib.sha256).hexdigest()


def md5_sorted_payload(params, secret, sign_key="sign"):
    """The text an MD5 signature is computed over: ``k=v`` pairs sorted by name, joined by ``&``, then
    ``&key=<secret>``; the signature parameter and empty values are left out."""
    pairs = [
        f"{name}={value}" for name, value in sorted(params.items())
        if name != sign_key and value not in (None, "") and not isinstance(value, (dict, list))
    ]
    return "&".join([*pairs, f"key={secret}"])


def md5_sorted_sign(params, secret, sign_key="sign"):
    """The upper-case hex MD5 signature of ``params``."""
    return hashlib.md5(md5_sorted_payload(params, secret, sign_key).encode()).hexdigest().upper()  # noqa: S324


def parse_timestamp(value):
    """Seconds since the epoch from a timestamp in seconds or milliseconds; None when unreadable."""
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number / 1000 if number > 1e11 else number


def same_signature(expected, received):
    """Constant-time comparison, case-insensitive for hex digests."""
    return hmac.compare_digest(_bytes(expected.lower()), _bytes(str(received).strip().lower()))


def verify(scheme, secret, *, now, timestamp=None, signature=None, body=b"", params=None,
           tolerance=DEFAULT_TOLERANCE, seen=None, sign_key="sign"):
    """The verdict on one request: ``valid``, ``missing`` (no signature or timestamp), ``wrong``, ``stale``
    (outside ``tolerance`` seconds of ``now``, either way) or ``replayed`` (``seen(signature)`` is true: this
    exact signature was accepted before).

    For ``hmac_sha256`` pass ``timestamp``, ``signature`` (from the headers) and the raw ``body``; for
    ``md5_sorted`` pass the request's ``params`` (their ``sign`` and ``timestamp`` are read from them)."""
    if scheme == MD5_SORTED:
        params = params or {}
        signature = params.get(sign_key)
        timestamp = params.get("timestamp")
    if not secret or not signature or timestamp in (None, ""):
        return MISSING
    if scheme == HMAC_SHA256:
        expected = hmac_sha256_sign(secret, str(timestamp).strip(), body)
    elif scheme == MD5_SORTED:
        expected = md5_sorted_sign(params, secret, sign_key)
    else:
        raise ValueError(f"unknown signature scheme {scheme!r}")
    if not same_signature(expected, signature):
        return WRONG
    sent = parse_timestamp(timestamp)
    if sent is None or abs(now - sent) > tolerance:
        return STALE
    if seen is not None and seen(signature_digest(signature)):
        return REPLAYED
    return VALID


def signature_digest(signature):
    """What is kept of an accepted signature to recognise its replay (not the signature itself)."""
    return hashlib.sha256(_bytes(str(signature).strip().lower())).hexdigest()


def backoff_minutes(attempts):
    """Minutes before retry number ``attempts`` + 1 of a failed event: 1, 5, 25, 125, then 10 hours."""
    return min(5 ** max(attempts - 1, 0), 600)
