"""The YAML view of an instance: each object as the server has it, rendered as YAML text.

The small emitter below covers what Kubernetes objects hold (maps, lists, strings, numbers,
booleans, null). A string is written plain only when YAML would read it back as the same string;
otherwise it is JSON-quoted (valid YAML), which also turns control characters from the cluster
into escapes, so the text is safe to show. Multi-line strings (a ConfigMap's ``clawdbot.json``)
are block literals, as kubectl writes them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict

from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.live import live_objects, namespace_events
from claworc_tui.models.cluster import EventInfo
from claworc_tui.models.names import object_names
from claworc_tui.services.store import Store

#: Strings written without quotes (matched whole: ``$`` alone would let "A\n" through).
_PLAIN = re.compile(r"[A-Za-z_./][A-Za-z0-9 _./@()+-]*|[0-9]+[A-Za-z][A-Za-z0-9._/-]*")
#: What YAML 1.1 would read as a number though the pattern above lets it through.
_NOT_PLAIN = re.compile(r"^(0[xXoObB]|[-+]?\.(inf|nan)$)", re.IGNORECASE)
_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


class ObjectYaml(BaseModel):
    """One object of the view: its title and YAML text (None when it does not exist)."""

    model_config = ConfigDict(frozen=True)

    kind: str
    name: str
    text: str | None
    doc: dict[str, Any] | None = None
    """The object as the server has it, secret values masked."""


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    if (
        text
        and _PLAIN.fullmatch(text)
        and text.lower() not in _WORDS
        and not text.endswith(" ")
        and not _NOT_PLAIN.match(text)
    ):
        return text
    return quote(text)


def quote(text: str) -> str:
    """``text`` as a YAML double-quoted scalar; anything unprintable becomes an escape."""
    out = ['"']
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else f"\\u{code:04x}"
                if code < 0x10000
                else f"\\U{code:08x}"
            )
    out.append('"')
    return "".join(out)


def _key(key: Any) -> str:
    return _scalar(str(key))


def _block(text: str, indent: int) -> list[str] | None:
    """A block literal for a multi-line string, or None when one cannot carry it exactly."""
    if "\n" not in text.rstrip("\n") or not all(c.isprintable() or c == "\n" for c in text):
        return None
    if text != text.lstrip(" ") or any(line != line.rstrip() for line in text.split("\n")):
        return None
    chomp = "" if text.endswith("\n") and not text.endswith("\n\n") else "-"
    if text.endswith("\n\n"):
        return None
    pad = " " * (indent + 2)
    body = text[:-1] if text.endswith("\n") else text
    return [f"|{chomp}"] + [pad + line if line else "" for line in body.split("\n")]


def to_yaml(value: Any, indent: int = 0) -> list[str]:
    """``value`` as YAML lines (a map or list at ``indent`` spaces)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        for key, item in value.items():
            lines.extend(_entry(f"{pad}{_key(key)}:", item, indent))
        return lines
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        for item in value:
            if isinstance(item, dict) and item:
                nested = to_yaml(item, indent + 2)
                lines.append(f"{pad}- {nested[0].lstrip()}")
                lines.extend(nested[1:])
            elif isinstance(item, list) and item:
                lines.append(f"{pad}-")
                lines.extend(to_yaml(item, indent + 2))
            else:
                lines.append(f"{pad}- {_inline(item, indent)}")
        return lines
    return [pad + _scalar(value)]


def _inline(value: Any, indent: int) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def _entry(head: str, item: Any, indent: int) -> list[str]:
    if isinstance(item, dict) and item:
        return [head, *to_yaml(item, indent + 2)]
    if isinstance(item, list) and item:
        return [head, *to_yaml(item, indent)]
    if isinstance(item, str):
        block = _block(item, indent)
        if block is not None:
            return [f"{head} {block[0]}", *block[1:]]
    return [f"{head} {_inline(item, indent)}"]


async def instance_yaml(store: Store, kube: KubeClient, name: str) -> list[ObjectYaml]:
    """Every object of instance ``name`` as YAML, secret values masked.

    Raises:
        InstanceNotFound: No such instance.
        KubeError: The cluster could not be read.
    """
    await store.instances.get(name)
    return [
        ObjectYaml(
            kind=obj.kind,
            name=obj.name,
            text="\n".join(to_yaml(obj.doc)) + "\n" if obj.doc is not None else None,
            doc=obj.doc,
        )
        for obj in await live_objects(kube, name)
    ]


def as_document(objects: list[ObjectYaml]) -> str:
    """All objects as one multi-document YAML text (missing ones as comments)."""
    parts = []
    for obj in objects:
        if obj.text is None:
            parts.append(f"# {obj.kind} {obj.name}: not found\n")
        else:
            parts.append(f"# {obj.kind} {obj.name}\n{obj.text}")
    return "---\n".join(parts)


def _claims(instance: str, name: str) -> bool:
    """Whether an object called ``name`` belongs to ``instance``: one of its objects, or a
    ReplicaSet (``NAME-hash``) or pod (``NAME-hash-xxxxx``) of its Deployment."""
    if name in object_names(instance).values():
        return True
    return re.fullmatch(re.escape(instance) + r"-[a-z0-9]{5,10}(-[a-z0-9]{5})?", name) is not None


def owner_of(name: str, instances: list[str]) -> str | None:
    """The instance an object belongs to (the longest matching name wins: ``bot-a-b`` over
    ``bot-a``), or None."""
    owners = [i for i in instances if _claims(i, name)]
    return max(owners, key=len) if owners else None


async def events(store: Store, kube: KubeClient, instance: str | None = None) -> list[EventInfo]:
    """Events of the namespace, or of one instance's objects and pods, newest first.

    Raises:
        InstanceNotFound: ``instance`` is not known.
        KubeError: The cluster could not be read.
    """
    found = await namespace_events(kube)
    if instance is None:
        return found
    await store.instances.get(instance)
    names = [i.name for i in await store.instances.list()]
    return [e for e in found if e.name and owner_of(e.name, names) == instance]


def _clean(value: object) -> str:
    """A value from the cluster for the describe text: unprintable characters replaced."""
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in str(value))


def _get(doc: Any, *path: str) -> Any:
    for key in path:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


def _describe_one(kind: str, doc: dict[str, Any]) -> list[str]:
    spec, status = doc.get("spec") or {}, doc.get("status") or {}
    lines: list[str] = []
    if kind == "Deployment":
        image = _get(spec, "template", "spec", "containers")
        image = image[0].get("image") if isinstance(image, list) and image else "?"
        lines.append(
            f"  replicas {spec.get('replicas', '?')} desired, {status.get('readyReplicas', 0)} "
            f"ready, {status.get('availableReplicas', 0)} available; image {_clean(image)}"
        )
    elif kind == "Pod":
        lines.append(
            f"  phase {_clean(status.get('phase', '?'))} on {_clean(spec.get('nodeName', '-'))}"
            f", IP {_clean(status.get('podIP', '-'))}"
        )
        for cs in status.get("containerStatuses") or []:
            state = cs.get("state") or {}
            now = next(iter(state), "?")
            detail = (state.get(now) or {}).get("reason") or ""
            lines.append(
                f"  container {_clean(cs.get('name'))}: {now} {_clean(detail)}".rstrip()
                + f", restarts {cs.get('restartCount', 0)}"
            )
            last = (cs.get("lastState") or {}).get("terminated")
            if last:
                lines.append(
                    f"    last terminated: {_clean(last.get('reason', '?'))}, "
                    f"exit code {last.get('exitCode', '?')}"
                )
        conditions = ", ".join(
            f"{_clean(c.get('type'))}={_clean(c.get('status'))}"
            for c in status.get("conditions") or []
        )
        if conditions:
            lines.append(f"  conditions {conditions}")
    elif kind == "Service":
        ports = ", ".join(
            f"{_clean(p.get('name'))} {p.get('port')}"
            + (f"→{p['nodePort']}" if p.get("nodePort") else "")
            for p in spec.get("ports") or []
        )
        lines.append(f"  {_clean(spec.get('type', 'ClusterIP'))} {ports}")
    elif kind in ("ConfigMap", "Secret"):
        data = doc.get("data") or {}
        lines.append("  keys " + (", ".join(_clean(k) for k in data) or "none"))
    elif kind == "PersistentVolumeClaim":
        size = _get(status, "capacity", "storage") or _get(spec, "resources", "requests", "storage")
        lines.append(
            f"  {_clean(status.get('phase', '?'))} {_clean(size)}, class "
            f"{_clean(spec.get('storageClassName') or '-')}"
        )
    return lines


def describe(objects: list[ObjectYaml], found_events: list[EventInfo]) -> str:
    """A short ``kubectl describe`` of the objects, then their events (newest first)."""
    lines: list[str] = []
    for obj in objects:
        lines.append(f"{obj.kind} {obj.name}" + ("" if obj.doc else ": not found"))
        if obj.doc:
            lines.extend(_describe_one(obj.kind, obj.doc))
    lines.append("")
    lines.append(f"Events ({len(found_events)}, newest first)")
    for event in found_events[:50]:
        when = event.last_time.strftime("%H:%M:%S") if event.last_time else "-"
        what = f"{(event.kind or '').lower()}/{event.name or ''}"
        lines.append(
            f"  {when} {_clean(event.type):<7} {_clean(event.reason):<22} {_clean(what)}"
            f" ×{event.count}: {_clean(event.message)}"
        )
    return "\n".join(lines) + "\n"
