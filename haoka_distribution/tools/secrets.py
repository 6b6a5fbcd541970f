"""Encryption of card secrets (PUK, PIN) and identity numbers, with the key outside the database.

The key comes, in this order, from the Odoo configuration option ``haoka_secret_key``, the
environment variable ``HAOKA_SECRET_KEY``, or a key file ``haoka_secret.key`` in Odoo's data
directory (created on first use, readable by the Odoo user only). Two keys are derived from it:
one for encryption and one for a keyed hash (HMAC-SHA256) that
lets managers find a record by the exact secret without decrypting every row.

Ciphertexts are AES-256-GCM (authenticated; a random 96-bit nonce per value), stored as
``g1:`` + base64(nonce + ciphertext).
"""

import base64
import hashlib
import hmac
import os
import secrets as _secrets
import threading

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_lock = threading.Lock()
_cache = {}
_file_cache = {}


def _key_file_path():
    from odoo.tools import config

    return os.path.join(config["data_dir"], "haoka_secret.key")


def master_secret():
    """The raw master secret (bytes)."""
    from odoo.tools import config

    configured = config.get("haoka_secret_key") or os.environ.get("HAOKA_SECRET_KEY")
    if configured:
        return configured.encode()
    path = _key_file_path()
    if path in _file_cache:
        return _file_cache[path]
    with _lock:
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(_secrets.token_urlsafe(48))
        with open(path) as handle:
            _file_cache[path] = handle.read().strip().encode()
            return _file_cache[path]


def _keys():
    secret = master_secret()
    keys = _cache.get(secret)
    if keys is None:
        enc = hashlib.sha256(b"haoka-encryption:" + secret).digest()
        mac = hashlib.sha256(b"haoka-search-hash:" + secret).digest()
        keys = _cache[secret] = (AESGCM(enc), mac, enc)
    return keys


def _encrypt_with(aead, value):
    nonce = os.urandom(12)
    return "g1:" + base64.b64encode(nonce + aead.encrypt(nonce, value.encode(), None)).decode()


def _hash_with(mac_key, value):
    return hmac.digest(mac_key, value.encode(), "sha256").hex()


def encrypt(value):
    if not value:
        return False
    return _encrypt_with(_keys()[0], value)


def encryptor():
    """``(encrypt, search_hash)`` bound to the current key, for many values in a row (a bulk import):
    the key is looked up once instead of once per value."""
    aead, mac_key, _enc = _keys()
    return (
        lambda value: _encrypt_with(aead, value) if value else False,
        lambda value: _hash_with(mac_key, value) if value else False,
    )


def decrypt(token):
    """Clear text of ``token``; False when empty or when it was not made with this key."""
    if not token or not token.startswith("g1:"):
        return False
    raw = base64.b64decode(token[3:])
    try:
        return _keys()[0].decrypt(raw[:12], raw[12:], None).decode()
    except InvalidTag:
        return False


#: size of the GCM nonce and tag in a token's raw bytes
_NONCE, _TAG = 12, 16


def decrypt_digits(tokens):
    """``[decrypt(token) for token in tokens]`` for secrets made of ASCII digits (PUK, PIN), about ten times
    faster for many tokens (a card export of 100,000 cards decrypts 200,000).

    GCM is counter mode plus a tag: the key stream of every token is made by ONE AES call over all their
    counter blocks (``nonce || 2``, ``nonce || 3``...), instead of an OpenSSL context per token. The tag is
    not checked for a clear text made of digits only (what every PUK and PIN stored is); anything else
    (a token of another key or altered: random bytes, all digits with odds below 1e-11) goes through
    :func:`decrypt`, whose tag check gives False, as before."""
    raws = [base64.b64decode(token[3:]) if token and token.startswith("g1:") else None for token in tokens]
    counters = bytearray()
    for raw in raws:
        if raw is not None:
            nonce = raw[:_NONCE]
            for block in range(-(-(len(raw) - _NONCE - _TAG) // 16)):
                counters += nonce + (block + 2).to_bytes(4, "big")
    if not counters:
        return [False] * len(tokens)
    stream = Cipher(algorithms.AES(_keys()[2]), modes.ECB()).encryptor().update(bytes(counters))
    clears, offset = [], 0
    for token, raw in zip(tokens, raws, strict=True):
        if raw is None:
            clears.append(False)
            continue
        size = len(raw) - _NONCE - _TAG
        clear = (
            int.from_bytes(raw[_NONCE:_NONCE + size], "big") ^ int.from_bytes(stream[offset:offset + size], "big")
        ).to_bytes(size, "big")
        offset += -(-size // 16) * 16
        clears.append(clear.decode() if clear.isdigit() else decrypt(token))
    return clears


def search_hash(value):
    """Keyed hash for exact-match search; equal inputs give equal hashes."""
    if not value:
        return False
    return _hash_with(_keys()[1], value)


def mask(value, keep_start=0, keep_end=0, char="*"):
    """``mask('110105194912310021', 6, 4)`` -> ``'110105********0021'``."""
    if not value:
        return value
    hidden = len(value) - keep_start - keep_end
    if hidden <= 0:
        return char * len(value)
    return value[:keep_start] + char * hidden + (value[-keep_end:] if keep_end else "")
