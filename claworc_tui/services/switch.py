"""``:ns NAME`` and ``:ctx NAME``: the same app on another namespace or kubeconfig context.

The records are not tied to a namespace (as with ``claworc-tui -n NS``), so a switch is a
restart of the services with the new namespace or context: the target is checked first, with the
cluster client in use (a namespace that does not exist, or whose pods the user may not list, is
refused with that reason), then the new services are opened. The caller closes the old ones only
when the new ones are up, so a refused switch changes nothing.
"""

from __future__ import annotations

import asyncio

from claworc_tui.k8s.errors import KubeError, KubeForbidden, KubeNotFound
from claworc_tui.k8s.live import check_namespace, list_contexts, list_namespaces
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.services import Services, open_services


async def namespaces(services: Services) -> list[str]:
    """Namespaces to offer for completion (empty when they may not be listed)."""
    try:
        return await list_namespaces(services.kube) if services.kube else []
    except KubeError:
        return []


async def contexts(services: Services) -> list[str]:
    """Kubeconfig contexts to offer for completion."""
    return await asyncio.to_thread(list_contexts, services.config.kubeconfig)


async def switch(
    services: Services, *, namespace: str | None = None, context: str | None = None
) -> Services:
    """Open services like ``services`` on another namespace or context.

    Raises:
        ValidationFailed: The namespace or context does not exist, or may not be used; the
            message says which. Nothing was opened.
        ClaworcError: The new services could not be opened.

    The namespace stays when only the context changes (``--namespace`` stays as given).
    """
    if services.kube is None:
        raise ValidationFailed("namespace", ":ns and :ctx are for the Kubernetes runtime")
    if namespace is not None:
        if not namespace.strip():
            raise ValidationFailed("namespace", ":ns needs a namespace name")
        if context is None:
            try:
                await check_namespace(services.kube, namespace)
            except KubeNotFound:
                raise ValidationFailed(
                    "namespace", f"namespace {namespace} does not exist"
                ) from None
            except KubeForbidden as exc:
                raise ValidationFailed(
                    "namespace", f"namespace {namespace} is forbidden to you: {exc}"
                ) from None
    if context is not None:
        known = await contexts(services)
        if context not in known:
            listed = ", ".join(known) or "none"
            raise ValidationFailed(
                "context", f"context {context} is not in the kubeconfig (contexts: {listed})"
            )
    update: dict[str, object] = {}
    if namespace is not None:
        update["namespace"] = namespace
    if context is not None:
        update["context"] = context
    return await open_services(services.config.model_copy(update=update))
