"""The resource types the emulator serves, with their API group and kind."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    """One served resource type: plural, kind, API group, namespaced or not, its verbs."""

    plural: str
    kind: str
    group: str = ""
    version: str = "v1"
    namespaced: bool = True
    return_deleted: bool = False  # registry ReturnDeletedObject: DELETE answers with the object
    has_status: bool = False  # status is a subresource: main-resource writes keep the old status
    has_generation: bool = False
    view_of: str = ""  # another group's view of the same storage (read-only, converted)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """GroupResource string as used in messages, e.g. ``deployments.apps``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        """GroupKind string as used in Invalid messages, e.g. ``Deployment.apps``."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"


_ALL = [
    Resource("namespaces", "Namespace", namespaced=False, return_deleted=True, has_status=True),
    Resource("nodes", "Node", namespaced=False, has_status=True),
    Resource("pods", "Pod", return_deleted=True, has_status=True, has_generation=True),
    Resource(
        "persistentvolumeclaims", "PersistentVolumeClaim", return_deleted=True, has_status=True
    ),
    Resource("secrets", "Secret"),
    Resource("configmaps", "ConfigMap"),
    Resource("services", "Service", return_deleted=True, has_status=True),
    Resource("events", "Event"),
    Resource("serviceaccounts", "ServiceAccount", return_deleted=True),
    Resource("deployments", "Deployment", "apps", has_status=True, has_generation=True),
    Resource("replicasets", "ReplicaSet", "apps", has_status=True, has_generation=True),
    Resource("roles", "Role", "rbac.authorization.k8s.io"),
    Resource("rolebindings", "RoleBinding", "rbac.authorization.k8s.io"),
    Resource("clusterroles", "ClusterRole", "rbac.authorization.k8s.io", namespaced=False),
    Resource(
        "clusterrolebindings", "ClusterRoleBinding", "rbac.authorization.k8s.io", namespaced=False
    ),
]

# events.k8s.io/v1 Events: the same objects as core/v1 Events, seen through the conversion.
EVENTS_V1 = Resource("events", "Event", "events.k8s.io", view_of="events")

RESOURCES: dict[tuple[str, str], Resource] = {(r.group, r.plural): r for r in [*_ALL, EVENTS_V1]}
BY_PLURAL: dict[str, Resource] = {r.plural: r for r in _ALL}


def lookup(group: str, plural: str) -> Resource | None:
    """The resource ``plural`` of API ``group``, or None when it is not served."""
    return RESOURCES.get((group, plural))


def core(plural: str) -> Resource:
    """A resource of the core group (or any served one) by plural; KeyError when unknown."""
    return BY_PLURAL[plural]
