"""Sealing a records file's keys: what each seal is bound to (a record, the whole file) and
opening them again on import (see :mod:`.records` for the format)."""

from __future__ import annotations

import json

from pydantic import SecretStr

from claworc_tui.crypto.passphrase import (
    CHECK_PLACE,
    CHECK_PLACE_V1,
    DamagedSeal,
    PassphraseSeal,
    SealTooCostly,
    WrongPassphrase,
    seal_from_params,
)
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.instance import Provider, check_api_key
from claworc_tui.models.records import FORMAT, InstanceRecord, RecordsFile


def bound_place(version: int, record: InstanceRecord) -> str:
    """The associated data a record's sealed keys are bound to.

    Version 2 on: the canonical JSON (sorted keys, no spaces) of the format, the version, the
    place ``instance:NAME`` and the record without ``sealed_keys`` — any change to the record
    (its image, exposure, config …) makes its keys not open. Version 1: the name alone.
    """
    if version == 1:
        return record.name
    body = record.model_dump(mode="json", exclude={"sealed_keys"})
    doc = {"format": FORMAT, "version": version, "place": f"instance:{record.name}", "record": body}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


#: What the ``integrity`` seal holds; what matters is the associated data it is bound to.
INTEGRITY_TEXT = "claworc-tui/records: the whole file"


def file_place(doc: dict[str, object]) -> str:
    """The associated data the ``integrity`` seal is bound to: the canonical JSON (sorted keys,
    no spaces, lists in their order) of the whole file but ``integrity``."""
    body = {k: v for k, v in doc.items() if k != "integrity"}
    place = {"place": "file", "document": body}
    return json.dumps(place, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def bad_file(reason: str) -> ValidationFailed:
    return ValidationFailed("file", f"{reason}; nothing was imported")


def open_keys(
    file: RecordsFile, passphrase: SecretStr | None
) -> dict[str, dict[Provider, SecretStr]]:
    """Authenticate the file and open its sealed keys, by record name (blocking: scrypt).

    Raises:
        ValidationFailed: No or a wrong passphrase, or a file damaged or changed since export.
    """
    if file.seal is None:
        return {}
    if passphrase is None:
        raise ValidationFailed(
            "passphrase", "the file's keys are sealed: a passphrase is needed; nothing was imported"
        )
    check = CHECK_PLACE_V1 if file.version == 1 else CHECK_PLACE
    try:
        seal = seal_from_params(passphrase, file.seal, check_place=check)
        opened: dict[str, dict[Provider, SecretStr]] = {}
        for record in file.instances:
            if record.sealed_keys is None:
                continue
            try:
                text = seal.open(record.sealed_keys, bound_place(file.version, record))
            except DamagedSeal:
                if file.version == 1:
                    raise
                raise DamagedSeal(
                    f"the record of {record.name} was changed after it was exported (its "
                    "image, exposure or another field no longer matches its sealed keys), or "
                    "its sealed keys were"
                ) from None
            values = json.loads(text)
            keys = {Provider(p): SecretStr(v) for p, v in values.items()}
            if set(keys) != set(record.overrides):
                raise DamagedSeal(f"the keys of {record.name} do not match its overrides")
            for provider, key in keys.items():
                check_api_key(provider, key)
            opened[record.name] = keys
        if file.version >= 3:
            _check_integrity(seal, file)
    except SealTooCostly as exc:
        raise bad_file(str(exc)) from None
    except WrongPassphrase:
        raise ValidationFailed(
            "passphrase",
            "wrong passphrase: it does not open this file's keys; nothing was imported",
        ) from None
    except (DamagedSeal, ValueError, AttributeError, TypeError) as exc:
        # json errors, a provider that does not exist, a key with spaces: never quote a value.
        reason = str(exc) if isinstance(exc, DamagedSeal) else type(exc).__name__
        raise bad_file(f"the file is damaged: {reason}") from None
    return opened


def _check_integrity(seal: PassphraseSeal, file: RecordsFile) -> None:
    """Refuse a version 3 file whose ``integrity`` does not authenticate all of it.

    Raises:
        DamagedSeal: Saying what (missing, or something in the file changed).
    """
    if file.integrity is None:
        raise DamagedSeal(
            'its "integrity" seal is missing (a --with-keys export of format version 3 '
            "always has one)"
        )
    try:
        seal.open(file.integrity, file_place(file.document))
    except DamagedSeal:
        raise DamagedSeal(
            "it was changed after it was exported (a record, with keys or without, the "
            "records' order or number, or the header no longer matches what was sealed)"
        ) from None
