"""Changing a running instance's Deployment: scale, restart, resources.

Every write is conditional (see :mod:`.preconditions`): on the resourceVersion read, never onto
another claworc database's Deployment.
"""

from __future__ import annotations

from datetime import UTC, datetime

from claworc_tui.k8s.instance_ops import InstanceOps
from claworc_tui.k8s.manifests import CONTAINER, RESTARTED_AT
from claworc_tui.k8s.objects import DeploymentState, Json, deployment_state
from claworc_tui.k8s.preconditions import resource_version
from claworc_tui.models.instance import Resources


class DeploymentOps(InstanceOps):
    """Scale, restart and resize a Deployment (mixed into :class:`~.client.KubeClient`)."""

    async def patch_deployment_resources(self, name: str, resources: Resources) -> DeploymentState:
        """Set the container's requests and limits (a strategic merge on the ``moltbot`` entry)."""
        patch = {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": CONTAINER,
                                "resources": {
                                    "requests": {
                                        "cpu": resources.cpu_request,
                                        "memory": resources.memory_request,
                                    },
                                    "limits": {
                                        "cpu": resources.cpu_limit,
                                        "memory": resources.memory_limit,
                                    },
                                },
                            }
                        ]
                    }
                }
            }
        }
        return await self._patch_deployment(name, patch)

    async def _patch_deployment(self, name: str, patch: Json) -> DeploymentState:
        async def write(live: Json) -> Json:
            return await self._call(
                "patch",
                "deployments",
                "patch_namespaced_deployment",
                api="apps",
                name=name,
                namespace=self.namespace,
                body={**patch, "metadata": {"resourceVersion": resource_version(live)}},
            )

        return deployment_state(await self.conditional_write("Deployment", name, write))

    async def scale(self, name: str, replicas: int) -> None:
        """Set the Deployment's replicas through the ``scale`` subresource, like kubectl scale
        (on the resourceVersion read: the Scale shares the Deployment's)."""

        async def write(live: Json) -> Json:
            return await self._call(
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

        await self.conditional_write("Deployment", name, write)

    async def rollout_restart(self, name: str) -> str:
        """Restart the pod the way ``kubectl rollout restart`` does.

        The template annotation ``kubectl.kubernetes.io/restartedAt`` changes, so the Deployment
        rolls out a new pod (Recreate: the old one stops first). The time has microseconds, unlike
        kubectl's, so two restarts within one second still both roll.

        Returns:
            The annotation value written.
        """
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}
        await self._patch_deployment(name, patch)
        return now
