"""Encrypted backup archives (no ORM; used by ``haoka.backup.run`` and by ``scripts/restore.py``).

An archive is a tar of Odoo's own backup (``database.zip``: ``dump.sql``, ``filestore/``, ``manifest.json``,
what the database manager restores), the addon's key files (``keys/``) and ``haoka_backup.json``; the tar is
encrypted with a passphrase kept outside the database: AES-256-GCM in chunks of 1 MiB (each chunk authenticated
with its index and whether it is the last, so a reordered or truncated archive is refused), the key derived
from the passphrase with scrypt.

File layout: ``MAGIC`` | salt (16) | nonce prefix (8) | chunks of [length (4, big-endian) | ciphertext].
"""

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"HAOKABK1"
CHUNK = 1 << 20
SUFFIX = ".hkbk"


class BackupError(Exception):
    """The archive cannot be read (wrong passphrase, damaged or truncated file) or written."""


def passphrase_from(env_value=None, file_path=None):
    """The backup passphrase (bytes): ``env_value`` if given, else the first line of ``file_path``."""
    if env_value:
        return env_value.encode()
    if file_path and os.path.exists(file_path):
        with open(file_path) as handle:
            value = handle.read().strip()
        if value:
            return value.encode()
    raise BackupError("no backup passphrase: set HAOKA_BACKUP_PASSPHRASE or write it in the passphrase file %s"
                      % (file_path or "(none configured)"))


def _aead(passphrase, salt):
    return AESGCM(Scrypt(salt=salt, length=32, n=2 ** 15, r=8, p=1).derive(passphrase))


def _aad(index, last):
    return struct.pack(">Q?", index, last)


def encrypt_file(source, target, passphrase):
    """Encrypt the file ``source`` into ``target``."""
    salt, prefix = os.urandom(16), os.urandom(8)
    aead = _aead(passphrase, salt)
    with open(source, "rb") as src, open(target, "wb") as dst:
        dst.write(MAGIC + salt + prefix)
        index, chunk = 0, src.read(CHUNK)
        while True:
            following = src.read(CHUNK)
            last = not following
            sealed = aead.encrypt(prefix + struct.pack(">I", index), chunk, _aad(index, last))
            dst.write(struct.pack(">I", len(sealed)) + sealed)
            if last:
                return
            index, chunk = index + 1, following


def decrypt_file(source, target, passphrase):
    """Decrypt the archive ``source`` into ``target``; :class:`BackupError` when it is not intact or the
    passphrase is wrong."""
    with open(source, "rb") as src, open(target, "wb") as dst:
        head = src.read(len(MAGIC) + 24)
        if len(head) < len(MAGIC) + 24 or not head.startswith(MAGIC):
            raise BackupError("%s is not a haoka backup archive" % source)
        salt, prefix = head[len(MAGIC):len(MAGIC) + 16], head[len(MAGIC) + 16:]
        aead = _aead(passphrase, salt)
        index = 0
        while True:
            size = src.read(4)
            if len(size) < 4:
                raise BackupError("the archive is truncated")
            sealed = src.read(struct.unpack(">I", size)[0])
            nonce = prefix + struct.pack(">I", index)
            for last in (False, True):
                try:
                    dst.write(aead.decrypt(nonce, sealed, _aad(index, last)))
                    break
                except InvalidTag:
                    continue
            else:
                raise BackupError("wrong passphrase, or the archive is damaged (chunk %s)" % index)
            if last:
                if src.read(1):
                    raise BackupError("data after the end of the archive")
                return
            index += 1


def prune(directory, prefix, keep):
    """Delete the oldest archives ``prefix*SUFFIX`` of ``directory`` beyond the ``keep`` newest; returns the
    deleted file names."""
    names = sorted(n for n in os.listdir(directory) if n.startswith(prefix) and n.endswith(SUFFIX))
    doomed = names[:-keep] if keep > 0 else []
    for name in doomed:
        os.remove(os.path.join(directory, name))
    return doomed
