"""Redeploying an instance: a new image (or the same tag pulled again) and a fresh pod.

One strategic merge patch sets the ``moltbot`` container's image and the template's
``kubectl.kubernetes.io/restartedAt`` annotation together, so the Deployment rolls exactly once
(Recreate: the old pod stops, then the new one starts; the PVCs, and so the data, stay). The
container's ``imagePullPolicy`` is ``Always``, so a new pod pulls the tag again even when it did
not change: the annotation alone is what re-pulls ``:latest``, as ``kubectl rollout restart`` does.
"""

from __future__ import annotations

from datetime import UTC, datetime

from claworc_tui.k8s.deployment_ops import DeploymentOps
from claworc_tui.k8s.errors import KubeNotFound
from claworc_tui.k8s.manifests import CONTAINER, RESTARTED_AT
from claworc_tui.k8s.objects import DeploymentState, deployment_state


class RolloutOps(DeploymentOps):
    """Image updates and rollout progress (mixed into :class:`~.client.KubeClient`)."""

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
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        patch = {
            "spec": {
                "template": {
                    "metadata": {"annotations": {RESTARTED_AT: now}},
                    "spec": {"containers": [{"name": CONTAINER, "image": image}]},
                }
            }
        }
        return await self._patch_deployment(name, patch)

    async def read_deployment(self, name: str) -> DeploymentState | None:
        """The instance's Deployment, or None when there is none."""
        try:
            doc = await self._call(
                "get",
                "deployments",
                "read_namespaced_deployment",
                api="apps",
                name=name,
                namespace=self.namespace,
            )
        except KubeNotFound:
            return None
        return deployment_state(doc)
