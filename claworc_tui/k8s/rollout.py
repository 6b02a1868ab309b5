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
from claworc_tui.k8s.objects import DeploymentState, Json, deployment_state
from claworc_tui.k8s.preconditions import resource_version


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
                    # Containers merge by name. imagePullPolicy Always: a Deployment made with
                    # IfNotPresent (adopted, or by the original Claworc) would otherwise reuse
                    # the node's copy of the tag, and "pull again" would not pull.
                    "spec": {
                        "containers": [
                            {"name": CONTAINER, "image": image, "imagePullPolicy": "Always"}
                        ]
                    },
                }
            }
        }
        return await self._patch_deployment(name, patch)

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
            patch = {
                "metadata": {"resourceVersion": resource_version(live)},
                "spec": {
                    "template": {"spec": {"containers": [{"name": CONTAINER, "image": image}]}}
                },
            }
            return await self._call(
                "patch",
                "deployments",
                "patch_namespaced_deployment",
                api="apps",
                name=name,
                namespace=self.namespace,
                body=patch,
            )

        doc = await self.conditional_write("Deployment", name, write)
        return None if theirs else deployment_state(doc)

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
