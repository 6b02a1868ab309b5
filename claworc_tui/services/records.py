"""Export and import of instance records (``claworc-tui export`` / ``import``).

Export only reads: the records (never the cluster), with the keys left out, or sealed under a
passphrase (:mod:`claworc_tui.crypto.passphrase`) with ``--with-keys`` — a key is never written
in plain text.

Import creates **records only**, no cluster object: the file is a backup of the database, and
what the cluster should hold follows from it. Afterwards ``repair`` (or ``d`` in the app) shows
and creates what the cluster lacks — every object of a record whose instance is gone, with
replicas as its status says — and finds nothing to do for an instance whose objects are still
there. Everything is checked before the first row is written, and the rows go in in one
transaction: a file that cannot be imported whole imports nothing.

Refused (each with its own message): a file that is not an export, is damaged, or has a newer
format version; a wrong passphrase; a name this database has; a port this database uses, one
outside its port range, or one a Service in the cluster holds for something else.

Integrity of a ``--with-keys`` file: each record's sealed keys are bound (AES-GCM associated
data, :func:`bound_place`) to the canonical JSON of the record without them, with the format and
version. Someone who edits such a file's image or exposure (to have the keys flow into their
image at the next repair) gets it refused; the check is done before anything is written. A
version 1 file bound the keys to the instance's name only: it is read, with a warning.

Version 3 authenticates the whole file too (:func:`file_place`): a record without keys gets the
importing database's global keys at the next repair, so an edit of its image is as dangerous
as one of a record with keys; so is a record added, dropped or moved. Version 2 files with keys
are still read, with a warning that their records without keys were not authenticated.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import SecretStr, ValidationError

from claworc_tui.crypto.passphrase import (
    PassphraseSeal,
)
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeError
from claworc_tui.models.activity import Outcome
from claworc_tui.models.errors import NameTaken, ValidationFailed, from_pydantic
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import Instance, InstanceStatus, Provider
from claworc_tui.models.names import object_names
from claworc_tui.models.records import (
    FORMAT,
    FORMAT_VERSION,
    KEYLESS_VERSION,
    InstanceRecord,
    RecordsFile,
)
from claworc_tui.models.remedy import Advice, Remedy
from claworc_tui.services.ops import WriteGuard
from claworc_tui.services.records_seal import (
    INTEGRITY_TEXT,
    bad_file,
    bound_place,
    file_place,
    open_keys,
)
from claworc_tui.services.store import Store

#: Seconds the import waits for the cluster's list of NodePorts before going on without it.
CLUSTER_CHECK_SECONDS = 5.0
_STOPPED = (InstanceStatus.STOPPED, InstanceStatus.STOPPING)


@dataclass
class ImportResult:
    """What an import did."""

    names: list[str]
    """The records created."""
    without_keys: list[str] = field(default_factory=list)
    """Instances that had key overrides which the file left out (they inherit the globals)."""
    warnings: list[str] = field(default_factory=list)


def _record(
    instance: Instance,
    keys: dict[Provider, SecretStr],
    seal: PassphraseSeal | None,
    version: int = FORMAT_VERSION,
) -> InstanceRecord:
    # Not validated again: the file says what the database holds (a legacy row the rules of
    # today would refuse is refused by the import, with its reason, not by the export).
    record = InstanceRecord.model_construct(
        name=instance.name,
        display_name=instance.display_name,
        nodeport_chrome=instance.nodeport_chrome,
        nodeport_terminal=instance.nodeport_terminal,
        status="stopped" if instance.status in _STOPPED else "running",
        exposure=instance.exposure,
        image=instance.image,
        resources=instance.resources,
        storage=instance.storage,
        clawdbot_config=instance.clawdbot_config,
        overrides=sorted(instance.overrides),
        sealed_keys=None,
    )
    if seal is None or not keys:
        return record
    plain = json.dumps({p.value: k.get_secret_value() for p, k in sorted(keys.items())})
    sealed = seal.seal(plain, bound_place(version, record))
    return record.model_copy(update={"sealed_keys": sealed})


def dump(file: RecordsFile) -> str:
    """The file as JSON text (ASCII: every other character escaped)."""
    # A keyless file is written as version 2 always was: without the "integrity" field.
    exclude = {"integrity"} if file.integrity is None else set()
    return json.dumps(file.model_dump(mode="json", exclude=exclude), indent=2)


def parse(data: bytes) -> RecordsFile:
    """Read an export file.

    Raises:
        ValidationFailed: Not JSON, not an export, a newer version, or damaged (said which).
    """
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise bad_file(f"the file is not a claworc-tui export (not JSON: {exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise bad_file(f'the file is not a claworc-tui export (no "format": "{FORMAT}")')
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise bad_file(f"the file is damaged: its version {version!r} is not a version")
    if version > FORMAT_VERSION:
        raise bad_file(
            f"the file is format version {version}, newer than this claworc-tui reads "
            f"({FORMAT_VERSION}): import it with a newer claworc-tui"
        )
    document = json.loads(json.dumps(doc))  # as read, before anything below adjusts it
    notes = _old_private_ports(doc) if version == 1 else []
    try:
        file = RecordsFile.model_validate(doc)
    except ValidationError as exc:
        raise bad_file(f"the file is damaged: {from_pydantic(exc).message}") from None
    file.read_from(document)
    file.warnings.extend(notes)
    if version == 2 and file.seal is not None:
        file.warnings.append(
            "the file is format version 2: its records with keys are authenticated, the ones "
            "without keys (and the order and number of records) are not; import it only if "
            "you trust that nobody changed it (an export of today authenticates all of it)"
        )
    if version == 1 and file.seal is not None:
        file.warnings.append(
            "the file is format version 1: its sealed keys are bound to the instance's name "
            "only, not to the rest of its record (image, exposure …); import it only if you "
            "trust that nobody changed it"
        )
    return file


def _old_private_ports(doc: dict[str, object]) -> list[str]:
    """Version 1 files written before private instances gave up their ports carry a pair on
    private records: drop it (a private instance holds none) and say so."""
    notes = []
    instances = doc.get("instances")
    for record in instances if isinstance(instances, list) else []:
        if not isinstance(record, dict) or record.get("exposure") != Exposure.PRIVATE.value:
            continue
        pair = [record.pop(k, None) for k in ("nodeport_chrome", "nodeport_terminal")]
        if any(port is not None for port in pair):
            ports = ",".join(str(port) for port in pair)
            notes.append(
                f"{record.get('name')} is private: its ports {ports} from the file were dropped "
                "(a private instance holds no NodePorts)"
            )
    return notes


@dataclass(eq=False)
class RecordsService:
    """Export and import of the records (see the module docstring)."""

    store: Store
    kube: KubeClient | None
    """Whose NodePorts an import checks; None on Docker (no cluster to check: the published
    ports are checked when a container is made)."""
    guard: WriteGuard

    async def export_records(
        self, names: Sequence[str], seal: PassphraseSeal | None
    ) -> RecordsFile:
        """The records of ``names`` (all when empty), keys sealed with ``seal`` or left out.

        Raises:
            InstanceNotFound: A name without a record (nothing is exported).
        """
        repo = self.store.instances
        instances = (
            [await repo.get(n) for n in dict.fromkeys(names)] if names else await repo.list()
        )
        version = FORMAT_VERSION if seal is not None else KEYLESS_VERSION
        records = []
        for instance in instances:
            keys = await repo.overrides(instance.name) if seal is not None else {}
            records.append(_record(instance, keys, seal, version))
        file = RecordsFile(
            version=version,
            exported_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            keys="sealed" if seal is not None else "left out",
            seal=seal.params() if seal is not None else None,
            instances=records,
        )
        if seal is None:
            return file
        integrity = seal.seal(INTEGRITY_TEXT, file_place(file.document))
        return file.model_copy(update={"integrity": integrity})

    async def _conflicts(self, file: RecordsFile) -> tuple[list[str], list[str], list[Advice]]:
        """Every reason the records cannot go in, warnings, and what the user can do."""
        problems: list[str] = []
        advice: list[Advice] = []
        names = Counter(r.name for r in file.instances)
        problems += [f"{n} is in the file {c} times" for n, c in names.items() if c > 1]
        ports = Counter(p for r in file.instances for p in r.ports)
        problems += [f"port {p} is in the file {c} times" for p, c in ports.items() if c > 1]
        existing = {i.name: i for i in await self.store.instances.list()}
        held = {port: i.name for i in existing.values() for port in i.node_ports or ()}
        settings = await self.store.settings.get()
        start, end = settings.port_range_start, settings.port_range_end
        for record in file.instances:
            pair = record.ports
            if record.name in existing:
                problems.append(str(NameTaken(record.name)))
            problems += [
                f"port {p} of {record.name} is used by {held[p]}" for p in pair if p in held
            ]
            if pair and not start <= pair[0] < pair[1] <= end:
                problems.append(
                    f"ports {pair[0]},{pair[1]} of {record.name} are outside this database's range "
                    f"{start}-{end}"
                )
                advice[:] = [Advice(Remedy.WIDEN_PORTS)]
        warnings: list[str] = []
        if self.kube is None:  # Docker: no cluster
            return problems, warnings, advice
        try:
            async with asyncio.timeout(CLUSTER_CHECK_SECONDS):
                owners = (await self.kube.cluster.service_node_ports()).owners
            namespace = self.kube.namespace
        except (KubeError, OSError, TimeoutError) as exc:
            warnings.append(f"could not check the cluster's NodePorts ({exc or 'no answer'})")
            return problems, warnings, advice
        for record in file.instances:
            own = object_names(record.name)["service"]
            for port in record.ports:
                owner = owners.get(port)
                if port in held:
                    continue  # already said: a record of this database has it
                if owner and (owner.namespace, owner.service) != (namespace, own):
                    problems.append(
                        f"port {port} of {record.name} is held in the cluster by Service "
                        f"{owner.namespace}/{owner.service}"
                    )
        return problems, warnings, advice

    async def import_records(
        self,
        file: RecordsFile,
        passphrase: SecretStr | None,
        *,
        opened: dict[str, dict[Provider, SecretStr]] | None = None,
    ) -> ImportResult:
        """Create the file's records (no cluster object), all or none.

        Raises:
            ValidationFailed: A wrong passphrase, a damaged file, or conflicts (all listed).
        """
        self.guard.require_writable("import records")
        # scrypt takes a good part of a second and 128 MiB: never on the event loop.
        # ``opened``: what :func:`open_keys` gave already (the CLI checks the file before it
        # opens the database).
        keys = (
            opened if opened is not None else await asyncio.to_thread(open_keys, file, passphrase)
        )
        problems, warnings, advice = await self._conflicts(file)
        warnings = [*file.warnings, *warnings]
        if problems:
            shown = "; ".join(problems[:10]) + (
                f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
            )
            raise ValidationFailed(
                "file", f"cannot import: {shown}. Nothing was imported"
            ).advising(*advice)
        await self.store.instances.insert_records(
            [(r, keys.get(r.name, {})) for r in file.instances]
        )
        without = [r.name for r in file.instances if r.overrides and r.name not in keys]
        names = [r.name for r in file.instances]
        await self.guard.log_activity(
            "import",
            Outcome.OK,
            None,
            f"{len(names)} records ({file.keys} keys): {', '.join(names[:20])}",
        )
        return ImportResult(names=names, without_keys=without, warnings=warnings)
