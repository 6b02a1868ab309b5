"""EmulatorServer: a fake kube-apiserver (plus controllers and kubelet) over real HTTP."""

from __future__ import annotations

import asyncio
import copy
import re
from pathlib import Path
from typing import Any

from aiohttp import web

from claworc_emulator.config import EmulatorConfig, RequestRecord
from claworc_emulator.container_logs import LogStore
from claworc_emulator.controller import Controller
from claworc_emulator.event_recorder import EventRecorder
from claworc_emulator.exec_and_portforward import PodStreams
from claworc_emulator.http_frontend import HttpFrontend
from claworc_emulator.injected import Failure
from claworc_emulator.kubelet import Kubelet
from claworc_emulator.nodes import default_nodes, make_node
from claworc_emulator.object_store import ObjectStore, meta
from claworc_emulator.rbac import Rbac
from claworc_emulator.resources import BY_PLURAL
from claworc_emulator.rest_api import RestApi
from claworc_emulator.rest_list import strip_type
from claworc_emulator.service_ip_allocator import ServiceIpAllocator

POD = BY_PLURAL["pods"]


class EmulatorServer:
    """A fake kube-apiserver with its controllers, scheduler and kubelet, served over real HTTP.

    Start it, point a client at :attr:`url` (or at :meth:`write_kubeconfig`), and steer it with
    the test hooks below (crash a deployment, inject failures, append logs …). Everything runs
    on the event loop that calls :meth:`start`.
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.store = ObjectStore(self.config.history_limit)
        self.alloc = ServiceIpAllocator()
        self.api = RestApi(self.config, self.store, self.alloc)
        self.rbac = Rbac(self.store)
        self.logs = LogStore()
        self.requests: list[RequestRecord] = []
        self.frontend = HttpFrontend(self)
        self.closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port = 0
        for ns in self.config.namespaces:
            self.api.create(BY_PLURAL["namespaces"], "", {"metadata": {"name": ns}})
        nodes = [make_node(n) for n in (self.config.nodes or default_nodes())]
        for node in nodes:
            self.store.create(BY_PLURAL["nodes"], node)
        self.store.start_cache()
        self.recorder = EventRecorder(self.api, meta(nodes[0])["name"])
        self.controller = Controller(self.api, self.recorder, self.config.pod_start_delay)
        self.kubelet = Kubelet(
            self.api, self.recorder, self.logs, self.config, self.store.items(BY_PLURAL["nodes"])[0]
        )
        self.streams = PodStreams(self)

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host``:``port`` (0: any free port; a restart reuses the last one) and start
        the controllers and the kubelet.

        Returns:
            The base URL, e.g. ``http://127.0.0.1:40749``.
        """
        if self._runner is not None:
            return self.url
        if port == 0 and self._port:
            port = self._port
        self.closing = asyncio.Event()
        runner = web.AppRunner(self.frontend.app(), handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port, reuse_address=True)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self._host = host
        self._port = sockets[0].getsockname()[1] if sockets else port
        self._runner = runner
        self.controller.start()
        self.kubelet.start()
        return self.url

    async def stop(self) -> None:
        """Stop serving: end log follows, the kubelet, the controllers and open streams."""
        if self._runner is None:
            return
        self.closing.set()
        self.logs.finish_all()
        await self.kubelet.stop()
        await self.controller.stop()
        await self.streams.aclose()
        await self._runner.cleanup()
        self._runner = None

    @property
    def url(self) -> str:
        """The base URL the server listens on."""
        return f"http://{self._host}:{self._port}"

    def write_kubeconfig(
        self, path: Path, *, namespace: str = "claworc", context: str = "emulator"
    ) -> Path:
        """Write a kubeconfig for this server to ``path`` (creating its folder); return ``path``."""
        from claworc_emulator.kubeconfig import render

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(self.url, self.config.token or "emulator-token", namespace, context))
        return path

    # -- test hooks ------------------------------------------------------------------------
    def objects(self, kind_plural: str, namespace: str) -> list[dict[str, Any]]:
        """Copies of the stored objects of ``kind_plural`` in ``namespace`` (ignored for cluster
        scoped kinds).
        """
        res = BY_PLURAL[kind_plural]
        return [
            copy.deepcopy(o) for o in self.store.items(res, namespace if res.namespaced else None)
        ]

    def _container(self, namespace: str, pod: str, container: str | None) -> str:
        if container:
            return container
        obj = self.store.get(POD, namespace, pod)
        containers = ((obj or {}).get("spec") or {}).get("containers") or []
        return str(containers[0]["name"]) if containers else "main"

    def append_log(
        self, namespace: str, pod: str, lines: list[str], container: str | None = None
    ) -> None:
        """Append ``lines`` to the log of ``pod``'s ``container`` (default: its first container)."""
        self.logs.append(namespace, pod, self._container(namespace, pod, container), lines)

    async def generate_logs(
        self,
        namespace: str,
        pod: str,
        *,
        rate: float | None,
        count: int,
        container: str | None = None,
        template: str = "line {i}",
    ) -> None:
        """Append ``count`` lines from ``template`` to a pod's log, ``rate`` lines a second (None:
        as fast as possible, in batches of 500).
        """
        name = self._container(namespace, pod, container)
        if rate is None:
            for start in range(0, count, 500):
                batch = [template.format(i=i) for i in range(start, min(start + 500, count))]
                self.logs.append(namespace, pod, name, batch)
                await asyncio.sleep(0)
            return
        for i in range(count):
            self.logs.append(namespace, pod, name, [template.format(i=i)])
            await asyncio.sleep(1.0 / rate)

    def inject_failure(
        self,
        method: str,
        path_regex: str,
        *,
        status: int,
        reason: str,
        message: str,
        times: int = 1,
        retry_after: int | None = None,
        after: int = 0,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` and ``path_regex`` with a
        ``Status`` of ``status``/``reason``/``message`` (and ``Retry-After`` when given), after
        letting ``after`` of them pass.
        """
        self.frontend.failures.append(
            Failure(
                method.upper(),
                re.compile(path_regex),
                status,
                reason,
                message,
                times,
                retry_after,
                after,
            )
        )

    def delay(self, method: str, path_regex: str, seconds: float) -> None:
        """Hold matching requests ``seconds`` longer than the rest (on top of ``latency``)."""
        self.frontend.delays.append((method.upper(), re.compile(path_regex), seconds))

    def delay_answer(self, method: str, path_regex: str, seconds: float) -> None:
        """Carry matching requests out at once but hold their answers ``seconds``: a client
        cancelled meanwhile has changed the cluster without knowing it."""
        self.frontend.answer_delays.append((method.upper(), re.compile(path_regex), seconds))

    def force_gone(self) -> None:
        """Make every watch's resourceVersion too old: the next resume answers 410 Expired."""
        self.store.force_gone()

    def compact(self) -> None:
        """``etcdctl compact <current revision>``: etcd forgets, the watch cache does not."""
        self.store.compact_etcd()

    def crash_loop(self, namespace: str, deployment: str) -> None:
        """Make the pods of ``deployment`` crash on start, restarting with back-off."""
        self.kubelet.set_mode(namespace, deployment, "crash")

    def oom_kill(self, namespace: str, deployment: str) -> None:
        """Make the pods of ``deployment`` be OOM-killed on start."""
        self.kubelet.set_mode(namespace, deployment, "oom")

    def image_pull_backoff(self, namespace: str, deployment: str, image: str | None = None) -> None:
        """Make the pods of ``deployment`` fail to pull their image (ImagePullBackOff); with
        ``image``, only its pods whose container runs that image (a rollback to another image
        then runs again)."""
        if image is None:
            self.kubelet.set_mode(namespace, deployment, "imagepull")
            return
        self.kubelet.set_unpullable(namespace, deployment, image)

    def termination_message(self, namespace: str, deployment: str, message: str | None) -> None:
        """What the deployment's containers write to ``/dev/termination-log`` when they crash
        (shown as ``lastState.terminated.message``; None: nothing)."""
        if message is None:
            self.kubelet.termination_messages.pop((namespace, deployment), None)
        else:
            self.kubelet.termination_messages[(namespace, deployment)] = message

    def emit_event(self, namespace: str, pod: str, type_: str, reason: str, message: str) -> None:
        """Record an Event about ``pod`` as the kubelet would (any text a node or a controller
        may write: the reason and message are not checked)."""
        obj = self.api.get(POD, namespace, pod)
        self.recorder.emit(obj, type_, reason, message, "kubelet")

    def heal(self, namespace: str, deployment: str) -> None:
        """Let the pods of ``deployment`` run normally again."""
        self.kubelet.set_mode(namespace, deployment, None)

    def set_pod_phase(
        self, namespace: str, pod: str, phase: str, reason: str | None = None
    ) -> None:
        """Set ``pod``'s phase (and reason) directly, as a node would report it."""
        obj = copy.deepcopy(self.api.get(POD, namespace, pod))
        status = obj.setdefault("status", {})
        status["phase"] = phase
        if reason is None:
            status.pop("reason", None)
        else:
            status["reason"] = reason
        # Always a MODIFIED event with a new resourceVersion, even when nothing changed.
        self.store.update(POD, obj)

    def forbid(self, verb: str, resource: str, namespace: str | None = None) -> None:
        """Deny ``verb`` on ``resource`` (in ``namespace``, or anywhere) to the emulator user."""
        self.frontend.denied.append((verb, resource, namespace))

    def allow_all(self) -> None:
        """Lift every :meth:`forbid`."""
        self.frontend.denied.clear()

    def rules_review(self, mode: str) -> None:
        """How SelfSubjectRulesReview answers from now on: ``complete`` (RBAC alone, the
        default), ``incomplete`` (as behind a webhook authorizer: no rules, incomplete) or
        ``forbidden`` (a cluster that took the review away from its users)."""
        if mode not in ("complete", "incomplete", "forbidden"):
            raise ValueError(f"rules_review: {mode!r} is not complete, incomplete or forbidden")
        self.frontend.rules_review = mode


__all__ = ["EmulatorConfig", "EmulatorServer", "strip_type"]
