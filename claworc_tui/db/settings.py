"""SettingsRepository: the key-value ``settings`` table, provider keys sealed."""

from __future__ import annotations

import secrets

from pydantic import BaseModel, SecretStr, ValidationError

from claworc_tui.crypto.sealing import KEY_CHECK_PLAINTEXT, Sealer
from claworc_tui.db.database import Database
from claworc_tui.db.rows import NOW
from claworc_tui.models.errors import ValidationFailed, from_pydantic
from claworc_tui.models.instance import Provider, Resources, Storage
from claworc_tui.models.settings import PLAIN_KEYS, GlobalSettings

LEGACY_KEY = "fernet_key"
KEY_CHECK = "fernet_key_check"
OWNER_ID = "owner_id"
"""A random id of this database, labelled on the objects it creates (``claworc.dev/owner``)."""
_UPSERT = (
    f"INSERT INTO settings (key, value, updated_at) VALUES (?, ?, {NOW}) "
    f"ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = {NOW}"
)


def _part(model: type[BaseModel], values: dict[str, str], prefix: str) -> BaseModel:
    """Build the defaults model from ``prefix``-ed settings; errors name the setting key."""
    given = {n: values[f"{prefix}{n}"] for n in model.model_fields if values.get(f"{prefix}{n}")}
    try:
        return model(**given)
    except ValidationError as exc:
        error = from_pydantic(exc)
        key = f"{prefix}{error.field}"
        raise ValidationFailed(key, f"{key}: {error.message}") from None


def _is_port_text(value: object) -> bool:
    """ASCII digits only: ``"³⁰¹⁰⁰".isdigit()`` is True, but ``int()`` refuses it."""
    return isinstance(value, str) and value.isascii() and value.isdigit()


def build_settings(values: dict[str, str], *, legacy: bool = False) -> GlobalSettings:
    """Turn raw ``settings`` rows into :class:`GlobalSettings` (validating them).

    Raises:
        ValidationFailed: Naming the first setting that is not valid.
    """
    resources = _part(Resources, values, "default_")
    storage = _part(Storage, values, "default_storage_")
    try:
        return GlobalSettings(
            default_resources=resources,
            default_storage=storage,
            **{
                k: values[k]
                for k in ("image", "image_pull_secret", "node_host", "default_exposure")
                if values.get(k) is not None
            },
            **{
                k: int(values[k])
                for k in ("port_range_start", "port_range_end")
                if _is_port_text(values.get(k, ""))
            },
            global_keys=frozenset(p for p in Provider if values.get(p.value)),
            legacy_key_in_db=legacy,
        )
    except ValidationError as exc:
        raise from_pydantic(exc) from None


class SettingsRepository:
    """Reads and writes global settings and keys."""

    def __init__(self, db: Database, sealer: Sealer | None = None) -> None:
        self._db = db
        self._sealer = sealer

    def use_sealer(self, sealer: Sealer) -> None:
        """Set the sealer once the Fernet key is known."""
        self._sealer = sealer

    @property
    def sealer(self) -> Sealer:
        """The sealer in use."""
        if self._sealer is None:
            raise RuntimeError("the Fernet key has not been loaded")
        return self._sealer

    async def raw(self) -> dict[str, str]:
        """Every row as stored (sealed values stay sealed)."""
        rows = await self._db.fetchall("SELECT key, value FROM settings")
        return {row[0]: row[1] for row in rows}

    async def get(self) -> GlobalSettings:
        """The current settings."""
        values = await self.raw()
        return build_settings(values, legacy=LEGACY_KEY in values)

    async def validate(self, changes: dict[str, str | None]) -> GlobalSettings:
        """The settings ``changes`` would give, without writing anything.

        Raises:
            ValidationFailed: If a key is unknown or a value is not valid.
        """
        unknown = [k for k in changes if k not in PLAIN_KEYS]
        if unknown:
            raise ValidationFailed(unknown[0], f"unknown setting {unknown[0]!r}")
        for key in ("port_range_start", "port_range_end"):
            value = changes.get(key)
            if value not in (None, "") and not _is_port_text(value):
                raise ValidationFailed(key, f'{key} "{value}" is not a port number')
        values = await self.raw()
        merged = {k: v for k, v in values.items() if k not in changes}
        merged.update({k: v for k, v in changes.items() if v not in (None, "")})
        return build_settings(merged, legacy=LEGACY_KEY in values)

    async def update(self, changes: dict[str, str | None]) -> GlobalSettings:
        """Validate and store plain settings together (None clears one back to its default).

        Raises:
            ValidationFailed: If a key is unknown or the result would not be valid; nothing is
                written then.
        """
        result = await self.validate(changes)
        async with self._db.transaction() as conn:
            for key, value in changes.items():
                if value in (None, ""):
                    await conn.execute("DELETE FROM settings WHERE key = ?", (key,))
                else:
                    await conn.execute(_UPSERT, (key, value))
        return result

    async def set_key(self, provider: Provider, key: SecretStr | None) -> None:
        """Set (sealed) or clear a global key."""
        async with self._db.transaction() as conn:
            if key is None:
                await conn.execute("DELETE FROM settings WHERE key = ?", (provider.value,))
            else:
                await conn.execute(_UPSERT, (provider.value, self.sealer.seal(key)))

    async def keys(self) -> dict[Provider, SecretStr]:
        """Global keys, unsealed.

        Raises:
            WrongEncryptionKey: If they were sealed with another key.
        """
        values = await self.raw()
        return {p: self.sealer.unseal(values[p.value]) for p in Provider if values.get(p.value)}

    async def legacy_key(self) -> bytes | None:
        """The Fernet key a spec-era database keeps in its own ``settings`` table, if any."""
        row = await self._db.fetchone("SELECT value FROM settings WHERE key = ?", (LEGACY_KEY,))
        return row[0].encode() if row and row[0] else None

    async def key_check(self) -> str | None:
        """The sealed check value, if one was stored."""
        row = await self._db.fetchone("SELECT value FROM settings WHERE key = ?", (KEY_CHECK,))
        return row[0] if row else None

    async def store_key_check(self) -> None:
        """Seal a known value so a different key is recognised on the next start.

        Once stored it is left as it is: sealing needs the cipher, which a start that only
        checks the key does not load (see :mod:`claworc_tui.crypto.sealing`).
        """
        if await self.key_check() is not None:
            return
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)",
                (KEY_CHECK, self.sealer.seal(KEY_CHECK_PLAINTEXT)),
            )

    async def owner_id(self) -> str | None:
        """This database's owner id, if it has one yet."""
        row = await self._db.fetchone("SELECT value FROM settings WHERE key = ?", (OWNER_ID,))
        return str(row[0]) if row and row[0] else None

    async def ensure_owner_id(self) -> str:
        """This database's owner id, created (random, 16 hex digits) on first use."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)",
                (OWNER_ID, secrets.token_hex(8)),
            )
        owner = await self.owner_id()
        assert owner is not None
        return owner

    async def sealed_values(self) -> list[str]:
        """Every sealed value in the table."""
        values = await self.raw()
        return [values[p.value] for p in Provider if values.get(p.value)]
