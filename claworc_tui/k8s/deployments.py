"""Changing a running instance's Deployment: scale, restart, resources, redeploy, roll back.

Every write is conditional (see :mod:`.preconditions`): on the resourceVersion read, never onto
another claworc database's Deployment.

A redeploy (a new image, or the same tag pulled again, and a fresh pod) is one strategic merge
patch that sets the ``moltbot`` container's image and the template's
``kubectl.kubernetes.io/restartedAt`` annotation together, so the Deployment rolls exactly once
(Recreate: the old pod stops, then the new one starts; the PVCs, and so the data, stay). The
container's ``imagePullPolicy`` is ``Always``, so a new pod pulls the tag again even when it did
not change: the annotation alone is what re-pulls ``:latest``, as ``kubectl rollout restart`` does.
"""

from __future__ import annotations

from datetime import UTC, datetime

from claworc_tui.k8s.manifests import CONTAINER, RESTARTED_AT
from claworc_tui.k8s.objects import Json, deployment_state
from claworc_tui.k8s.preconditions import resource_version
from claworc_tui.k8s.store import Part
from claworc_tui.models.cluster import DeploymentState
from claworc_tui.models.instance import Resources


def _now() -> str:
    """A restartedAt value: with microseconds, unlike kubectl's, so two restarts within one
    second still both roll."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DeploymentOps(Part):
    """Scale, restart, resize and redeploy an instance's Deployment (``client.deployments``)."""

    async def patch_deployment_resources(self, name: str, resources: Resources) -> DeploymentState:
        """Set the container's requests and limits (a strategic merge on the ``moltbot`` entry)."""
        requests = {"cpu": resources.cpu_request, "memory": resources.memory_request}
        limits = {"cpu": resources.cpu_limit, "memory": resources.memory_limit}
        container = {"name": CONTAINER, "resources": {"requests": requests, "limits": limits}}
        return await self._patch_deployment(
            name, {"spec": {"template": {"spec": {"containers": [container]}}}}
        )

    async def _patch_deployment(self, name: str, patch: Json) -> DeploymentState:
        async def write(live: Json) -> Json:
            body = {**patch, "metadata": {"resourceVersion": resource_version(live)}}
            return await self.objects.patch("Deployment", name, body)

        return deployment_state(await self.objects.conditional_write("Deployment", name, write))

    async def scale(self, name: str, replicas: int) -> None:
        """Set the Deployment's replicas through the ``scale`` subresource, like kubectl scale
        (on the resourceVersion read: the Scale shares the Deployment's)."""

        async def write(live: Json) -> Json:
            return await self.transport.call(
                "patch",
                "deployments/scale",
                "patch_namespaced_deployment_scale",
                api="apps",
                name=name,
                namespace=self.namespace,
                body={
                    "metadata": {"resourceVersion": resource_version(live)},
                    "spec": {"replicas": replicas},
                },
            )

        await self.objects.conditional_write("Deployment", name, write)

    async def rollout_restart(self, name: str) -> str:
        """Restart the pod the way ``kubectl rollout restart`` does.

        The template annotation ``kubectl.kubernetes.io/restartedAt`` changes, so the Deployment
        rolls out a new pod (Recreate: the old one stops first).

        Returns:
            The annotation value written.
        """
        now = _now()
        patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}
        await self._patch_deployment(name, patch)
        return now

    async def redeploy_deployment(self, name: str, image: str) -> DeploymentState:
        """Set the container image and roll the pod, in one patch.

        Returns:
            The Deployment as the server returned it.

        Raises:
            KubeNotFound: No such Deployment.
            KubeOwnedElsewhere: Another claworc database owns it, or someone changed it since
                it was read (the patch carries the resourceVersion read, see
                :mod:`.preconditions`).
        """
        # Containers merge by name. imagePullPolicy Always: a Deployment made with IfNotPresent
        # (adopted, or by the original Claworc) would otherwise reuse the node's copy of the
        # tag, and "pull again" would not pull.
        container = {"name": CONTAINER, "image": image, "imagePullPolicy": "Always"}
        template = {
            "metadata": {"annotations": {RESTARTED_AT: _now()}},
            "spec": {"containers": [container]},
        }
        return await self._patch_deployment(name, {"spec": {"template": template}})

    async def roll_back_deployment(
        self, name: str, *, ours: str, restarted_at: str | None, image: str
    ) -> DeploymentState | None:
        """Put ``image`` back, only if the Deployment still holds our redeploy.

        Ours means: the live template's image is ``ours`` and its restartedAt annotation is
        ``restarted_at`` (what our redeploy patch wrote). The patch carries the resourceVersion
        of that read, so a change landing in between is refused (409) rather than reverted.

        Returns:
            The Deployment after the patch, or None when it is no longer ours (someone set
            another image or restarted it since): nothing was sent.

        Raises:
            KubeNotFound: No such Deployment.
            KubeOwnedElsewhere: Another database owns it, or it changed after the read.
        """
        theirs = False

        async def write(live: Json) -> Json:
            nonlocal theirs
            state = deployment_state(live)
            if state.image != ours or state.restarted_at != restarted_at:
                theirs = True
                return live
            theirs = False
            containers = [{"name": CONTAINER, "image": image}]
            patch = {
                "metadata": {"resourceVersion": resource_version(live)},
                "spec": {"template": {"spec": {"containers": containers}}},
            }
            return await self.objects.patch("Deployment", name, patch)

        doc = await self.objects.conditional_write("Deployment", name, write)
        return None if theirs else deployment_state(doc)

    async def read_deployment(self, name: str) -> DeploymentState | None:
        """The instance's Deployment, or None when there is none."""
        doc = await self.objects.get_or_none("Deployment", name)
        return None if doc is None else deployment_state(doc)
