"""Sealing an export's API keys with a passphrase: scrypt for the key, AES-256-GCM for the data.

An export is meant to travel (to another host, into a backup), away from the Fernet key that
seals the database, so its keys are sealed again under a key derived from a passphrase:

* scrypt (RFC 7914), n=2^17, r=8, p=1 (128 MiB and about half a second), with a random
  16-byte salt per file; the parameters are written into the file so they can be raised later.
  A file is a stranger's input: one asking for more than :data:`MAX_MEMORY` bytes
  (128·n·r) or a p above :data:`MAX_P` is refused (a memory bomb, not ours);
* AES-256-GCM with a random 12-byte nonce per sealed value; the associated data binds each value
  to its place. The caller says what the place is (the export binds a record's keys to the
  whole record, see :mod:`claworc_tui.services.records`), and places are domain-separated
  (``claworc/check``, ``instance:NAME``) so a value cannot stand in for another;
* a check value sealed under the same key tells a wrong passphrase (the check does not open)
  from a damaged file (the check opens, a value does not).
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pydantic import SecretStr

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
MAX_N, MAX_R, MAX_P = 2**20, 16, 4
#: Most memory (bytes) a file may make one derivation use: 128·n·r (scrypt's V array).
MAX_MEMORY = 256 * 1024 * 1024
_CHECK = b"claworc-tui passphrase check v1"
#: Where the check value is bound (format 2 on); format 1 files used ``"check"``.
CHECK_PLACE = "claworc/check"
CHECK_PLACE_V1 = "check"
_NONCE = 12


class WrongPassphrase(ValueError):
    """The passphrase does not open the file's check value."""


class DamagedSeal(ValueError):
    """A sealed value does not open although the passphrase is right: the file was changed."""


class SealTooCostly(ValueError):
    """The file's scrypt parameters ask for more memory or work than we spend on a file."""


def scrypt_memory(n: int, r: int) -> int:
    """Bytes one scrypt derivation with ``n`` and ``r`` needs (its V array: 128·n·r)."""
    return 128 * n * r


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeError, ValueError):
        raise DamagedSeal("a sealed value is not base64") from None


class PassphraseSeal:
    """A key derived from a passphrase; seals and opens text. The key is never shown."""

    def __init__(
        self,
        passphrase: SecretStr,
        salt: bytes,
        *,
        n: int = SCRYPT_N,
        r: int = SCRYPT_R,
        p: int = SCRYPT_P,
    ) -> None:
        if not (2 <= n <= MAX_N and n & (n - 1) == 0 and 1 <= r <= MAX_R and p >= 1):
            raise DamagedSeal(f"scrypt parameters n={n} r={r} p={p} are out of range")
        if scrypt_memory(n, r) > MAX_MEMORY:
            raise SealTooCostly(
                f"the file asks for {scrypt_memory(n, r) // 2**20} MiB of memory to open "
                f"(scrypt n={n} r={r}; at most {MAX_MEMORY // 2**20} MiB); refused"
            )
        if p > MAX_P:
            raise SealTooCostly(
                f"the file asks for {p} scrypt passes to open (at most {MAX_P}); refused"
            )
        if len(salt) < 16:
            raise DamagedSeal("the scrypt salt is shorter than 16 bytes")
        self.salt, self.n, self.r, self.p = salt, n, r, p
        kdf = Scrypt(salt=salt, length=32, n=n, r=r, p=p)
        self._aead = AESGCM(kdf.derive(passphrase.get_secret_value().encode("utf-8")))

    def __repr__(self) -> str:
        return "PassphraseSeal(<key hidden>)"

    @classmethod
    def new(cls, passphrase: SecretStr) -> PassphraseSeal:
        """A seal with a fresh random salt and the default parameters."""
        return cls(passphrase, os.urandom(16))

    def params(self, check_place: str = CHECK_PLACE) -> dict[str, object]:
        """What the file records to derive the key again (no secret)."""
        return {
            "kdf": "scrypt",
            "n": self.n,
            "r": self.r,
            "p": self.p,
            "salt": _b64(self.salt),
            "cipher": "AES-256-GCM",
            "check": self.seal(_CHECK.decode(), check_place),
        }

    def seal(self, text: str, place: str) -> str:
        """``text`` sealed and bound to ``place`` (base64 of nonce + ciphertext + tag)."""
        nonce = os.urandom(_NONCE)
        return _b64(nonce + self._aead.encrypt(nonce, text.encode("utf-8"), place.encode()))

    def open(self, token: str, place: str) -> str:
        """The text sealed by :meth:`seal` for ``place``.

        Raises:
            DamagedSeal: It does not open (changed, or moved from another place).
        """
        data = _unb64(token)
        if len(data) <= _NONCE:
            raise DamagedSeal("a sealed value is too short")
        try:
            return self._aead.decrypt(data[:_NONCE], data[_NONCE:], place.encode()).decode()
        except (InvalidTag, UnicodeError):
            raise DamagedSeal(f"the sealed value of {place} does not open") from None

    def verify(self, check: str, place: str = CHECK_PLACE) -> None:
        """Raise :class:`WrongPassphrase` unless ``check`` (from :meth:`params`) opens."""
        try:
            if self.open(check, place) != _CHECK.decode():
                raise WrongPassphrase("the passphrase check does not match")
        except DamagedSeal:
            raise WrongPassphrase("the passphrase does not open this file") from None


def seal_from_params(
    passphrase: SecretStr, params: dict[str, object], *, check_place: str = CHECK_PLACE
) -> PassphraseSeal:
    """The seal a file describes, checked against its check value (bound to ``check_place``).

    This runs scrypt: call it off the event loop (``asyncio.to_thread``).

    Raises:
        DamagedSeal: The parameters are missing or out of range.
        SealTooCostly: They ask for more memory or passes than a file may.
        WrongPassphrase: The passphrase is not the one the file was sealed with.
    """
    try:
        if params.get("kdf") != "scrypt" or params.get("cipher") != "AES-256-GCM":
            raise DamagedSeal(f"unknown seal {params.get('kdf')}/{params.get('cipher')}")
        n, r, p = (params[k] for k in ("n", "r", "p"))
        salt, check = params["salt"], params["check"]
    except KeyError as exc:
        raise DamagedSeal(f"the seal has no {exc.args[0]!r}") from None
    numbers = [v for v in (n, r, p) if isinstance(v, int) and not isinstance(v, bool)]
    if len(numbers) != 3:
        raise DamagedSeal("the scrypt parameters are not whole numbers")
    if not isinstance(salt, str) or not isinstance(check, str):
        raise DamagedSeal("the salt or the check is not text")
    seal = PassphraseSeal(passphrase, _unb64(salt), n=numbers[0], r=numbers[1], p=numbers[2])
    seal.verify(check, check_place)
    return seal
