"""Sealing API keys with Fernet (AES-128-CBC + HMAC-SHA256), text in and out."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from claworc_tui.models.errors import WrongEncryptionKey

#: A fixed plaintext sealed into the settings table, so a wrong key is noticed at start-up
#: even before any API key has been stored.
KEY_CHECK_PLAINTEXT = "claworc-key-check-v1"


class Sealer:
    """Encrypts and decrypts secrets with one Fernet key. The key is never shown."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise ValueError(
                "the Fernet key is not valid (it must be 32 url-safe base64-encoded bytes)"
            ) from None

    def __repr__(self) -> str:
        return "Sealer(<key hidden>)"

    def seal(self, secret: str | SecretStr) -> str:
        """Encrypt ``secret`` into a Fernet token (ASCII text)."""
        if isinstance(secret, SecretStr):
            secret = secret.get_secret_value()
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def unseal(self, token: str) -> SecretStr:
        """Decrypt a token made by :meth:`seal`.

        Raises:
            WrongEncryptionKey: If the token was sealed with another key (or is damaged).
        """
        try:
            return SecretStr(self._fernet.decrypt(token.encode("ascii")).decode())
        except (InvalidToken, UnicodeError, ValueError):
            raise WrongEncryptionKey() from None

    def opens(self, token: str) -> bool:
        """True when ``token`` was sealed with this key."""
        try:
            self._fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeError, ValueError):
            return False
        return True


def new_key() -> bytes:
    """A fresh random Fernet key."""
    return Fernet.generate_key()
