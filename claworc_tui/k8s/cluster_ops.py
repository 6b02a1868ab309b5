"""Questions about the cluster rather than one instance: version, namespace, permissions, nodes,
NodePorts in use, managed objects (for orphans), pods and events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from claworc_tui.k8s.errors import (
    KubeError,
    KubeForbidden,
    KubeNotFound,
    KubeTimeout,
    KubeUnreachable,
)
from claworc_tui.k8s.manifests import MANAGED_SELECTOR
from claworc_tui.k8s.objects import Json, event_info
from claworc_tui.k8s.pods import parse_pod
from claworc_tui.k8s.store import Part
from claworc_tui.models.cluster import EventInfo, NodePortOwner, ServerVersion
from claworc_tui.models.pod import PodInfo

#: Every (verb, resource) the app uses; ``deploy/rbac.yaml`` grants exactly these.
APP_ACTIONS: tuple[tuple[str, str], ...] = (
    ("get", "pods"),
    ("list", "pods"),
    ("watch", "pods"),
    ("get", "pods/log"),
    ("create", "deployments"),
    ("get", "deployments"),
    ("list", "deployments"),
    ("update", "deployments"),
    ("patch", "deployments"),
    ("delete", "deployments"),
    ("patch", "deployments/scale"),
    ("create", "persistentvolumeclaims"),
    ("get", "persistentvolumeclaims"),
    ("list", "persistentvolumeclaims"),
    ("patch", "persistentvolumeclaims"),
    ("delete", "persistentvolumeclaims"),
    ("create", "secrets"),
    ("get", "secrets"),
    ("list", "secrets"),
    ("update", "secrets"),
    ("delete", "secrets"),
    ("create", "configmaps"),
    ("get", "configmaps"),
    ("list", "configmaps"),
    ("update", "configmaps"),
    ("delete", "configmaps"),
    ("create", "services"),
    ("get", "services"),
    ("list", "services"),
    ("update", "services"),
    ("delete", "services"),
    ("list", "events"),
)
#: Actions that change the cluster: if none is allowed, the app runs read-only.
WRITE_VERBS = frozenset({"create", "update", "patch", "delete"})
_GROUPS = {"deployments": "apps", "replicasets": "apps"}


def _rule_covers(rule: Json, verb: str, resource: str) -> bool:
    """Whether one RBAC resource rule allows ``verb`` on every object of ``resource``.

    The matching of Kubernetes' RBAC (``rbac/v1`` evaluation helpers): ``*`` matches any verb,
    group or resource, ``*/log`` any resource's ``log`` subresource, and a rule limited to
    ``resourceNames`` does not cover the whole resource.
    """
    plural, _, sub = resource.partition("/")
    verbs = rule.get("verbs") or []
    groups = rule.get("apiGroups") or []
    resources = rule.get("resources") or []
    if rule.get("resourceNames"):
        return False
    if "*" not in verbs and verb not in verbs:
        return False
    if "*" not in groups and _GROUPS.get(plural, "") not in groups:
        return False
    return "*" in resources or resource in resources or (bool(sub) and f"*/{sub}" in resources)


#: The kinds an instance is made of (its pods aside), as :meth:`ClusterOps.managed_docs` lists them.
MANAGED_KINDS = ("Deployment", "PersistentVolumeClaim", "Secret", "ConfigMap", "Service")


class NamespaceStatus(StrEnum):
    """What :meth:`ClusterOps.ensure_namespace` found."""

    EXISTS = "exists"
    CREATED = "created"
    UNKNOWN = "unknown"
    """We may not read namespaces (a namespace-scoped account); calls will tell if it is missing."""


class Permission(BaseModel):
    """The answer of one SelfSubjectAccessReview."""

    model_config = ConfigDict(frozen=True)

    verb: str
    resource: str
    allowed: bool
    reason: str | None = None


class Permissions(BaseModel):
    """What the current user may do in the namespace."""

    model_config = ConfigDict(frozen=True)

    checks: tuple[Permission, ...]

    def allowed(self, verb: str, resource: str) -> bool:
        """True when ``verb`` on ``resource`` was checked and allowed."""
        return any(c.allowed for c in self.checks if (c.verb, c.resource) == (verb, resource))

    @property
    def denied(self) -> list[Permission]:
        """The checks that were refused."""
        return [c for c in self.checks if not c.allowed]

    @property
    def read_only(self) -> bool:
        """True when no write action at all is allowed."""
        return not any(c.allowed for c in self.checks if c.verb in WRITE_VERBS)


class NodePorts(BaseModel):
    """NodePorts held by Services, and whether we could see every namespace."""

    model_config = ConfigDict(frozen=True)

    owners: dict[int, NodePortOwner]
    cluster_wide: bool
    """False when only our namespace could be listed (other namespaces may hold more ports)."""


class ClusterOps(Part):
    """Cluster-level reads, and the namespace's pods and events (``client.cluster``)."""

    async def server_version(self) -> ServerVersion:
        """The API server's version (also a cheap reachability check)."""
        doc = await self.transport.call("get", "version", "get_code", api="version")
        return ServerVersion(
            git_version=str(doc.get("gitVersion", "")),
            major=str(doc.get("major", "")),
            minor=str(doc.get("minor", "")),
            platform=str(doc.get("platform", "")),
        )

    async def ensure_namespace(self) -> NamespaceStatus:
        """Create the namespace if it is missing.

        Raises:
            KubeForbidden: It is missing and we may not create it (the message says so).
        """
        ns = self.namespace
        try:
            await self.transport.call("get", "namespaces", "read_namespace", name=ns)
            return NamespaceStatus.EXISTS
        except KubeForbidden:
            return NamespaceStatus.UNKNOWN
        except KubeNotFound:
            pass
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
        try:
            await self.transport.call(
                "create", "namespaces", "create_namespace", name=None, body=body
            )
        except KubeForbidden as exc:
            raise KubeForbidden(
                f'namespace "{ns}" does not exist and you may not create it; ask an admin to run '
                f"`kubectl create namespace {ns}` (server said: {exc.message})",
                user=exc.user,
                group=exc.group,
                status=403,
                reason=exc.reason,
                verb="create",
                resource="namespaces",
                name=ns,
            ) from None
        return NamespaceStatus.CREATED

    async def can_i(self, actions: Iterable[tuple[str, str]] = APP_ACTIONS) -> Permissions:
        """Ask the server which actions are allowed in the namespace.

        One SelfSubjectRulesReview answers for every action its rules cover: rules are additive,
        so an action a rule covers is allowed. When the review is complete (RBAC alone, as on
        most clusters), an action no rule covers is denied — RBAC has no deny rules. When it is
        incomplete (an authorizer that cannot list its rules, such as a webhook) or cannot be
        made, each action not covered is asked on its own with a SelfSubjectAccessReview. So a
        start costs one request instead of one per action (``open_services``; BENCHMARKS.md).

        Args:
            actions: (verb, resource) pairs; a resource may name a subresource (``pods/log``).
        """
        pairs = list(actions)
        rules, complete = await self._rules_review()
        checks: dict[tuple[str, str], Permission] = {}
        ask: list[tuple[str, str]] = []
        for verb, resource in pairs:
            if any(_rule_covers(rule, verb, resource) for rule in rules):
                checks[verb, resource] = Permission(verb=verb, resource=resource, allowed=True)
            elif complete:
                why = f"no rule of yours allows it in {self.namespace} (SelfSubjectRulesReview)"
                checks[verb, resource] = Permission(
                    verb=verb, resource=resource, allowed=False, reason=why
                )
            else:
                ask.append((verb, resource))
        for answer in await asyncio.gather(*(self._review(verb, res) for verb, res in ask)):
            checks[answer.verb, answer.resource] = answer
        return Permissions(checks=tuple(checks[pair] for pair in pairs))

    async def _rules_review(self) -> tuple[list[Json], bool]:
        """(resource rules, complete) of a SelfSubjectRulesReview; ([], False) if refused."""
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectRulesReview",
            "spec": {"namespace": self.namespace},
        }
        try:
            doc = await self.transport.call(
                "create",
                "selfsubjectrulesreviews",
                "create_self_subject_rules_review",
                api="authz",
                body=body,
            )
        except (KubeUnreachable, KubeTimeout):
            raise
        except KubeError:
            return [], False  # refused or unknown to this server: ask action by action
        status = doc.get("status") or {}
        rules = [rule for rule in status.get("resourceRules") or [] if isinstance(rule, dict)]
        return rules, not status.get("incomplete", True)

    async def _review(self, verb: str, resource: str) -> Permission:
        plural, _, sub = resource.partition("/")
        attrs: dict[str, str] = {
            "namespace": self.namespace,
            "verb": verb,
            "resource": plural,
            "group": _GROUPS.get(plural, ""),
        }
        if sub:
            attrs["subresource"] = sub
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attrs},
        }
        doc = await self.transport.call(
            "create",
            "selfsubjectaccessreviews",
            "create_self_subject_access_review",
            api="authz",
            body=body,
        )
        status = doc.get("status") or {}
        return Permission(
            verb=verb,
            resource=resource,
            allowed=bool(status.get("allowed")),
            reason=status.get("reason") or status.get("evaluationError") or None,
        )

    async def node_address(self, override: str | None = None) -> str | None:
        """Where the NodePorts are reachable: ``override`` if set, else the first node's
        ExternalIP, else its InternalIP; None when nodes cannot be listed."""
        if override:
            return override
        try:
            doc = await self.transport.call("list", "nodes", "list_node")
        except KubeForbidden:
            return None
        for wanted in ("ExternalIP", "InternalIP"):
            for node in doc.get("items") or []:
                for addr in (node.get("status") or {}).get("addresses") or []:
                    if addr.get("type") == wanted and addr.get("address"):
                        return str(addr["address"])
        return None

    async def service_node_ports(self) -> NodePorts:
        """Every nodePort held by a Service: in all namespaces if allowed, else in ours."""
        try:
            doc = await self.transport.call("list", "services", "list_service_for_all_namespaces")
            cluster_wide = True
        except KubeForbidden:
            doc = await self.transport.call(
                "list", "services", "list_namespaced_service", namespace=self.namespace
            )
            cluster_wide = False
        owners: dict[int, NodePortOwner] = {}
        for svc in doc.get("items") or []:
            meta = svc.get("metadata") or {}
            for port in (svc.get("spec") or {}).get("ports") or []:
                if port.get("nodePort"):
                    owners[int(port["nodePort"])] = NodePortOwner(
                        node_port=int(port["nodePort"]),
                        namespace=str(meta.get("namespace") or self.namespace),
                        service=str(meta.get("name", "")),
                    )
        return NodePorts(owners=owners, cluster_wide=cluster_wide)

    async def managed_docs(
        self, kinds: Iterable[str] = MANAGED_KINDS
    ) -> dict[str, dict[str, Json]]:
        """The objects labelled ``managed-by=claworc`` in the namespace, by kind then name.

        One list per kind (concurrently), never a read per object.
        """
        wanted = list(kinds)
        docs = await asyncio.gather(*(self.objects.list(kind, MANAGED_SELECTOR) for kind in wanted))
        return {
            kind: {str(item["metadata"]["name"]): item for item in doc.get("items") or []}
            for kind, doc in zip(wanted, docs, strict=True)
        }

    async def list_pods(self, label_selector: str = MANAGED_SELECTOR) -> list[PodInfo]:
        """The pods matching ``label_selector`` (``app=bot-alpha`` for one instance)."""
        doc = await self.objects.list("Pod", label_selector)
        return [parse_pod(item) for item in doc.get("items") or []]

    async def read_pod(self, name: str) -> PodInfo | None:
        """One pod, or None if it does not exist."""
        doc = await self.objects.get_or_none("Pod", name)
        return None if doc is None else parse_pod(doc)

    async def events_for(self, names: Iterable[str], limit: int = 100) -> list[EventInfo]:
        """Events about the named objects (instance objects, pods), newest first.

        Args:
            names: Object names; one ``involvedObject.name=`` query each, run concurrently.
            limit: At most this many events are returned.
        """
        unique = list(dict.fromkeys(names))
        docs = await asyncio.gather(
            *(
                self.transport.call(
                    "list",
                    "events",
                    "list_namespaced_event",
                    namespace=self.namespace,
                    field_selector=f"involvedObject.name={name}",
                )
                for name in unique
            )
        )
        events = [event_info(item) for doc in docs for item in doc.get("items") or []]
        events.sort(key=lambda e: e.last_time.timestamp() if e.last_time else 0.0, reverse=True)
        return events[:limit]
