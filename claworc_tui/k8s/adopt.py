"""Reading an instance back out of the cluster, and taking its objects over (``adopt``).

:meth:`AdoptOps.read_found` reads the eight objects of one instance and summarises what a record
needs: ports from the Service, ``clawdbot.json`` from the ConfigMap, resources, image and replicas
from the Deployment, sizes from the PVCs, the keys from the Secret (as secrets, never logged) and
our annotations (see :mod:`.ownership`). :meth:`AdoptOps.take_over` then writes this database's
owner id onto each object with a strategic merge patch carrying the resourceVersion that was
read: an object another writer changed in between is a 409, and nothing of it is overwritten.
A take-over that fails half-way gives back what it took (see :meth:`AdoptOps.take_over`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Sequence
from typing import Unpack

from pydantic import SecretStr

from claworc_tui.k8s.errors import (
    CallInfo,
    KubeConflict,
    KubeError,
    KubeNotFound,
    KubeOwnedElsewhere,
)
from claworc_tui.k8s.manifests import CONFIG_KEY, MANAGED_BY, MANAGER
from claworc_tui.k8s.objects import Json, deployment_state, pvc_state, service_state
from claworc_tui.k8s.ownership import (
    DISPLAY_NAME,
    EXPOSURE,
    KEY_OVERRIDES,
    OUR_ANNOTATIONS,
    OWNER_KEY,
    owner_of,
    parse_overrides,
    who_changed,
)
from claworc_tui.k8s.preconditions import resource_version
from claworc_tui.k8s.store import KINDS, Part
from claworc_tui.models.cluster import FoundInstance, FoundObject, instance_targets
from claworc_tui.models.instance import STORAGE_ROLES, Provider

log = logging.getLogger(__name__)


def _decode(value: object) -> str | None:
    try:
        return base64.b64decode(str(value), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _found_object(kind: str, doc: Json, instance: str) -> FoundObject:
    meta = doc.get("metadata") or {}
    labels = meta.get("labels") or {}
    notes = meta.get("annotations") or {}
    return FoundObject(
        kind=kind,
        name=str(meta.get("name", "")),
        resource_version=str(meta.get("resourceVersion") or ""),
        owner=owner_of(doc),
        ours=labels.get(MANAGED_BY) == MANAGER and labels.get("app") == instance,
        label_owner=labels.get(OWNER_KEY),
        notes={k: notes.get(k) for k in OUR_ANNOTATIONS},
    )


def found_instance(name: str, docs: Sequence[Json | None]) -> FoundInstance:
    """Summarise the eight documents of ``instance_targets(name)`` (None where missing)."""
    dep, svc, sec, cm, *claims = docs
    objects = tuple(
        _found_object(kind, doc, name)
        for (kind, _), doc in zip(instance_targets(name), docs, strict=True)
        if doc is not None
    )
    notes: dict[str, str] = {}
    for doc in (sec, svc, dep):  # later ones win: the Deployment is the most telling
        if doc is not None:
            notes.update((doc.get("metadata") or {}).get("annotations") or {})
    svc_notes = ((svc or {}).get("metadata") or {}).get("annotations") or {}
    sec_notes = ((sec or {}).get("metadata") or {}).get("annotations") or {}
    dep_state = deployment_state(dep) if dep else None
    svc_state = service_state(svc) if svc else None
    keys: dict[Provider, SecretStr] = {}
    for provider in Provider:
        raw = ((sec or {}).get("data") or {}).get(provider.env_var)
        text = _decode(raw) if raw is not None else None
        if text:
            keys[provider] = SecretStr(text)
    config = ((cm or {}).get("data") or {}).get(CONFIG_KEY) if cm else None
    return FoundInstance(
        name=name,
        objects=objects,
        display_name=notes.get(DISPLAY_NAME),
        exposure=svc_notes.get(EXPOSURE) or notes.get(EXPOSURE),
        service_type=svc_state.type if svc_state else None,
        node_ports=(
            (svc_state.node_port("chrome"), svc_state.node_port("terminal"))
            if svc_state
            else (None, None)
        ),
        replicas=dep_state.replicas if dep_state else None,
        image=dep_state.image if dep_state else None,
        resources=dep_state.resources if dep_state else None,
        storage={
            role: pvc_state(doc).requested if doc else None
            for role, doc in zip(STORAGE_ROLES, claims, strict=True)
        },
        config=config if isinstance(config, str) else None,
        keys=keys,
        overrides=parse_overrides(sec_notes.get(KEY_OVERRIDES, notes.get(KEY_OVERRIDES))),
    )


class AdoptOps(Part):
    """Reads for ``adopt`` and the ownership take-over (``client.adopt``)."""

    async def read_found(self, name: str) -> FoundInstance:
        """Read the eight objects named after instance ``name`` (missing ones are left out)."""
        docs = await asyncio.gather(
            *(self.objects.get_or_none(k, n) for k, n in instance_targets(name))
        )
        return found_instance(name, docs)

    async def foreign_owner(self, name: str) -> str | None:
        """Who owns an existing Deployment ``name`` if not this database (``none (legacy)``
        for one made before owner ids); None when there is none or it is ours."""
        doc = await self.objects.get_or_none("Deployment", name)
        if doc is None:
            return None
        owner = owner_of(doc)
        if owner is not None and owner == self.objects.owner_id:
            return None
        return owner or "none (made before owner ids)"

    async def take_over(
        self, found: FoundInstance, owner: str, notes: dict[str, str] | None = None
    ) -> list[FoundObject]:
        """Write ``owner`` (and ``notes``, our annotations for the new record) onto every object
        of ``found``, each on its read resourceVersion.

        Objects are patched one by one. If any patch fails — a 409 (changed since it was read),
        or anything else: 403, 422, 5xx, a timeout, cancellation — the objects already patched
        are given back: their owner label, owner annotation and our other annotations are set
        to exactly what was read (removed where they were absent), each on the resourceVersion
        our patch returned, so nothing written meanwhile by anyone else is overwritten. The
        give-back runs shielded from cancellation, and first waits for the answer of a patch
        still on the wire when the take-over was cancelled (the server carries out a request it
        has taken in even when the client goes away); a patch whose answer never came is read
        back, and given back if it landed.

        Returns:
            The objects now carrying ``owner``.

        Raises:
            KubeOwnedElsewhere: An object changed since it was read; the message says who
                holds it now. Everything was given back.
            KubeTakeOverIncomplete: The take-over failed and the give-back did not finish
                either: ``still_ours`` lists the objects that carry ``owner`` now.
            KubeError: Another failure of a patch (everything was given back).
        """
        done: list[tuple[FoundObject, str | None]] = []
        flight: tuple[FoundObject, asyncio.Future[Json]] | None = None
        try:
            for obj in found.objects:
                # The write runs on its own: a cancel while it is on the wire does not stop
                # the server carrying it out, so its answer is still awaited (in _settle).
                write = asyncio.ensure_future(
                    self._set_owner(obj, owner, obj.resource_version, notes)
                )
                flight = (obj, write)
                try:
                    doc = await asyncio.shield(write)
                except (KubeConflict, KubeNotFound) as exc:
                    flight = None
                    live = await self.objects.get_or_none(obj.kind, obj.name)
                    raise KubeOwnedElsewhere(
                        f"{obj.kind} {obj.name} changed since it was read "
                        f"({who_changed(live, owner)}); nothing was adopted, check again",
                        status=409,
                        reason="Conflict",
                        verb="patch",
                        resource=KINDS[obj.kind][2],
                        name=obj.name,
                        namespace=self.namespace,
                    ) from exc
                flight = None
                done.append((obj, resource_version(doc)))
        except BaseException as exc:
            left = await asyncio.shield(self._settle_and_give_back(done, flight, owner))
            if left:
                raise KubeTakeOverIncomplete(
                    f"taking {found.name} over failed ({exc or type(exc).__name__}) and giving "
                    f"back failed for {', '.join(f'{o.kind}/{o.name}' for o in left)}, which "
                    "carry this database's owner id now",
                    left,
                    status=getattr(exc, "status", 0),
                    reason=getattr(exc, "reason", "") or type(exc).__name__,
                    verb="patch",
                    name=found.name,
                    namespace=self.namespace,
                ) from exc
            raise
        return [obj for obj, _ in done]

    async def _settle_and_give_back(
        self,
        done: list[tuple[FoundObject, str | None]],
        flight: tuple[FoundObject, asyncio.Future[Json]] | None,
        owner: str,
    ) -> list[FoundObject]:
        """Wait for the answer of a write still in flight (it may have landed), then give back
        everything taken."""
        unknown: list[FoundObject] = []
        if flight is not None:
            obj, write = flight
            try:
                done.append((obj, resource_version(await write)))
            except KubeError as exc:
                if exc.status == 0:  # no answer (timeout, connection): did it land? read it
                    await self._if_taken(obj, owner, done, unknown)
            except BaseException:  # the write itself was cancelled: read what the server has
                await self._if_taken(obj, owner, done, unknown)
        return unknown + await self._give_back(done)

    async def _if_taken(
        self,
        obj: FoundObject,
        owner: str,
        done: list[tuple[FoundObject, str | None]],
        unknown: list[FoundObject],
    ) -> None:
        """Add ``obj`` to ``done`` if the server holds it with ``owner`` (to ``unknown`` when it
        cannot be read: it is reported, never written blindly)."""
        try:
            live = await self.objects.get_or_none(obj.kind, obj.name)
        except KubeError as exc:
            log.warning("adopt: cannot read %s/%s back: %s", obj.kind, obj.name, exc)
            unknown.append(obj)
            return
        if live is not None and owner_of(live) == owner:
            done.append((obj, resource_version(live)))

    async def _give_back(self, done: list[tuple[FoundObject, str | None]]) -> list[FoundObject]:
        """Set each patched object back to what was read; returns those it could not."""
        left: list[FoundObject] = []
        for obj, rv in reversed(done):
            try:
                await self._restore(obj, rv)
            except Exception as exc:  # each object on its own: one failure stops none
                log.warning("adopt: cannot give %s/%s back: %s", obj.kind, obj.name, exc)
                left.append(obj)
        return left

    async def _restore(self, obj: FoundObject, rv: str | None) -> None:
        """Our labels and annotations of ``obj`` as read, on the resourceVersion ``rv`` our patch
        returned (a 409: someone wrote it since; it is not overwritten)."""
        meta: Json = {"labels": {OWNER_KEY: obj.label_owner}, "annotations": dict(obj.notes)}
        if rv:
            meta["resourceVersion"] = rv
        await self.objects.patch(obj.kind, obj.name, {"metadata": meta})

    async def _set_owner(
        self,
        obj: FoundObject,
        owner: str | None,
        rv: str | None,
        notes: dict[str, str] | None = None,
    ) -> Json:
        """Set the owner label and annotation (and ``notes``) with a strategic merge patch."""
        meta: Json = {
            "labels": {OWNER_KEY: owner},
            "annotations": {**(notes or {}), OWNER_KEY: owner},
        }
        if rv:
            meta["resourceVersion"] = rv
        return await self.objects.patch(obj.kind, obj.name, {"metadata": meta})


class KubeTakeOverIncomplete(KubeError):
    """A take-over failed half-way and could not be undone: ``still_ours`` carry our owner id."""

    def __init__(self, message: str, still_ours: list[FoundObject], **info: Unpack[CallInfo]):
        super().__init__(message, **info)
        self.still_ours = still_ours
