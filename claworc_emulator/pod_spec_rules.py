"""Defaulting and validation of pod specs (for pods and pod templates)."""

from __future__ import annotations

from typing import Any

from claworc_emulator.errors import FieldError, duplicate, invalid, not_supported, required
from claworc_emulator.validation import DNS1123_LABEL, canonical_quantity

Obj = dict[str, Any]


def default_container(c: Obj) -> None:
    """Container defaults: pull policy by image tag, canonical quantities, probe defaults, the
    termination message path/policy, port protocols and fieldRef API versions.
    """
    image = c.get("image") or ""
    if "imagePullPolicy" not in c:
        tagless = ":" not in image.rsplit("/", 1)[-1] and "@" not in image
        c["imagePullPolicy"] = "Always" if tagless or image.endswith(":latest") else "IfNotPresent"
    resources = c.setdefault("resources", {})
    for key in ("requests", "limits"):
        amounts = resources.get(key) if isinstance(resources, dict) else None
        if isinstance(amounts, dict):
            for name, amount in amounts.items():
                amounts[name] = canonical_quantity(amount)
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        if isinstance(c.get(probe), dict):
            default_probe(c[probe])
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    for p in c.get("ports") or []:
        if isinstance(p, dict):
            p.setdefault("protocol", "TCP")
    for e in c.get("env") or []:
        ref = (e.get("valueFrom") or {}).get("fieldRef") if isinstance(e, dict) else None
        if isinstance(ref, dict):
            ref.setdefault("apiVersion", "v1")


def default_probe(p: Obj) -> None:
    """Probe defaults: scheme, timeouts, periods and thresholds."""
    if isinstance(p.get("httpGet"), dict):
        p["httpGet"].setdefault("scheme", "HTTP")
    p.setdefault("timeoutSeconds", 1)
    p.setdefault("periodSeconds", 10)
    p.setdefault("successThreshold", 1)
    p.setdefault("failureThreshold", 3)


def default_pod_spec(spec: Obj) -> None:
    """Pod spec defaults, as the apiserver applies them to pods and pod templates."""
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict):
                default_container(c)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for v in spec.get("volumes") or []:
        if not isinstance(v, dict):
            continue
        for src in ("secret", "configMap"):
            if isinstance(v.get(src), dict):
                v[src].setdefault("defaultMode", 420)
        if "emptyDir" in v and v["emptyDir"] is None:
            v["emptyDir"] = {}
        if isinstance(v.get("emptyDir"), dict) and "sizeLimit" in v["emptyDir"]:
            v["emptyDir"]["sizeLimit"] = canonical_quantity(v["emptyDir"]["sizeLimit"])


def _validate_container(c: Any, path: str, volumes: set[str], template: bool) -> list[FieldError]:
    if not isinstance(c, dict):
        return [invalid(path, c, "must be an object")]
    errs: list[FieldError] = []
    name = c.get("name") or ""
    if not name:
        errs.append(required(f"{path}.name"))
    else:
        errs += [invalid(f"{path}.name", name, m) for m in DNS1123_LABEL.errors(name)]
    image = c.get("image")
    if not image:
        errs.append(required(f"{path}.image"))
    elif not template and image != image.strip():
        # Pod validation checks this; a Deployment's template validation does not.
        errs.append(invalid(f"{path}.image", image, "must not have leading or trailing whitespace"))
    port_names: set[str] = set()
    for i, p in enumerate(c.get("ports") or []):
        pname = p.get("name") if isinstance(p, dict) else None
        if pname:
            if pname in port_names:
                errs.append(duplicate(f"{path}.ports[{i}].name", pname))
            port_names.add(pname)
        port = p.get("containerPort") if isinstance(p, dict) else None
        if not isinstance(port, int) or not 1 <= port <= 65535:
            errs.append(
                invalid(
                    f"{path}.ports[{i}].containerPort",
                    port or 0,
                    "must be between 1 and 65535, inclusive",
                )
            )
    for i, e in enumerate(c.get("env") or []):
        if not isinstance(e, dict) or not e.get("name"):
            errs.append(required(f"{path}.env[{i}].name"))
    for i, vm in enumerate(c.get("volumeMounts") or []):
        if not isinstance(vm, dict):
            continue
        vname = vm.get("name") or ""
        if not vname:
            errs.append(required(f"{path}.volumeMounts[{i}].name"))
        elif vname not in volumes:
            errs.append(
                FieldError("FieldValueNotFound", f"{path}.volumeMounts[{i}].name", "", vname)
            )
        if not vm.get("mountPath"):
            errs.append(required(f"{path}.volumeMounts[{i}].mountPath"))
    return errs


def validate_pod_spec(spec: Any, path: str, *, template: bool = False) -> list[FieldError]:
    """Field errors of the pod spec at ``path`` (``template``: a pod template's spec)."""
    if not isinstance(spec, dict):
        return [required(path)]
    errs: list[FieldError] = []
    volumes: set[str] = set()
    for i, v in enumerate(spec.get("volumes") or []):
        vname = v.get("name", "") if isinstance(v, dict) else ""
        if not vname:
            errs.append(required(f"{path}.volumes[{i}].name"))
            continue
        errs += [
            invalid(f"{path}.volumes[{i}].name", vname, m) for m in DNS1123_LABEL.errors(vname)
        ]
        if vname in volumes:
            errs.append(duplicate(f"{path}.volumes[{i}].name", vname))
        volumes.add(vname)
    containers = spec.get("containers")
    if not containers:
        errs.append(required(f"{path}.containers"))
    seen: set[str] = set()
    for key in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(key) or []):
            errs += _validate_container(c, f"{path}.{key}[{i}]", volumes, template)
            cname = c.get("name") if isinstance(c, dict) else None
            if cname and cname in seen:
                errs.append(duplicate(f"{path}.{key}[{i}].name", cname))
            if cname:
                seen.add(cname)
    policy = spec.get("restartPolicy", "Always")
    allowed = ["Always"] if template else ["Always", "OnFailure", "Never"]
    if policy not in allowed:
        errs.append(not_supported(f"{path}.restartPolicy", policy, allowed))
    return errs


def pod_containers(pod: Obj) -> list[Obj]:
    """The containers of ``pod`` (only well-formed entries)."""
    return [c for c in (pod.get("spec") or {}).get("containers") or [] if isinstance(c, dict)]
