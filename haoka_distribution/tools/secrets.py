"""Encryption of card secrets (PUK, PIN) and identity numbers, with the key outside the database.

The key comes, in this order, from the Odoo configuration option ``haoka_secret_key``, the
environment variable ``HAOKA_SECRET_KEY``, or a key file ``haoka_secret.key`` in the key directory
(created on first use, readable by the Odoo user only). The key directory is the configuration option
``haoka_key_dir``, else the environment variable ``HAOKA_KEY_DIR``, else Odoo's data directory. Two keys
are derived from the secret: one for encryption and one for a keyed hash (HMAC-SHA256) that lets
managers find a record by the exact secret without decrypting every row.

Ciphertexts are AES-256-GCM (authenticated; a random 96-bit nonce per value), stored as
``g1:`` + base64(nonce + ciphertext).

**Key ring (rotation).** While a key rotation runs, a *next* key exists besides the current one: the
option ``haoka_secret_key_next`` / ``HAOKA_SECRET_KEY_NEXT``, or the file ``haoka_secret.key.next``
(created by :func:`begin_rotation`). New values are then encrypted and hashed with the next key; values
are decrypted with the next key, else the current one (GCM's tag tells which key made a value), and
searches match the hashes of both. :func:`finish_rotation` makes the next key the current one and
retires the old key file (``haoka_secret.key.retired-<key id>``): the old key is no longer read.
The key files are read again whenever they change, so every worker process sees a rotation.
"""

import base64
import hashlib
import hmac
import os
import secrets as _secrets
import threading
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE = "haoka_secret.key"
NEXT_KEY_FILE = "haoka_secret.key.next"
RETIRED_KEY_FILE = "haoka_secret.key.retired-%s"

_lock = threading.Lock()
_cache = {}
_file_cache = {}


class KeyRingError(Exception):
    """The key material is not usable (a rotation cannot start or finish)."""


@dataclass(frozen=True)
class Key:
    """One key of the ring: its id (not secret), the AEAD and the HMAC key derived from a master secret."""

    key_id: str
    aead: AESGCM
    mac: bytes


def key_dir():
    """The directory of the key files."""
    from odoo.tools import config

    return config.get("haoka_key_dir") or os.environ.get("HAOKA_KEY_DIR") or config["data_dir"]


def _key_file_path(name=KEY_FILE):
    return os.path.join(key_dir(), name)


def _read_key_file(path):
    """The secret in the file ``path`` (bytes), None when there is none; re-read when the file changes."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    cached = _file_cache.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    with open(path) as handle:
        secret = handle.read().strip().encode()
    _file_cache[path] = (stamp, secret)
    return secret


def _write_new_key_file(path):
    """Create ``path`` with a new random secret, readable by the Odoo user only (never overwrites)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(_secrets.token_urlsafe(48))


def _configured(option, variable):
    from odoo.tools import config

    value = config.get(option) or os.environ.get(variable)
    return value.encode() if value else None


def master_secret():
    """The raw current master secret (bytes)."""
    configured = _configured("haoka_secret_key", "HAOKA_SECRET_KEY")
    if configured:
        return configured
    path = _key_file_path()
    secret = _read_key_file(path)
    if secret is None:
        with _lock:
            if not os.path.exists(path):
                _write_new_key_file(path)
        secret = _read_key_file(path)
    return secret


def next_secret():
    """The raw next master secret while a rotation runs, else None."""
    return _configured("haoka_secret_key_next", "HAOKA_SECRET_KEY_NEXT") or _read_key_file(
        _key_file_path(NEXT_KEY_FILE))


def key_id(secret):
    """A short public id of a master secret (shown on the rotation record, never the secret)."""
    return hashlib.sha256(b"haoka-key-id:" + secret).hexdigest()[:12]


def _key(secret):
    key = _cache.get(secret)
    if key is None:
        enc = hashlib.sha256(b"haoka-encryption:" + secret).digest()
        mac = hashlib.sha256(b"haoka-search-hash:" + secret).digest()
        key = _cache[secret] = Key(key_id(secret), AESGCM(enc), mac)
    return key


def ring():
    """The keys that read values, the writing key first: ``[next, current]`` during a rotation."""
    current = _key(master_secret())
    upcoming = next_secret()
    if upcoming and upcoming != master_secret():
        return [_key(upcoming), current]
    return [current]


def writing_key():
    return ring()[0]


def _keys():
    key = writing_key()
    return key.aead, key.mac


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
    aead, mac_key = _keys()
    return (
        lambda value: _encrypt_with(aead, value) if value else False,
        lambda value: _hash_with(mac_key, value) if value else False,
    )


def decrypt_with(key, token):
    """Clear text of ``token`` made with ``key`` (a :class:`Key`); False when empty or made with another key."""
    if not token or not token.startswith("g1:"):
        return False
    raw = base64.b64decode(token[3:])
    try:
        return key.aead.decrypt(raw[:12], raw[12:], None).decode()
    except InvalidTag:
        return False


def decrypt(token):
    """Clear text of ``token``; False when empty or when no key of the ring made it."""
    for key in ring():
        clear = decrypt_with(key, token)
        if clear is not False:
            return clear
    return False


def decrypt_many(tokens):
    """``[decrypt(token) for token in tokens]``, the key ring read once (not twice a token: the key files'
    stat): a card export decrypts two tokens per card. Every token is authenticated by GCM's tag, as in
    :func:`decrypt` (a counter-mode shortcut without the tag was tried and dropped: during a rotation a
    4-digit PIN made by the other key would pass for digits once in ~400,000)."""
    keys = ring()
    clears = []
    for token in tokens:
        clear = False
        if token and token.startswith("g1:"):
            raw = base64.b64decode(token[3:])
            nonce, body = raw[:12], raw[12:]
            for key in keys:
                try:
                    clear = key.aead.decrypt(nonce, body, None).decode()
                    break
                except InvalidTag:
                    continue
        clears.append(clear)
    return clears


def search_hash(value):
    """Keyed hash for exact-match search; equal inputs give equal hashes."""
    if not value:
        return False
    return _hash_with(_keys()[1], value)


def search_hash_with(key, value):
    return _hash_with(key.mac, value) if value else False


def search_hashes(value):
    """The hashes of ``value`` under every key of the ring (during a rotation a row may still carry the
    old key's hash): search with ``in``."""
    if not value:
        return []
    return [_hash_with(key.mac, value) for key in ring()]


# ---------------------------------------------------------------------- rotation of the key files


def begin_rotation():
    """Make sure a next key exists (a configured one, the next key file, or a new one written now) and
    return its :class:`Key`. Resuming keeps the next key already there."""
    if _configured("haoka_secret_key", "HAOKA_SECRET_KEY") and not _configured(
            "haoka_secret_key_next", "HAOKA_SECRET_KEY_NEXT"):
        raise KeyRingError("the key is configured (haoka_secret_key / HAOKA_SECRET_KEY): configure the new key as "
                        "haoka_secret_key_next / HAOKA_SECRET_KEY_NEXT before rotating")
    master_secret()  # the current key file exists before the next one
    if next_secret() is None:
        with _lock:
            path = _key_file_path(NEXT_KEY_FILE)
            if not os.path.exists(path):
                _write_new_key_file(path)
    upcoming = next_secret()
    if upcoming == master_secret():
        raise KeyRingError("the next key is the current key")
    return _key(upcoming)


def finish_rotation():
    """The next key becomes the current one; the old key file is renamed ``…retired-<key id>`` and no
    longer read. Returns False when the keys are configured (the operator then moves the next key into
    ``haoka_secret_key`` and removes ``haoka_secret_key_next``), True when the key files were swapped."""
    if _configured("haoka_secret_key", "HAOKA_SECRET_KEY"):
        return False
    current, upcoming = _key_file_path(), _key_file_path(NEXT_KEY_FILE)
    if not os.path.exists(upcoming):
        return True  # already swapped (a crash after the swap): nothing left to do
    with _lock:
        retired = _key_file_path(RETIRED_KEY_FILE % key_id(master_secret()))
        os.replace(current, retired)
        os.replace(upcoming, current)
    return True


def mask(value, keep_start=0, keep_end=0, char="*"):
    """``mask('110105194912310021', 6, 4)`` -> ``'110105********0021'``."""
    if not value:
        return value
    hidden = len(value) - keep_start - keep_end
    if hidden <= 0:
        return char * len(value)
    return value[:keep_start] + char * hidden + (value[-keep_end:] if keep_end else "")
