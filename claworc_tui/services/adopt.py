"""Adopt: rebuild records from the labelled objects in the cluster.

For a lost database (the file is gone; the fleet still runs) and for another operator's instances.
The record is read back from where each field lives: ports and exposure from the Service,
``clawdbot.json`` from the ConfigMap, resources and replicas from the Deployment, sizes from the
PVCs, the display name, a private pair and which keys were overrides from our annotations.

Keys: a value in the Secret becomes a sealed per-instance override when the owning record said it
was one, when this database has no global key for that provider, or when it differs from this
database's global key; a value equal to the global key is inherited. Keys are shown masked only.

Conflicts are reported, never overwritten: a name this database already records, or a NodePort
pair one of its records holds. Adopting takes the objects over (their owner id becomes ours, each
patched on the resourceVersion read); the other database then sees them as owned elsewhere.
:func:`plan` only reads; :mod:`.adopt_apply` writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr, ValidationError

from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.objects import managed_object
from claworc_tui.models.cluster import FoundInstance
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.image import check_image
from claworc_tui.models.instance import (
    STORAGE_ROLES,
    Instance,
    InstanceSpec,
    InstanceStatus,
    Provider,
    Resources,
    Storage,
    validate_clawdbot_config,
)
from claworc_tui.models.names import is_valid_object_name
from claworc_tui.models.quantity import QuantityError, parse_quantity
from claworc_tui.models.secrets import mask_key
from claworc_tui.models.settings import GlobalSettings
from claworc_tui.services.adopt_fields import exposure_of
from claworc_tui.services.store import Store
from claworc_tui.services.views import AdoptAction, AdoptCandidate, AdoptPlan


class _Planned:
    """A candidate with what applying it needs (keys stay here, out of the view)."""

    def __init__(
        self,
        view: AdoptCandidate,
        found: FoundInstance | None = None,
        record: Instance | None = None,
        keys: dict[Provider, SecretStr] | None = None,
        choose_ports: bool = False,
        finish: bool = False,
    ) -> None:
        self.view, self.found, self.record = view, found, record
        self.keys = keys or {}
        self.choose_ports = choose_ports
        self.finish = finish
        """The record exists: an earlier adopt took only part of the objects over."""


def _refuse(name: str, reason: str, action: AdoptAction = AdoptAction.REFUSED) -> _Planned:
    return _Planned(AdoptCandidate(name=name, action=action, detail=reason))


#: ``op_step`` of a record whose adopt failed half-way (kept in ``error``; see adopt_apply).
ADOPT_STEP = "adopt"


def unfinished(record: Instance) -> bool:
    """The record of an adopt that failed half-way: re-running adopt (or repair) finishes it."""
    return record.status is InstanceStatus.ERROR and record.op_step == ADOPT_STEP


def _owner_text(found: FoundInstance) -> str:
    owners = sorted(o or "none (legacy)" for o in found.owners)
    return ", ".join(owners) if owners else "none"


def _candidate(
    name: str,
    found: FoundInstance,
    records: dict[str, Instance],
    settings: GlobalSettings,
    global_keys: dict[Provider, SecretStr],
    namespace: str,
) -> _Planned:
    if not found.objects:
        return _refuse(name, f"nothing called {name} in namespace {namespace}")
    if found.foreign:
        obj = found.foreign[0]
        return _refuse(
            name,
            f"not ours: {obj.kind} {obj.name} does not carry the labels "
            f"managed-by=claworc and app={name}",
        )
    if found.resources is None or found.replicas is None:
        return _refuse(
            name,
            f"no Deployment {name} (it holds the resources and replicas): only pieces are "
            "left; `repair --delete-orphans` removes them",
        )
    notes: list[str] = []
    exposure, mismatch = exposure_of(found)
    if mismatch:
        notes.append(mismatch)
    chrome, terminal = found.node_ports
    choose = False
    pair: tuple[int, int] | None = None  # a private instance holds no NodePort pair
    if exposure is Exposure.NODEPORT and chrome and terminal:
        pair = (chrome, terminal)
        holder = next((i.name for i in records.values() if set(i.node_ports or ()) & {*pair}), None)
        if holder is not None:
            return _refuse(
                name,
                f"its Service holds ports {chrome},{terminal}, which this database records "
                f"for {holder}",
                AdoptAction.CONFLICT,
            )
    elif exposure is Exposure.NODEPORT:
        choose = True
        notes.append("its Service has no NodePorts: a free pair is chosen, repair applies it")
    try:
        record = _record(name, found, settings, exposure, pair)
    except ValidationFailed as exc:
        return _refuse(name, f"cannot rebuild the record: {exc}")
    keys, shown = _overrides(found, global_keys)
    notes += [
        f"{role} PVC missing: repair re-creates it" for role, v in found.storage.items() if not v
    ]
    notes += [
        f"{m} missing: repair re-creates it"
        for m in found.missing
        if "PersistentVolumeClaim" not in m
    ]
    if found.image and found.image != settings.image:
        # The record keeps the instance's own image (as redeploy --image sets it), so repair
        # does not roll the pod back to the settings' image.
        notes.append(f"runs its own image {found.image} (the settings' image is {settings.image})")
    missing_keys = [p.label for p in global_keys if p not in found.keys]
    if missing_keys and found.objects:
        notes.append(f"its Secret has no {', '.join(missing_keys)} key: repair adds the global one")
    view = AdoptCandidate(
        name=name,
        action=AdoptAction.ADOPT,
        detail=_summary(record, choose),
        display_name=record.display_name,
        owner=_owner_text(found),
        status=record.status.value,
        exposure=record.exposure.value,
        ports=None if choose else record.node_ports,
        overrides=tuple(shown),
        notes=tuple(notes),
    )
    return _Planned(view, found, record, keys, choose)


def _record(
    name: str,
    found: FoundInstance,
    settings: GlobalSettings,
    exposure: Exposure,
    pair: tuple[int, int] | None,
) -> Instance:
    res = found.resources
    assert res is not None
    defaults = settings.default_resources.model_dump()
    sizes = {
        role: size or getattr(settings.default_storage, role)
        for role, size in found.storage.items()
        if role in STORAGE_ROLES
    }
    config = found.config if found.config not in (None, "", "{}") else None
    try:
        resources = Resources(**{k: _spelled(getattr(res, k), v) for k, v in defaults.items()})
        storage = Storage(**sizes)
        validate_clawdbot_config(config)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationFailed("record", str(first.get("msg", exc))) from None
    except ValueError as exc:
        raise ValidationFailed("clawdbot_config", str(exc)) from None
    now = datetime.now(UTC)
    return Instance(
        id=0,
        name=name,
        display_name=_display_name(found.display_name, name),
        nodeport_chrome=pair[0] if pair else None,
        nodeport_terminal=pair[1] if pair else None,
        status=InstanceStatus.STOPPED if found.replicas == 0 else InstanceStatus.RUNNING,
        resources=resources,
        storage=storage,
        clawdbot_config=config,
        overrides=frozenset(),
        exposure=exposure,
        image=_own_image(found.image, settings.image),
        created_at=now,
        updated_at=now,
    )


def _own_image(image: str | None, setting: str) -> str | None:
    """The Deployment's image when it is not the settings' one (None: the setting applies).

    Raises:
        ValidationFailed: It is not a valid image reference (the apiserver takes any string).
    """
    if not image or image == setting:
        return None
    try:
        return check_image(image)
    except ValueError as exc:
        raise ValidationFailed("image", str(exc)) from None


def _display_name(annotated: str | None, name: str) -> str:
    """The annotated display name if it is one create would accept, else the name itself."""
    try:
        return InstanceSpec(display_name=annotated or name).display_name
    except ValidationError:
        return name


def _spelled(value: str | None, default: str) -> str:
    """``value``, or the default's spelling when it is the same quantity (the apiserver writes
    ``2000m`` back as ``2``); the default when missing."""
    if not value:
        return default
    try:
        return default if parse_quantity(value) == parse_quantity(default) else value
    except QuantityError:
        return value


def _overrides(
    found: FoundInstance, global_keys: dict[Provider, SecretStr]
) -> tuple[dict[Provider, SecretStr], list[str]]:
    """The Secret's keys that become per-instance overrides, and their masked descriptions."""
    keys: dict[Provider, SecretStr] = {}
    shown: list[str] = []
    for provider, value in found.keys.items():
        mine = global_keys.get(provider)
        annotated = found.overrides is not None and provider in found.overrides
        if mine is None or annotated or mine.get_secret_value() != value.get_secret_value():
            keys[provider] = value
            why = (
                "no global key here"
                if mine is None
                else ("an override there" if annotated else "differs from the global key")
            )
            shown.append(f"{provider.label} {mask_key(value)} ({why})")
    return keys, shown


def _summary(record: Instance, choose: bool) -> str:
    pair = record.node_ports
    ports = (
        "ports: a free pair"
        if choose
        else (f"ports {pair[0]},{pair[1]}" if pair else "no NodePorts")
    )
    r = record.resources
    return (
        f"{record.status.value}, {record.exposure.value}, {ports}, "
        f"cpu {r.cpu_request}/{r.cpu_limit}, memory {r.memory_request}/{r.memory_limit}"
    )


@dataclass(eq=False)
class AdoptPlanner:
    """What an adopt would do (reads only)."""

    store: Store
    kube: KubeClient

    async def _names(self, names: Sequence[str], everything: bool) -> list[str]:
        if not everything:
            return list(dict.fromkeys(names))
        docs = await self.kube.cluster.managed_docs()
        managed = {
            kind: [managed_object(kind, d) for d in by_name.values()]
            for kind, by_name in docs.items()
        }
        found = {o.instance for objs in managed.values() for o in objs if o.instance}
        deployments = {o.name for o in managed.get("Deployment", [])}
        # Only names with a Deployment are instances; stray pieces stay orphans.
        return sorted(found & deployments)

    async def plan(self, names: Sequence[str] = (), *, everything: bool = False) -> AdoptPlan:
        """What adopting ``names`` (or every labelled instance) would do. Reads only.

        Raises:
            ValidationFailed: Neither names nor ``everything`` (or both), or a name that cannot
                be an instance name.
        """
        planned = await self.planned(names, everything)
        return AdoptPlan(candidates=tuple(p.view for p in planned), everything=everything)

    async def planned(self, names: Sequence[str], everything: bool) -> list[_Planned]:
        if bool(names) == everything:
            raise ValidationFailed("names", "adopt needs instance NAMEs or --all (not both)")
        for name in names:
            if not is_valid_object_name(name):
                raise ValidationFailed(
                    "name", f"{name!r} cannot be an instance name (lowercase DNS label, ≤ 63)"
                )
        records = {i.name: i for i in await self.store.instances.list()}
        settings = await self.store.settings.get()
        global_keys = await self.store.settings.keys()
        ours = self.kube.owner_id
        out: list[_Planned] = []
        for name in await self._names(names, everything):
            if not is_valid_object_name(name):
                # --all finds names by label; `adopt NAME` would refuse such a name, so does --all.
                out.append(_refuse(name, "cannot be an instance name (lowercase DNS label, ≤ 63)"))
                continue
            found = await self.kube.adopt.read_found(name)
            known = records.get(name)
            if known is not None and unfinished(known):
                view = AdoptCandidate(
                    name=name,
                    action=AdoptAction.ADOPT,
                    detail="finish the adopt: take over the objects still owned elsewhere",
                    display_name=known.display_name,
                    owner=_owner_text(found),
                    status=known.status.value,
                    exposure=known.exposure.value,
                    ports=(known.nodeport_chrome, known.nodeport_terminal),
                )
                out.append(_Planned(view, found, known, finish=True))
                continue
            if known is not None:
                mine = found.owners <= {None, ours}
                if everything and mine:
                    continue  # already ours and recorded: nothing to say in a sweep
                out.append(
                    _refuse(
                        name,
                        "this database already records it"
                        if mine
                        else "this database has a record of that name, but its objects now belong "
                        f"to claworc database {_owner_text(found)} (adopted there)",
                        AdoptAction.RECORDED if mine else AdoptAction.CONFLICT,
                    )
                )
                continue
            out.append(_candidate(name, found, records, settings, global_keys, self.kube.namespace))
        return out
