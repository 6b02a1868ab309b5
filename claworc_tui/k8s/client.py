"""The Kubernetes client the services use: one object, our models in and out, made of parts.

Design: composition, not inheritance. One :class:`~.transport.KubeTransport` (config,
credentials, calls, streams, call records; the only module that imports kubernetes_asyncio, with
:mod:`.kubelib`) is shared by one :class:`~.store.ObjectStore` (per-kind reads and the guarded
writes of :mod:`.preconditions`, holding the database's owner id), and that store by small
per-concern parts, each an attribute of :class:`KubeClient` and constructed with the store:

==========================  =========================================================
``client.transport``        :class:`~.transport.KubeTransport`: ``call``, ``stream``
``client.objects``          :class:`~.store.ObjectStore`: get, list, create, patch ...
``client.instances``        :class:`~.instance_ops.InstanceOps`: create and change an
                            instance's objects
``client.lifecycle``        :class:`~.lifecycle.InstanceLifecycle`: read and delete them
``client.deployments``      :class:`~.deployments.DeploymentOps`: scale, restart,
                            resources, redeploy, roll back
``client.adopt``            :class:`~.adopt.AdoptOps`: what ``adopt`` reads and takes over
``client.cluster``          :class:`~.cluster_ops.ClusterOps`: version, namespace,
                            permissions, nodes, ports, pods, events
==========================  =========================================================

The parts never call each other (an import-linter contract keeps them independent), only the
store and the transport, so each can be read (and tested) on its own; the owner id lives on the
one store so that every part writes with the same one. :class:`KubeClient` itself keeps only
what is about the connection (``start``/``aclose``, ``namespace``, ``owner_id``; the rest is on
``client.transport``) and the factories of the live streams: :meth:`KubeClient.informer` and
:meth:`KubeClient.pod_watcher` (:class:`~.informer.Informer`) and :meth:`KubeClient.follow_logs`
(:class:`~.logs.LogFollow`). A new Kubernetes call goes into the part it concerns, through
``self.objects`` (a kind it knows) or ``self.transport.call`` (anything else).

Usage::

    client = KubeClient(kubeconfig=path, context="prod", namespace="claworc", on_call=log_call)
    await client.start()
    try:
        await client.instances.apply_instance_objects(instance, settings, keys)
    finally:
        await client.aclose()
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, Unpack

from claworc_tui.k8s.adopt import AdoptOps
from claworc_tui.k8s.backoff import Backoff
from claworc_tui.k8s.cluster_ops import ClusterOps
from claworc_tui.k8s.deployments import DeploymentOps
from claworc_tui.k8s.follow import FollowOptionsWithBackoff
from claworc_tui.k8s.informer import PODS, Informer, Kind
from claworc_tui.k8s.instance_ops import InstanceOps
from claworc_tui.k8s.lifecycle import InstanceLifecycle
from claworc_tui.k8s.logs import LogFollow
from claworc_tui.k8s.manifests import CONTAINER, MANAGED_SELECTOR
from claworc_tui.k8s.objects import Json
from claworc_tui.k8s.pods import parse_pod
from claworc_tui.k8s.store import ObjectStore
from claworc_tui.k8s.transport import KubeTransport, TransportOptions
from claworc_tui.models.pod import PodInfo

T = TypeVar("T")


class KubeClient:
    """Everything the app does with Kubernetes, namespaced to :attr:`namespace`.

    Args:
        **options: How to reach the cluster: see :class:`~.transport.TransportOptions`.
    """

    def __init__(self, **options: Unpack[TransportOptions]) -> None:
        self.transport = KubeTransport(**options)
        self.objects = ObjectStore(self.transport)
        self.instances = InstanceOps(self.objects)
        self.lifecycle = InstanceLifecycle(self.objects)
        self.deployments = DeploymentOps(self.objects)
        self.adopt = AdoptOps(self.objects)
        self.cluster = ClusterOps(self.objects)

    # -- the connection ----------------------------------------------------------------------

    async def start(self) -> None:
        """Load the config and open the HTTP session (see :meth:`.KubeTransport.start`)."""
        await self.transport.start()

    async def aclose(self) -> None:
        """Close the HTTP session (safe to call twice or before :meth:`start`)."""
        await self.transport.aclose()

    async def __aenter__(self) -> KubeClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def namespace(self) -> str:
        """The namespace every namespaced call uses."""
        return self.transport.namespace

    @property
    def owner_id(self) -> str | None:
        """The database's owner id, written on every object we create or rewrite (see
        :data:`~.manifests.OWNER_LABEL`); None writes no owner label."""
        return self.objects.owner_id

    @owner_id.setter
    def owner_id(self, value: str | None) -> None:
        self.objects.owner_id = value

    # -- live streams --------------------------------------------------------------------------

    def informer(
        self,
        kind: Kind,
        parse: Callable[[Json], T],
        *,
        label_selector: str | None = MANAGED_SELECTOR,
        backoff: Backoff | None = None,
    ) -> Informer[T]:
        """A supervised list-and-watch of ``kind`` in the namespace (see :mod:`.informer`)."""
        return Informer(
            self.transport, kind, parse, label_selector=label_selector, backoff=backoff or Backoff()
        )

    def pod_watcher(
        self,
        *,
        label_selector: str = MANAGED_SELECTOR,
        backoff: Backoff | None = None,
        unreachable_after: int = 5,
    ) -> Informer[PodInfo]:
        """A watch of the managed pods: ``async for event in client.pod_watcher().events()``."""
        return Informer(
            self.transport,
            PODS,
            parse_pod,
            label_selector=label_selector,
            backoff=backoff or Backoff(),
            unreachable_after=unreachable_after,
        )

    def follow_logs(
        self,
        pod: str | None = None,
        *,
        instance: str | None = None,
        container: str = CONTAINER,
        **options: Unpack[FollowOptionsWithBackoff],
    ) -> LogFollow:
        """Follow a pod's log, or an instance's across its pods (give ``pod`` or ``instance``):
        ``async for lines in client.follow_logs(instance="bot-alpha"): ...``.

        See :class:`~.logs.LogFollow` and :class:`~.follow.FollowOptionsWithBackoff`. After the
        loop, ``.state`` is ``ended`` or ``failed``.
        """
        selector = None if instance is None else f"app={instance},{MANAGED_SELECTOR}"
        return LogFollow(self.cluster, pod, selector=selector, container=container, **options)
