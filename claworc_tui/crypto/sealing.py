"""Sealing API keys with Fernet (AES-128-CBC + HMAC-SHA256), text in and out.

``cryptography`` is imported on the first seal or unseal, not with this module: its Rust
extension costs ~8 MB of RSS and tens of milliseconds at import, and a start of the app only
checks that the key opens what the database holds. That check needs no cipher: a Fernet
token is authenticated by an HMAC-SHA256 (over version, time, IV and ciphertext) under the
first half of the key, and :meth:`Fernet.decrypt` refuses a token exactly when that HMAC does
not match (checked before anything is decrypted). So :meth:`Sealer.opens` verifies the HMAC
with the standard library, and the key's format is checked the way ``Fernet(key)`` does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from typing import TYPE_CHECKING

from pydantic import SecretStr

from claworc_tui.models.errors import WrongEncryptionKey

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

#: A fixed plaintext sealed into the settings table, so a wrong key is noticed at start-up
#: even before any API key has been stored.
KEY_CHECK_PLAINTEXT = "claworc-key-check-v1"

#: Fernet's version byte, and the sizes of a token's parts (the spec's "Token Format").
_VERSION = 0x80
_HEADER = 1 + 8 + 16  # version, timestamp, IV
_BLOCK = 16
_MAC = 32


def _decode_key(key: bytes) -> bytes:
    """The 32 raw bytes of a Fernet key, checked as ``Fernet(key)`` checks them."""
    try:
        raw = base64.urlsafe_b64decode(key)
    except (binascii.Error, ValueError, TypeError):
        raise ValueError("not base64") from None
    if len(raw) != 32:
        raise ValueError("not 32 bytes")
    return raw


class Sealer:
    """Encrypts and decrypts secrets with one Fernet key. The key is never shown."""

    def __init__(self, key: bytes) -> None:
        try:
            self._signing_key = _decode_key(key)[:16]
        except (ValueError, TypeError):
            raise ValueError(
                "the Fernet key is not valid (it must be 32 url-safe base64-encoded bytes)"
            ) from None
        self._key = key
        self._cipher: Fernet | None = None

    def __repr__(self) -> str:
        return "Sealer(<key hidden>)"

    def _fernet(self) -> Fernet:
        if self._cipher is None:
            from cryptography.fernet import Fernet

            self._cipher = Fernet(self._key)
        return self._cipher

    def seal(self, secret: str | SecretStr) -> str:
        """Encrypt ``secret`` into a Fernet token (ASCII text)."""
        if isinstance(secret, SecretStr):
            secret = secret.get_secret_value()
        return self._fernet().encrypt(secret.encode()).decode("ascii")

    def unseal(self, token: str) -> SecretStr:
        """Decrypt a token made by :meth:`seal`.

        Raises:
            WrongEncryptionKey: If the token was sealed with another key (or is damaged).
        """
        from cryptography.fernet import InvalidToken

        try:
            return SecretStr(self._fernet().decrypt(token.encode("ascii")).decode())
        except (InvalidToken, UnicodeError, ValueError):
            raise WrongEncryptionKey() from None

    def opens(self, token: str) -> bool:
        """True when ``token`` was sealed with this key (its HMAC verifies; nothing decrypted)."""
        try:
            data = base64.urlsafe_b64decode(token.encode("ascii"))
        except (binascii.Error, UnicodeError, ValueError):
            return False
        body = len(data) - _HEADER - _MAC
        if data[:1] != bytes((_VERSION,)) or body < _BLOCK or body % _BLOCK:
            return False
        mac = hmac.new(self._signing_key, data[:-_MAC], hashlib.sha256).digest()
        return hmac.compare_digest(mac, data[-_MAC:])


def new_key() -> bytes:
    """A fresh random Fernet key (as ``Fernet.generate_key``: 32 random bytes, base64)."""
    return base64.urlsafe_b64encode(os.urandom(32))
