"""Per-resource defaulting, admission, validation and update rules."""

from __future__ import annotations

import copy
import random
from typing import Any, Protocol

from claworc_emulator.config import EmulatorConfig
from claworc_emulator.errors import (
    ApiError,
    FieldError,
    forbidden_field,
    invalid,
    not_supported,
    required,
)
from claworc_emulator.object_store import ObjectStore
from claworc_emulator.pod_spec_rules import default_pod_spec, validate_pod_spec
from claworc_emulator.resources import Resource
from claworc_emulator.selectors import labels_match, selector_from_match_labels
from claworc_emulator.service_ip_allocator import ServiceIpAllocator
from claworc_emulator.validation import validate_labels

Obj = dict[str, Any]


class RulesContext(Protocol):
    """What the rules of a kind may consult: the object store, the configuration, the allocator."""

    store: ObjectStore
    config: EmulatorConfig
    alloc: ServiceIpAllocator


def _label_selector_repr(sel: Any) -> Any:
    """A LabelSelector as field errors print it (JSON, empty fields omitted)."""
    sel = sel if isinstance(sel, dict) else {}
    out: dict[str, Any] = {}
    if sel.get("matchLabels"):
        out["matchLabels"] = dict(sorted(sel["matchLabels"].items()))
    if sel.get("matchExpressions"):
        out["matchExpressions"] = sel["matchExpressions"]
    return out


class KindRules:
    """The rules of one kind: decoding checks, defaulting, server-set fields, validation,
    admission and after-commit effects. Kinds without special rules use this base.
    """

    name_rule = "subdomain"

    def decode(self, obj: Obj) -> None:
        """Checks done while decoding the body (errors are 400 BadRequest)."""

    def default(self, obj: Obj) -> None:
        """Defaults applied to every decoded object (create and update)."""

    def prepare_create(self, obj: Obj, ctx: RulesContext) -> None:
        """Server-set fields and mutating admission on create."""

    def prepare_update(self, new: Obj, old: Obj, ctx: RulesContext) -> None:
        """Carry-over of server-set fields on update."""

    def validate(self, obj: Obj, old: Obj | None, ctx: RulesContext) -> list[FieldError]:
        return []

    def admit(self, obj: Obj, old: Obj | None, ctx: RulesContext) -> None:
        """Validating admission (runs after validation); raise ApiError to deny."""

    def committed(self, obj: Obj | None, old: Obj | None, ctx: RulesContext) -> None:
        """Called after a create (old None), update, or final delete (obj None)."""


# -- workloads -------------------------------------------------------------------------------


def _immutable_selector(selector: Any) -> FieldError:
    """The error for an update that changes a workload's ``spec.selector``."""
    return invalid("spec.selector", _label_selector_repr(selector), "field is immutable")


def _default_template(spec: Obj) -> None:
    """A workload's pod template defaults: empty metadata, and the pod spec's defaults."""
    template = spec.setdefault("template", {})
    template.setdefault("metadata", {})
    default_pod_spec(template.setdefault("spec", {}))


def _template_errors(spec: Obj) -> list[FieldError]:
    """Field errors of a workload's pod template spec."""
    template = spec.get("template") or {}
    return validate_pod_spec(template.get("spec"), "spec.template.spec", template=True)


class DeploymentRules(KindRules):
    """apps/v1 Deployment: strategy and revision defaults, spec validation, an immutable
    selector."""

    def default(self, obj: Obj) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        strategy = spec.setdefault("strategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            ru = strategy.setdefault("rollingUpdate", {})
            ru.setdefault("maxUnavailable", "25%")
            ru.setdefault("maxSurge", "25%")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        _default_template(spec)

    def validate(self, obj: Obj, old: Obj | None, ctx: RulesContext) -> list[FieldError]:
        spec = obj.get("spec") or {}
        errs: list[FieldError] = []
        replicas = spec.get("replicas", 1)
        if not isinstance(replicas, int) or replicas < 0:
            errs.append(invalid("spec.replicas", replicas, "must be greater than or equal to 0"))
        selector = spec.get("selector")
        tmeta = (spec.get("template") or {}).get("metadata") or {}
        if selector is None:
            errs.append(required("spec.selector"))
        else:
            label_errs = validate_labels(selector.get("matchLabels"), "spec.selector.matchLabels")
            reqs = selector_from_match_labels(selector)
            if label_errs:
                errs += label_errs
                errs.append(
                    invalid(
                        "spec.selector", _label_selector_repr(selector), "invalid label selector"
                    )
                )
            elif not reqs:
                errs.append(
                    invalid(
                        "spec.selector",
                        _label_selector_repr(selector),
                        "empty selector is invalid for deployment",
                    )
                )
            elif not labels_match(reqs, {"metadata": tmeta}):
                errs.append(
                    invalid(
                        "spec.template.metadata.labels",
                        tmeta.get("labels") or {},
                        "`selector` does not match template `labels`",
                    )
                )
        if not any(e.field.startswith("spec.selector") for e in errs):
            errs += validate_labels(tmeta.get("labels"), "spec.template.metadata.labels")
        errs += _template_errors(spec)
        strategy = spec.get("strategy") or {}
        stype = strategy.get("type")
        if stype not in ("Recreate", "RollingUpdate"):
            errs.append(not_supported("spec.strategy.type", stype, ["Recreate", "RollingUpdate"]))
        elif stype == "Recreate" and strategy.get("rollingUpdate") is not None:
            errs.append(
                forbidden_field(
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                )
            )
        if old is not None:
            old_sel = (old.get("spec") or {}).get("selector")
            if selector and old_sel != selector:
                errs.append(_immutable_selector(selector))
        return errs


class ReplicaSetRules(DeploymentRules):
    """apps/v1 ReplicaSet: the Deployment rules without the strategy."""

    def default(self, obj: Obj) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        _default_template(spec)

    def validate(self, obj: Obj, old: Obj | None, ctx: RulesContext) -> list[FieldError]:
        spec = obj.get("spec") or {}
        errs: list[FieldError] = []
        selector = spec.get("selector")
        if not selector:
            errs.append(required("spec.selector"))
        errs += _template_errors(spec)
        old_sel = (old.get("spec") or {}).get("selector") if old is not None else selector
        if selector != old_sel:
            errs.append(_immutable_selector(selector))
        return errs


_POD_UPDATE_MSG = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)"
)


def _mutable_pod_fields_stripped(spec: Obj) -> Obj:
    s = copy.deepcopy(spec)
    for key in ("containers", "initContainers"):
        for c in s.get(key) or []:
            if isinstance(c, dict):
                c.pop("image", None)
    for key in ("activeDeadlineSeconds", "tolerations", "nodeName"):
        s.pop(key, None)
    return s


class PodRules(KindRules):
    """core/v1 Pod: spec defaults, QoS class, the service-account token volume, and the rule
    that only a few pod fields may change after creation.
    """

    def default(self, obj: Obj) -> None:
        spec = obj.setdefault("spec", {})
        default_pod_spec(spec)
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("priority", 0)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")

    def prepare_create(self, obj: Obj, ctx: RulesContext) -> None:
        spec = obj["spec"]
        spec.setdefault("serviceAccountName", "default")
        spec["serviceAccount"] = spec["serviceAccountName"]
        tolerations = spec.setdefault("tolerations", [])
        for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
            if not any(t.get("key") == key for t in tolerations if isinstance(t, dict)):
                tolerations.append(
                    {
                        "key": key,
                        "operator": "Exists",
                        "effect": "NoExecute",
                        "tolerationSeconds": 300,
                    }
                )
        suffix = "".join(random.choices("bcdfghjklmnpqrstvwxz2456789", k=5))
        vol = f"kube-api-access-{suffix}"
        spec.setdefault("volumes", []).append(
            {
                "name": vol,
                "projected": {
                    "defaultMode": 420,
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {
                            "configMap": {
                                "name": "kube-root-ca.crt",
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            }
                        },
                        {
                            "downwardAPI": {
                                "items": [
                                    {
                                        "path": "namespace",
                                        "fieldRef": {
                                            "apiVersion": "v1",
                                            "fieldPath": "metadata.namespace",
                                        },
                                    }
                                ]
                            }
                        },
                    ],
                },
            }
        )
        for c in spec.get("containers") or []:
            c.setdefault("volumeMounts", []).append(
                {
                    "name": vol,
                    "readOnly": True,
                    "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                }
            )
        obj["status"] = {"phase": "Pending", "qosClass": _qos_class(spec)}

    def validate(self, obj: Obj, old: Obj | None, ctx: RulesContext) -> list[FieldError]:
        errs = validate_pod_spec(obj.get("spec"), "spec")
        if old is not None and _mutable_pod_fields_stripped(
            obj.get("spec") or {}
        ) != _mutable_pod_fields_stripped(old.get("spec") or {}):
            errs.append(forbidden_field("spec", _POD_UPDATE_MSG))
        return errs


def _qos_class(spec: Obj) -> str:
    res = [c.get("resources") or {} for c in spec.get("containers") or []]
    if not any(r.get("requests") or r.get("limits") for r in res):
        return "BestEffort"
    guaranteed = all(
        (r.get("limits") or {}).get("cpu")
        and (r.get("limits") or {}).get("memory")
        and (r.get("requests") or r.get("limits")) == r.get("limits")
        for r in res
    )
    return "Guaranteed" if guaranteed else "Burstable"


_TABLE: dict[str, KindRules] = {}


def rules_for(res: Resource) -> KindRules:
    """The rules of resource ``res`` (the base :class:`KindRules` for kinds without any)."""
    if not _TABLE:
        _TABLE.update(_build_table())
    return _TABLE.get(res.plural) or _TABLE["*"]


def _build_table() -> dict[str, KindRules]:
    from claworc_emulator.config_kind_rules import (
        ConfigMapRules,
        NamespaceRules,
        PvcRules,
        SecretRules,
    )
    from claworc_emulator.service_kind_rules import ServiceRules

    return {
        "deployments": DeploymentRules(),
        "replicasets": ReplicaSetRules(),
        "pods": PodRules(),
        "secrets": SecretRules(),
        "configmaps": ConfigMapRules(),
        "persistentvolumeclaims": PvcRules(),
        "namespaces": NamespaceRules(),
        "services": ServiceRules(),
        "*": KindRules(),
    }


__all__ = ["ApiError", "KindRules", "RulesContext", "rules_for"]
