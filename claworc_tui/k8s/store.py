"""Reads and guarded writes of the namespace's objects, of any kind: what every part of the
client (:mod:`.client`) builds on.

:class:`ObjectStore` knows, per kind, which generated API method reads, lists, creates, replaces,
patches and deletes it (:data:`KINDS`), and makes every write the way :mod:`.preconditions`
explains: on the resourceVersion read, and never onto another claworc database's object.
Creation is idempotent so an interrupted create can simply run again: 409 AlreadyExists means the
object is there, and we read it back instead of failing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import BaseModel, ConfigDict

from claworc_tui.k8s import manifests
from claworc_tui.k8s.errors import (
    KubeAlreadyExists,
    KubeConflict,
    KubeInvalid,
    KubeNotFound,
    KubeOwnedElsewhere,
)
from claworc_tui.k8s.manifests import Manifest
from claworc_tui.k8s.objects import Json, service_state
from claworc_tui.k8s.ownership import owner_of, who_changed
from claworc_tui.k8s.preconditions import intent, resource_version
from claworc_tui.k8s.transport import KubeTransport
from claworc_tui.models.remedy import Advice, Remedy

#: kind -> (api, method suffix, resource plural)
KINDS: dict[str, tuple[str, str, str]] = {
    "Deployment": ("apps", "deployment", "deployments"),
    "PersistentVolumeClaim": ("core", "persistent_volume_claim", "persistentvolumeclaims"),
    "Secret": ("core", "secret", "secrets"),
    "ConfigMap": ("core", "config_map", "configmaps"),
    "Service": ("core", "service", "services"),
    "Pod": ("core", "pod", "pods"),
}
_TRIES = 3


class CreateResult(BaseModel):
    """What a create did."""

    model_config = ConfigDict(frozen=True)

    kind: str
    name: str
    created: bool
    """False when the object existed already (and was read back instead)."""
    uid: str | None = None


class ObjectStore:
    """Reads and conditional writes of one namespace's objects, by kind.

    Args:
        transport: The started (or to be started) transport all calls go through.
    """

    def __init__(self, transport: KubeTransport) -> None:
        self.transport = transport
        self.owner_id: str | None = None
        """The database's owner id, labelled on every object we create or rewrite (see
        :data:`~.manifests.OWNER_LABEL`); None writes no owner label."""

    @property
    def namespace(self) -> str:
        """The namespace of every call."""
        return self.transport.namespace

    async def _kind_call(self, verb: str, kind: str, name: str | None, **params: object) -> Json:
        """``verb`` (get, list, create, update, patch, delete) on ``kind`` in the namespace."""
        api, suffix, plural = KINDS[kind]
        method = {"get": "read", "update": "replace"}.get(verb, verb)
        return await self.transport.call(
            verb,
            plural,
            f"{method}_namespaced_{suffix}",
            api=api,
            name=name,
            namespace=self.namespace,
            **params,
        )

    # -- reads -----------------------------------------------------------------------------

    async def get(self, kind: str, name: str) -> Json:
        """Read ``kind/name``.

        Raises:
            KubeNotFound: No such object.
        """
        return await self._kind_call("get", kind, name)

    async def get_or_none(self, kind: str, name: str) -> Json | None:
        """Read ``kind/name``; None when it does not exist."""
        try:
            return await self.get(kind, name)
        except KubeNotFound:
            return None

    async def list(
        self, kind: str, label_selector: str | None = None, field_selector: str | None = None
    ) -> Json:
        """List ``kind`` in the namespace (the generated methods leave out None selectors)."""
        return await self._kind_call(
            "list", kind, None, label_selector=label_selector, field_selector=field_selector
        )

    # -- writes ----------------------------------------------------------------------------

    async def patch(self, kind: str, name: str, body: Json) -> Json:
        """A strategic merge patch of ``kind/name`` (put the resourceVersion read in ``body``)."""
        return await self._kind_call("patch", kind, name, body=body)

    async def replace(self, kind: str, name: str, body: Json) -> Json:
        """A PUT of ``kind/name`` (``body`` carries the resourceVersion read)."""
        return await self._kind_call("update", kind, name, body=body)

    async def delete(
        self, kind: str, name: str, preconditions: Json, propagation_policy: str | None = None
    ) -> None:
        """Delete ``kind/name`` if it is still the object ``preconditions`` (uid,
        resourceVersion) names.

        Raises:
            KubeNotFound: It is gone already.
            KubeConflict: It is another object now, or changed since it was read.
        """
        await self._kind_call(
            "delete",
            kind,
            name,
            body={"preconditions": preconditions},
            propagation_policy=propagation_policy,
        )

    async def create(self, manifest: Manifest) -> CreateResult:
        """Create one object; if it exists already, read it back instead (idempotent).

        Args:
            manifest: A manifest from :mod:`claworc_tui.k8s.manifests`.

        Raises:
            KubeError: Any failure but AlreadyExists (e.g. KubeInvalid for a taken NodePort).
        """
        manifest = manifests.with_owner(manifest, self.owner_id)
        kind = str(manifest["kind"])
        meta = manifest["metadata"]
        assert isinstance(meta, dict)
        name = str(meta["name"])
        try:
            doc = await self._kind_call("create", kind, None, body=manifest)
            created = True
        except KubeAlreadyExists:
            doc = await self.get(kind, name)
            # Someone else's instance of the same name: never take it for ours.
            self.check_owner(kind, doc)
            created = False
        except KubeInvalid as exc:
            # The apiserver allocates a Service's fixed nodePorts before it checks the name, so
            # creating our own Service again says "port already allocated" (422), never 409.
            existing = await self._own_service(kind, name, exc)
            if existing is None:
                raise
            doc, created = existing, False
        uid = (doc.get("metadata") or {}).get("uid")
        return CreateResult(kind=kind, name=name, created=created, uid=uid)

    async def _own_service(self, kind: str, name: str, exc: KubeInvalid) -> Json | None:
        """The existing Service ``name`` if it is what holds the ports ``exc`` names as taken."""
        if kind != "Service" or not exc.port_conflict:
            return None
        doc = await self.get_or_none(kind, name)
        if doc is None:
            return None
        held = {p.node_port for p in service_state(doc).ports}
        return doc if set(exc.taken_ports) <= held else None

    async def replace_or_create(self, body: Manifest) -> None:
        """Rewrite the object ``body`` describes on its resourceVersion, or create it."""
        body = manifests.with_owner(body, self.owner_id)
        kind = str(body["kind"])
        meta = body["metadata"]
        assert isinstance(meta, dict)
        name = str(meta["name"])
        live = await self.get_or_none(kind, name)
        if live is None:
            await self.create(body)
            return
        self.check_owner(kind, live)

        async def write(live: Json) -> Json:
            meta["resourceVersion"] = resource_version(live)
            return await self.replace(kind, name, body)

        await self.conditional_write(kind, name, write, read=live)

    # -- preconditions ---------------------------------------------------------------------

    def check_owner(self, kind: str, doc: Json) -> None:
        """Refuse to write ``doc`` when another claworc database owns it.

        Raises:
            KubeOwnedElsewhere: It carries another database's owner id.
        """
        owner = owner_of(doc)
        if owner is None or self.owner_id is None or owner == self.owner_id:
            return
        meta = doc.get("metadata") or {}
        name = str(meta.get("name", ""))
        instance = (meta.get("labels") or {}).get("app")
        raise KubeOwnedElsewhere(
            f"{kind} {name} belongs to claworc database {owner}, not to this one "
            f"({self.owner_id}): it was adopted or created there; nothing was changed. "
            "Manage it from that database, or adopt it here",
            status=409,
            reason="Conflict",
            verb="update",
            resource=KINDS[kind][2] if kind in KINDS else kind.lower(),
            name=name,
            namespace=self.namespace,
        ).advising(Advice(Remedy.ADOPT, str(instance) if instance else None))

    def conflict(self, kind: str, name: str, live: Json | None, exc: KubeConflict) -> KubeConflict:
        """The 409 of a write on a stale resourceVersion, saying who changed the object."""
        return KubeOwnedElsewhere(
            f"{kind} {name} was changed by someone else since it was read "
            f"({who_changed(live, self.owner_id)}); nothing was changed, look again and retry",
            status=409,
            reason="Conflict",
            verb=exc.verb,
            resource=exc.resource,
            name=name,
            namespace=self.namespace,
        )

    async def read_for_write(self, kind: str, name: str) -> Json:
        """Read ``kind/name`` and check it is ours to write (see :meth:`check_owner`).

        Raises:
            KubeNotFound: No such object.
            KubeOwnedElsewhere: Another database owns it.
        """
        doc = await self.get(kind, name)
        self.check_owner(kind, doc)
        return doc

    async def conditional_write(
        self,
        kind: str,
        name: str,
        write: Callable[[Json], Awaitable[Json]],
        *,
        read: Json | None = None,
    ) -> Json:
        """Run ``write(live)`` on a fresh, checked read; retry only after status-only changes.

        Args:
            kind: The object's kind.
            name: Its name.
            write: ``async (live: Json) -> Json``: builds the body from ``live`` (with its
                resourceVersion) and makes the call.
            read: The object already read for this write, if any.

        Raises:
            KubeOwnedElsewhere: Another database owns it, or another writer changed its spec or
                metadata since it was read.
        """
        live = read if read is not None else await self.read_for_write(kind, name)
        for attempt in range(_TRIES):
            try:
                return await write(live)
            except KubeConflict as exc:
                try:
                    fresh = await self.read_for_write(kind, name)
                except KubeNotFound:
                    raise self.conflict(kind, name, None, exc) from None
                status_only = intent(fresh) == intent(live)
                if not status_only or attempt == _TRIES - 1:
                    raise self.conflict(kind, name, fresh, exc) from None
                live = fresh
        raise AssertionError("unreachable")  # pragma: no cover


class Part:
    """Base of the client's parts (:mod:`.client`): each holds the one shared :class:`ObjectStore`
    and, through it, the transport.

    Args:
        objects: The store every part of one client shares (so they share its owner id).
    """

    def __init__(self, objects: ObjectStore) -> None:
        self.objects = objects
        self.transport = objects.transport

    @property
    def namespace(self) -> str:
        """The namespace of every call."""
        return self.transport.namespace
