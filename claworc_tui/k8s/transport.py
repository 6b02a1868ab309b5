"""The one place that talks to kubernetes_asyncio: config loading, calls, streams, call records.

Every call goes through kubernetes_asyncio's generated API methods with ``_preload_content=False``:
we get aiohttp's response, read the JSON ourselves and never build the generated model objects.
That keeps one code path for errors (the Status body is mapped by :mod:`claworc_tui.k8s.errors`),
lets streams be read incrementally, and means nothing of kubernetes_asyncio leaves this package.
With ``_preload_content=False`` the library does not raise on a non-2xx status, so we check it.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypedDict, Unpack

from claworc_tui import __version__
from claworc_tui.k8s.credentials import DEFAULT_NAMESPACE, Credentials
from claworc_tui.k8s.errors import (
    KubeError,
    KubeUnauthorized,
    error_from_status,
    error_from_transport,
)
from claworc_tui.k8s.http import aiohttp
from claworc_tui.k8s.kubelib import k8s_client
from claworc_tui.k8s.objects import Json
from claworc_tui.models.activity import ApiCall

_log = logging.getLogger(__name__)
#: Failures below HTTP that we turn into KubeUnreachable / KubeTimeout.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientError, OSError, TimeoutError, ssl.SSLError
)  # fmt: skip
#: Our name for each generated API class :meth:`KubeTransport.call` may use.
_APIS = dict(core="CoreV1Api", apps="AppsV1Api", authz="AuthorizationV1Api", version="VersionApi")

#: What every request says it is (see :meth:`KubeTransport.start`).
USER_AGENT = f"claworc-tui/{__version__} (kubernetes_asyncio)"


class _Info(TypedDict):
    verb: str
    resource: str
    name: str | None
    namespace: str | None


class TransportOptions(TypedDict, total=False):
    """How to reach the cluster (every key optional).

    Attributes:
        kubeconfig: Path of a kubeconfig; by default found like kubectl does.
        context: Context to use; by default the kubeconfig's current context.
        namespace: Namespace of every namespaced call; by default the context's namespace, else
            the service account's (in a cluster), else ``claworc``.
        on_call: Called with an :class:`~claworc_tui.models.activity.ApiCall` after every call
            (for the activity log).
        history: How many call records to keep in :attr:`KubeTransport.calls` (2000).
        request_timeout: Seconds a non-streaming call may take (30).
    """

    kubeconfig: str | os.PathLike[str] | None
    context: str | None
    namespace: str | None
    on_call: Callable[[ApiCall], None] | None
    history: int
    request_timeout: float


class KubeTransport:
    """Connection to one cluster and namespace, shared by the parts of :class:`~.client.KubeClient`.

    Its public surface is what every other module of ``k8s/`` builds on: :meth:`call` (one
    request, JSON back), :meth:`stream` (a response read incrementally: watches, log follows)
    with the request factories :meth:`watch_request` and :meth:`path_request`, :meth:`record`
    (a call made by other means, such as a WebSocket upgrade) and :attr:`api_client` (for the
    WebSocket client of :mod:`.podstreams`). Every call is recorded (:attr:`calls`, ``on_call``).

    Args:
        **options: See :class:`TransportOptions`.
    """

    def __init__(self, **options: Unpack[TransportOptions]) -> None:
        self._credentials = Credentials(options.get("kubeconfig"), options.get("context"))
        self._namespace = options.get("namespace")
        self._on_call = options.get("on_call")
        self._calls: deque[ApiCall] = deque(maxlen=options.get("history", 2000))
        self._request_timeout = options.get("request_timeout", 30.0)
        self._api_client: Any = None
        self._apis: dict[str, Any] = {}
        self._server_url = ""
        self.request_count = 0
        """Calls made since start (not bounded like :attr:`calls`)."""

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the config and open the HTTP session. No request is made yet.

        Raises:
            KubeConfigError: No kubeconfig, an unknown context, or a broken file.
        """
        configuration = type.__call__(k8s_client.Configuration)
        context_ns = await self._credentials.load(configuration)
        self._namespace = self._namespace or context_ns or DEFAULT_NAMESPACE
        self._server_url = str(configuration.host)
        configuration.refresh_api_key_hook = self._refresh_if_expiring
        self._api_client = k8s_client.ApiClient(configuration=configuration)
        # The apiserver names the managedFields manager of a write after the User-Agent (the part
        # before the first "/"): "claworc-tui", not kubernetes_asyncio's "OpenAPI-Generator", so a
        # conflict report (and `kubectl get -o yaml --show-managed-fields`) says who wrote what.
        self._api_client.user_agent = USER_AGENT
        self._apis = {key: getattr(k8s_client, cls)(self._api_client) for key, cls in _APIS.items()}

    async def refresh_credentials(self) -> bool:
        """Reload the kubeconfig user (exec plugin, OIDC refresh, token file) after a 401.

        kubernetes_asyncio loads credentials once and leaves refreshing them to the caller. Many
        streams get the same 401 at once; the first reloads, the others use its result.

        Returns:
            True if the credentials changed (or were just reloaded): worth trying again.
        """
        if self._api_client is None:
            return False
        return await self._credentials.reload(self._api_client.configuration)

    async def _refresh_if_expiring(self, _configuration: object) -> None:
        """Before each request: reload credentials the loader said expire within a minute."""
        if self._credentials.expiring():
            await self.refresh_credentials()

    async def aclose(self) -> None:
        """Close the HTTP session (safe to call twice or before :meth:`start`)."""
        api_client, self._api_client = self._api_client, None
        if api_client is not None:
            await api_client.close()

    # -- properties ------------------------------------------------------------------------

    @property
    def namespace(self) -> str:
        """The namespace every namespaced call uses."""
        return self._namespace or DEFAULT_NAMESPACE

    @property
    def context_name(self) -> str | None:
        """The kubeconfig context in use (None in a cluster)."""
        return self._credentials.context_name

    @property
    def server_url(self) -> str:
        """The API server URL."""
        return self._server_url

    @property
    def calls(self) -> list[ApiCall]:
        """The most recent calls, oldest first."""
        return list(self._calls)

    @property
    def api_client(self) -> Any:
        """kubernetes_asyncio's ``ApiClient`` (None before :meth:`start` and after
        :meth:`aclose`); for :mod:`.podstreams`, which builds its WebSocket client from it."""
        return self._api_client

    # -- calls -----------------------------------------------------------------------------

    def record(
        self,
        verb: str,
        resource: str,
        name: str | None,
        namespace: str | None,
        status: int | None,
        started: float,
        error: str | None = None,
    ) -> None:
        """Record one call (in :attr:`calls`, :attr:`request_count` and ``on_call``).

        :meth:`call` and :meth:`stream` record their own; this is for calls made by other means
        (a WebSocket upgrade). ``status`` is None when no answer came back, ``started`` the
        ``time.monotonic()`` of the start, ``error`` the reason of a failure (``NotFound`` ...).
        """
        record = ApiCall(
            verb=verb,
            resource=resource,
            name=name,
            namespace=namespace,
            status=status,
            duration_ms=round((time.monotonic() - started) * 1000, 1),
            error=error,
        )
        self.request_count += 1
        self._calls.append(record)
        if self._on_call is not None:
            try:
                self._on_call(record)
            except Exception:
                # The activity log failing must not fail the Kubernetes call it records.
                _log.exception("on_call callback failed")

    def _require_started(self) -> None:
        if self._api_client is None:
            raise KubeError("the Kubernetes client is not started", reason="NotStarted")

    def _method(self, api: str, method: str) -> Callable[..., Awaitable[Any]]:
        self._require_started()
        fn: Callable[..., Awaitable[Any]] = getattr(self._apis[api], method)
        return fn

    async def call(
        self,
        verb: str,
        resource: str,
        method: str,
        *,
        api: str = "core",
        name: str | None = None,
        namespace: str | None = None,
        **params: object,
    ) -> Json:
        """Make one call and return the JSON body; a 401 reloads the credentials and tries again.

        Args:
            verb: For records and errors (``create``, ``get``, ``list`` ...).
            resource: For records and errors (``deployments``, ``pods`` ...).
            method: The generated API method (``create_namespaced_secret``).
            api: Which API class (``core``, ``apps``, ``authz``, ``version``).
            name: Object name, passed to the method when given.
            namespace: Namespace, passed to the method when given.
            **params: Further method arguments (``body``, ``label_selector`` ...; None values
                are left out by the generated methods).

        Raises:
            KubeError: The mapped failure.
        """
        info: _Info = {"verb": verb, "resource": resource, "name": name, "namespace": namespace}
        try:
            return await self._call_once(method, api, info, params)
        except KubeUnauthorized:
            if not await self.refresh_credentials():
                raise
        return await self._call_once(method, api, info, params)

    async def _call_once(
        self, method: str, api: str, info: _Info, params: dict[str, object]
    ) -> Json:
        """One try of :meth:`call`."""
        fn = self._method(api, method)
        name, namespace = info["name"], info["namespace"]
        if name is not None:
            params["name"] = name
        if namespace is not None:
            params["namespace"] = namespace
        started = time.monotonic()
        status: int | None = None
        try:
            resp = await fn(
                **params, _preload_content=False, _request_timeout=self._request_timeout
            )
            async with resp:
                status = int(resp.status)
                body = await resp.read()
                headers = dict(resp.headers)
        except TRANSPORT_ERRORS as exc:
            error = error_from_transport(exc, self._server_url, **info)
            self.record(**info, status=status, started=started, error=error.reason)
            raise error from None
        if status >= 300:
            failure = error_from_status(status, body, headers, **info)
            self.record(**info, status=status, started=started, error=failure.reason)
            raise failure
        self.record(**info, status=status, started=started)
        if not body:
            return {}
        try:
            doc = json.loads(body)
        except ValueError:
            # A proxy in front of the API server can answer 200 with an HTML page.
            raise KubeError(
                f"{self._server_url} answered {info['verb']} {info['resource']} with something "
                "that is not JSON",
                status=status,
                reason="NotJSON",
                **info,
            ) from None
        return doc if isinstance(doc, dict) else {"items": doc}

    @asynccontextmanager
    async def stream(
        self,
        verb: str,
        resource: str,
        *,
        name: str | None,
        namespace: str | None,
        request: Callable[[tuple[float, float]], Awaitable[Any]],
        read_timeout: float,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Open a streaming response (watch, log follow) and close it on exit.

        Transport failures while the body is read inside the ``async with`` are mapped to
        :class:`KubeUnreachable`/:class:`KubeTimeout` too, so readers only handle KubeErrors.

        Args:
            verb: For records and errors.
            resource: For records and errors.
            name: Object name, if any.
            namespace: Namespace, if any.
            request: Makes the request given a (connect, read) timeout: one of
                :meth:`watch_request` or :meth:`path_request`.
            read_timeout: Seconds without a byte before the connection counts as dead.
        """
        self._require_started()
        info: _Info = {"verb": verb, "resource": resource, "name": name, "namespace": namespace}
        started = time.monotonic()
        try:
            resp: aiohttp.ClientResponse = await request((10.0, read_timeout))
        except TRANSPORT_ERRORS as exc:
            error = error_from_transport(exc, self._server_url, **info)
            self.record(**info, status=None, started=started, error=error.reason)
            raise error from None
        try:
            status = int(resp.status)
            if status >= 300:
                body = await resp.read()
                failure = error_from_status(status, body, dict(resp.headers), **info)
                self.record(**info, status=status, started=started, error=failure.reason)
                raise failure
            self.record(**info, status=status, started=started)
            try:
                yield resp
            except TRANSPORT_ERRORS as exc:
                raise error_from_transport(exc, self._server_url, **info) from None
            except RuntimeError as exc:
                # aiohttp's StreamReader raises a bare RuntimeError when a read starts after the
                # connection dropped; anything else is a bug and must surface.
                if str(exc) != "Connection closed.":
                    raise
                raise error_from_transport(exc, self._server_url, **info) from None
        except TRANSPORT_ERRORS as exc:  # reading an error body failed
            raise error_from_transport(exc, self._server_url, **info) from None
        finally:
            # close(), not release(): a stream read halfway cannot go back to the pool.
            resp.close()

    def watch_request(
        self, method: str, api: str = "core", **params: object
    ) -> Callable[[tuple[float, float]], Awaitable[Any]]:
        """A request for :meth:`stream` by the generated API ``method`` of ``api`` with
        ``params`` (``list_namespaced_pod`` with ``watch=True`` ...)."""
        fn = self._method(api, method)

        def request(timeout: tuple[float, float]) -> Awaitable[Any]:
            return fn(**params, _preload_content=False, _request_timeout=timeout)

        return request

    def path_request(
        self, path: str, path_params: dict[str, str], query: list[tuple[str, str]]
    ) -> Callable[[tuple[float, float]], Awaitable[Any]]:
        """A GET of ``path`` (with ``{placeholders}`` filled from ``path_params``) for
        :meth:`stream`, for query parameters the generated method lacks (a log's ``sinceTime``)."""
        self._require_started()
        api_client = self._api_client

        def request(timeout: tuple[float, float]) -> Awaitable[Any]:
            result: Awaitable[Any] = api_client.call_api(
                path,
                "GET",
                path_params,
                query,
                {"Accept": "*/*"},
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=timeout,
            )
            return result

        return request
