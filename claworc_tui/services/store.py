"""Opening the records: the database, the Fernet key, and the repositories on top.

Where the Fernet key comes from, in order:

1. ``CLAWORC_FERNET_KEY`` (a Kubernetes Secret injected as env, or a password manager);
2. the key file beside the config (``~/.config/claworc-tui/fernet.key``, 0600);
3. for a database the original Claworc wrote, the ``fernet_key`` row in its own ``settings``
   table — used, with a warning that the key lives beside the data;
4. otherwise a new key file is created — but only when the database holds no sealed value yet,
   because a new key could never open existing ones.

The chosen key is checked against a sealed check value (stored on first use) or, for an older
database, against the first sealed key; a key that does not open them is refused with
``WrongEncryptionKey`` and nothing is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import SecretStr

from claworc_tui.config import Settings
from claworc_tui.crypto.keyfile import (
    KeyFileError,
    check_key_file,
    create_key_file,
    read_key_file,
)
from claworc_tui.crypto.sealing import Sealer, new_key
from claworc_tui.db.activity import ActivityRepository
from claworc_tui.db.database import Database
from claworc_tui.db.instances import InstanceRepository, sealed_instance_keys
from claworc_tui.db.settings import SettingsRepository
from claworc_tui.k8s import manifests
from claworc_tui.models.errors import DatabaseError, WrongEncryptionKey
from claworc_tui.models.instance import Provider

log = logging.getLogger(__name__)


class KeySource(StrEnum):
    """Where the Fernet key in use came from."""

    ENV = "CLAWORC_FERNET_KEY"
    FILE = "key file"
    DATABASE = "database (legacy)"
    NEW_FILE = "new key file"


@dataclass
class Store:
    """The open database with its repositories."""

    db: Database
    instances: InstanceRepository
    settings: SettingsRepository
    activity: ActivityRepository
    key_source: KeySource
    warnings: list[str] = field(default_factory=list)
    owner_id: str | None = None
    """This database's id, labelled on the objects it creates (None: a read-only open of a
    database that has none yet)."""

    async def effective_keys(self, name: str) -> dict[Provider, SecretStr]:
        """The keys ``name`` runs with: its override else the global key, per provider
        (providers with neither are left out)."""
        overrides = await self.instances.overrides(name)
        return manifests.effective_keys(overrides, await self.settings.keys())

    async def aclose(self) -> None:
        """Close the database."""
        await self.db.aclose()


async def _opens_everything(
    settings_repo: SettingsRepository, sealer: Sealer, sealed: list[str]
) -> bool:
    check = await settings_repo.key_check()
    if check is not None:
        return sealer.opens(check)
    return all(sealer.opens(token) for token in sealed[:3])


def _sealer(key: bytes, source: str) -> Sealer:
    try:
        return Sealer(key)
    except ValueError as exc:
        raise DatabaseError(f"the Fernet key from {source} is not valid: {exc}") from None


async def open_store(config: Settings, *, read_only: bool = False) -> Store:
    """Open the database, choose and check the Fernet key, and build the repositories.

    ``read_only`` writes nothing anywhere: the file is opened ``mode=ro`` (a missing one reads
    as empty), no key file is created and no key-check row stored.

    Raises:
        DatabaseError: If the file cannot be used (named in the message).
        WrongEncryptionKey: If the key does not open what the database holds.
    """
    db = Database(config.db, read_only=read_only)
    await db.start()
    try:
        return await _build(db, config, read_only=read_only)
    except BaseException:
        await db.aclose()
        raise


async def _build(db: Database, config: Settings, *, read_only: bool) -> Store:
    settings_repo = SettingsRepository(db)
    sealed = await settings_repo.sealed_values()
    # Instance keys too: a spec-era database may have overrides but no global keys.
    sealed += await sealed_instance_keys(db)
    warnings: list[str] = []
    legacy = await settings_repo.legacy_key()

    candidates: list[tuple[KeySource, Sealer]] = []
    if config.fernet_key is not None:
        candidates.append(
            (
                KeySource.ENV,
                _sealer(config.fernet_key.get_secret_value().encode(), "CLAWORC_FERNET_KEY"),
            )
        )
    else:
        try:
            fixed = check_key_file(config.key_file)
            file_key = read_key_file(config.key_file)
        except KeyFileError as exc:
            raise DatabaseError(str(exc)) from None
        if fixed:
            warnings.append(fixed)
            log.warning("%s", fixed)
        if file_key is not None:
            candidates.append((KeySource.FILE, _sealer(file_key, str(config.key_file))))
        if legacy is not None:
            candidates.append((KeySource.DATABASE, _sealer(legacy, "the database")))

    chosen: tuple[KeySource, Sealer] | None = None
    for source, sealer in candidates:
        if await _opens_everything(settings_repo, sealer, sealed):
            chosen = (source, sealer)
            break
    if chosen is None:
        if candidates:
            raise WrongEncryptionKey()
        if sealed or await settings_repo.key_check() is not None:
            # A new key could never open what was sealed before: stop, and say what to do.
            raise DatabaseError(
                f"no encryption key for {config.db}: it holds values sealed with a key, but "
                f"the key file {config.key_file} does not exist and CLAWORC_FERNET_KEY is not "
                "set. Restore the key file (or set CLAWORC_FERNET_KEY) from where you keep "
                "it; no new key was made, nothing was changed"
            )
        if read_only:
            # Nothing sealed to open, and nothing will be sealed: a key that lives only here.
            chosen = (KeySource.NEW_FILE, Sealer(new_key()))
        else:
            chosen = (KeySource.NEW_FILE, Sealer(create_key_file(config.key_file)))
            log.info("created a new Fernet key file at %s", config.key_file)
    source, sealer = chosen
    if source is KeySource.DATABASE:
        warnings.append(
            "The encryption key is stored in the database beside the keys it protects. "
            "Move it to CLAWORC_FERNET_KEY or the key file to keep a copied database safe."
        )
    settings_repo.use_sealer(sealer)
    if read_only:
        owner = await settings_repo.owner_id()
    else:
        await settings_repo.store_key_check()
        owner = await settings_repo.ensure_owner_id()
    return Store(
        db=db,
        instances=InstanceRepository(db, sealer),
        settings=settings_repo,
        activity=ActivityRepository(db),
        key_source=source,
        warnings=warnings,
        owner_id=owner,
    )
