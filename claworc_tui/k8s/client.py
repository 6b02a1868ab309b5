"""The Kubernetes client the services use: one class, our models in and out.

``KubeClient`` is assembled from mixins so each module stays readable: :mod:`.transport` (config,
calls, streams, call records; the only module that imports kubernetes_asyncio), :mod:`.instance_ops`
(create and change an instance's objects), :mod:`.lifecycle` (read and delete them) and
:mod:`.cluster_ops` (version, namespace, permissions, nodes, ports, pods, events). The live streams
are :class:`~.informer.Informer` (:meth:`KubeClient.informer`, :meth:`KubeClient.pod_watcher`) and
:class:`~.logs.LogFollow` (:meth:`KubeClient.follow_logs`).

Usage::

    client = KubeClient(kubeconfig=path, context="prod", namespace="claworc", on_call=log_call)
    await client.start()
    try:
        await client.apply_instance_objects(instance, settings, keys)
    finally:
        await client.aclose()
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from claworc_tui.k8s.adopt import AdoptOps
from claworc_tui.k8s.backoff import Backoff
from claworc_tui.k8s.cluster_ops import ClusterOps
from claworc_tui.k8s.informer import PODS, Informer, Kind
from claworc_tui.k8s.lifecycle import InstanceLifecycle
from claworc_tui.k8s.logs import LogFollow
from claworc_tui.k8s.manifests import CONTAINER, MANAGED_SELECTOR
from claworc_tui.k8s.objects import Json
from claworc_tui.k8s.pods import PodInfo, parse_pod
from claworc_tui.k8s.rollout import RolloutOps
from claworc_tui.models.logs import LogStreamState

T = TypeVar("T")


class KubeClient(InstanceLifecycle, RolloutOps, AdoptOps, ClusterOps):
    """Everything the app does with Kubernetes, namespaced to :attr:`namespace`.

    See :class:`~.transport.KubeTransport` for the constructor arguments.
    """

    async def __aenter__(self) -> KubeClient:
        await self.start()
        return self

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
            self, kind, parse, label_selector=label_selector, backoff=backoff or Backoff()
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
            self,
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
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        previous: bool = False,
        follow: bool = True,
        backoff: Backoff | None = None,
        on_state: Callable[[LogStreamState, str | None], None] | None = None,
    ) -> LogFollow:
        """Follow a pod's log, or an instance's across its pods (give ``pod`` or ``instance``):
        ``async for lines in client.follow_logs(instance="bot-alpha"): ...``.

        See :class:`~.logs.LogFollow`. After the loop, ``.state`` is ``ended`` or ``failed``.
        """
        return LogFollow(
            self,
            pod,
            selector=None if instance is None else f"app={instance},{MANAGED_SELECTOR}",
            container=container,
            tail_lines=tail_lines,
            since_seconds=since_seconds,
            previous=previous,
            follow=follow,
            backoff=backoff,
            on_state=on_state,
        )
