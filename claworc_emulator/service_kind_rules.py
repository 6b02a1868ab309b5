"""Service defaulting, validation and cluster-IP / node-port allocation."""

from __future__ import annotations

from typing import Any

from claworc_emulator.errors import (
    FieldError,
    duplicate,
    forbidden_field,
    invalid,
    not_supported,
    required,
)
from claworc_emulator.kind_rules import KindRules, RulesContext

Obj = dict[str, Any]
_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]


def _needs_node_ports(spec: Obj) -> bool:
    return spec.get("type") in ("NodePort", "LoadBalancer")


def _needs_cluster_ip(spec: Obj) -> bool:
    return spec.get("type") != "ExternalName"


class ServiceRules(KindRules):
    """core/v1 Service: type defaults, cluster IP and node port allocation and release,
    validation of ports and of immutable fields.
    """

    name_rule = "label"  # RFC 1123 label since Kubernetes 1.34 (was DNS-1035)

    def default(self, obj: Obj) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        for p in spec.get("ports") or []:
            if isinstance(p, dict):
                p.setdefault("protocol", "TCP")
                if "targetPort" not in p and "port" in p:
                    p["targetPort"] = p["port"]
        if _needs_cluster_ip(spec):
            spec.setdefault("internalTrafficPolicy", "Cluster")
        if _needs_node_ports(spec):
            spec.setdefault("externalTrafficPolicy", "Cluster")

    def prepare_create(self, obj: Obj, ctx: RulesContext) -> None:
        spec = obj["spec"]
        if _needs_cluster_ip(spec):
            ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
            spec["clusterIPs"] = ips
            spec["clusterIP"] = ips[0] if ips else ""
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
        obj["status"] = {"loadBalancer": {}}

    def prepare_update(self, new: Obj, old: Obj, ctx: RulesContext) -> None:
        spec, old_spec = new.setdefault("spec", {}), old.get("spec") or {}
        if _needs_node_ports(old_spec) and not _needs_node_ports(spec):
            for p in spec.get("ports") or []:  # type NodePort -> ClusterIP drops them
                if isinstance(p, dict):
                    p.pop("nodePort", None)
            spec.pop("externalTrafficPolicy", None)
        old_ips = old_spec.get("clusterIPs") or []
        if (
            spec.get("clusterIP")
            and spec.get("clusterIP") != old_spec.get("clusterIP")
            and spec.get("clusterIPs") == old_ips
            and old_ips
        ):
            spec["clusterIPs"] = [spec["clusterIP"], *old_ips[1:]]
        if _needs_cluster_ip(spec) and _needs_cluster_ip(old_spec):
            if not spec.get("clusterIP"):
                spec["clusterIP"] = old_spec.get("clusterIP", "")
            if not spec.get("clusterIPs"):
                spec["clusterIPs"] = old_spec.get("clusterIPs") or [spec["clusterIP"]]
            for key in ("ipFamilies", "ipFamilyPolicy"):
                if key in old_spec:
                    spec.setdefault(key, old_spec[key])
        if _needs_node_ports(spec) and _needs_node_ports(old_spec):
            new_ports = {p.get("nodePort") for p in spec.get("ports") or [] if p.get("nodePort")}
            by_name = {p.get("name", ""): p.get("nodePort") for p in old_spec.get("ports") or []}
            for p in spec.get("ports") or []:
                if not p.get("nodePort"):
                    value = by_name.get(p.get("name", ""))
                    if value and value not in new_ports:
                        p["nodePort"] = value

    def validate(self, obj: Obj, old: Obj | None, ctx: RulesContext) -> list[FieldError]:
        spec = obj.get("spec") or {}
        errs: list[FieldError] = []
        stype = spec.get("type")
        if stype not in _TYPES:
            errs.append(not_supported("spec.type", stype, _TYPES))
            return errs
        ports = spec.get("ports") or []
        if stype != "ExternalName" and not ports:
            errs.append(required("spec.ports"))
        own = {p.get("nodePort") for p in (old or {}).get("spec", {}).get("ports") or []}
        seen: set[int] = set()
        names: set[str] = set()
        allocation_failed = False
        for i, p in enumerate(ports):
            path = f"spec.ports[{i}]"
            if len(ports) > 1 and not p.get("name"):
                errs.append(required(f"{path}.name"))
            elif p.get("name") in names:
                errs.append(duplicate(f"{path}.name", p.get("name")))
            names.add(p.get("name") or "")
            port = p.get("port")
            if not isinstance(port, int) or not 1 <= port <= 65535:
                errs.append(
                    invalid(
                        f"{path}.port",
                        port if port is not None else 0,
                        "must be between 1 and 65535, inclusive",
                    )
                )
            if p.get("protocol") not in ("TCP", "UDP", "SCTP"):
                errs.append(
                    not_supported(f"{path}.protocol", p.get("protocol"), ["SCTP", "TCP", "UDP"])
                )
            node_port = p.get("nodePort")
            if node_port and not _needs_node_ports(spec):
                errs.append(
                    forbidden_field(f"{path}.nodePort", f"may not be used when `type` is '{stype}'")
                )
            elif node_port and not allocation_failed:
                # The allocator stops at the first port it cannot take (one error, not one per
                # port); a port repeated within the Service counts as taken.
                msg = "provided port is already allocated" if node_port in seen else None
                if msg is None and node_port not in own:
                    msg = ctx.alloc.port_error(node_port)
                if msg:
                    errs.append(invalid(f"{path}.nodePort", node_port, msg))
                    allocation_failed = True
                seen.add(node_port)
        ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress")
        if ingress and stype != "LoadBalancer":
            errs.append(
                forbidden_field(
                    "status.loadBalancer.ingress",
                    "may only be used when `spec.type` is 'LoadBalancer'",
                )
            )
        if old is not None:
            old_ips = (old.get("spec") or {}).get("clusterIPs") or []
            new_ips = spec.get("clusterIPs") or []
            if (
                old_ips
                and new_ips
                and old_ips[0] != new_ips[0]
                and _needs_cluster_ip(old.get("spec") or {})
                and _needs_cluster_ip(spec)
            ):
                errs.append(invalid("spec.clusterIPs[0]", new_ips, "may not change once set"))
            if spec.get("clusterIP") and new_ips and spec["clusterIP"] != new_ips[0]:
                errs.append(invalid("spec.clusterIPs", new_ips, "element [0] must match clusterIP"))
        elif spec.get("clusterIP") and spec["clusterIP"] != "None":
            msg = ctx.alloc.ip_error(spec["clusterIP"])
            if msg:
                errs.append(
                    invalid("spec.clusterIPs", spec.get("clusterIPs") or [spec["clusterIP"]], msg)
                )
        return errs

    def admit(self, obj: Obj, old: Obj | None, ctx: RulesContext) -> None:
        """Allocate what is still missing (runs once validation has passed)."""
        spec = obj["spec"]
        if _needs_cluster_ip(spec) and not spec.get("clusterIP"):
            ip = ctx.alloc.new_ip()
            spec["clusterIP"], spec["clusterIPs"] = ip, [ip]
        if _needs_node_ports(spec):
            taken = {p.get("nodePort") for p in spec.get("ports") or [] if p.get("nodePort")}
            for p in spec.get("ports") or []:
                if not p.get("nodePort"):
                    p["nodePort"] = ctx.alloc.new_port({int(t) for t in taken if t})
                    taken.add(p["nodePort"])

    def committed(self, obj: Obj | None, old: Obj | None, ctx: RulesContext) -> None:
        for o, add in ((old, False), (obj, True)):
            spec = (o or {}).get("spec") or {}
            ip = spec.get("clusterIP")
            ports = {p["nodePort"] for p in spec.get("ports") or [] if p.get("nodePort")}
            if add:
                if ip and ip != "None":
                    ctx.alloc.cluster_ips.add(ip)
                ctx.alloc.node_ports |= ports
            else:
                if ip:
                    ctx.alloc.cluster_ips.discard(ip)
                ctx.alloc.node_ports -= ports
