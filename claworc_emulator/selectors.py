"""Label and field selectors with the syntax and errors of apimachinery."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from claworc_emulator.errors import ApiError, bad_request

_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$"
)


@dataclass(frozen=True)
class Requirement:
    """One label selector requirement: key, operator and values."""

    key: str
    op: str  # =, !=, in, notin, exists, !, gt, lt
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        has = self.key in labels
        val = labels.get(self.key)
        if self.op in ("=", "in"):
            return has and val in self.values
        if self.op in ("!=", "notin"):
            return not has or val not in self.values
        if self.op == "exists":
            return has
        if self.op == "!":
            return not has
        if not has or val is None:
            return False
        try:
            num, bound = int(val), int(self.values[0])
        except ValueError:
            return False
        return num > bound if self.op == "gt" else num < bound


def _check_key(key: str) -> None:
    from claworc_emulator.validation import qualified_name

    problems = qualified_name(key)
    if problems:
        raise bad_request(f'<nil>: Invalid value: "{key}": {"; ".join(problems)}')


def _check_value(key: str, value: str, index: int = 0) -> None:
    from claworc_emulator.validation import LABEL_VALUE

    problems = LABEL_VALUE.errors(value)
    if problems:
        raise bad_request(
            f'values[{index}][{key}]: Invalid value: "{value}": {"; ".join(problems)}'
        )


# -- the label selector parser of apimachinery (labels/selector.go), token for token -----------

_SYMBOLS = ("!=", "==", "!", "=", ">", "<", "(", ")", ",")
_SPECIAL = set("!=><(),")
_IDENT, _EOS = "identifier", "end of string"


def _lex(text: str) -> list[tuple[str, str]]:
    """Tokens as (kind, literal): kind is the symbol itself, "in"/"notin", or identifier."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _SPECIAL:
            sym = next(x for x in _SYMBOLS if text.startswith(x, i))
            out.append((sym, sym))
            i += len(sym)
            continue
        j = i
        while j < len(text) and not text[j].isspace() and text[j] not in _SPECIAL:
            j += 1
        word = text[i:j]
        out.append((word if word in ("in", "notin") else _IDENT, word))
        i = j
    out.append((_EOS, ""))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.pos = 0

    def lookahead(self, values: bool = False) -> tuple[str, str]:
        kind, lit = self.tokens[self.pos]
        return (_IDENT, lit) if values and kind in ("in", "notin") else (kind, lit)

    def consume(self, values: bool = False) -> tuple[str, str]:
        tok = self.lookahead(values)
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return tok

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            kind, lit = self.lookahead()
            if kind == _EOS:
                return reqs
            if kind not in (_IDENT, "!"):
                raise bad_request(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                reqs.append(self.requirement())
            except ApiError as err:
                raise bad_request(f"unable to parse requirement: {err.message}") from err
            kind, lit = self.consume()
            if kind == _EOS:
                return reqs
            if kind == ",":
                nxt, nlit = self.lookahead()
                if nxt not in (_IDENT, "!"):
                    raise bad_request(f"found '{nlit}', expected: identifier after ','")
                continue
            raise bad_request(f"found '{lit}', expected: ',' or 'end of string'")

    def requirement(self) -> Requirement:
        op = ""
        if self.lookahead()[0] == "!":
            self.consume()
            op = "!"
        kind, key = self.consume()
        if kind != _IDENT:
            raise bad_request(f"found '{key}', expected: identifier")
        _check_key(key)
        if self.lookahead()[0] in (_EOS, ","):
            return Requirement(key, op or "exists")
        if op:
            return Requirement(key, op)
        kind, lit = self.consume()
        ops = {"=": "=", "==": "=", "!=": "!=", "in": "in", "notin": "notin", ">": "gt", "<": "lt"}
        if kind not in ops:
            raise bad_request(f"found '{lit}', expected: =, !=, ==, in, notin, gt, lt")
        op = ops[kind]
        if op in ("in", "notin"):
            values = self.value_set()
            if not values:
                raise bad_request("for 'in', 'notin' operators, values set can't be empty")
        else:
            values = (self.exact_value(),)
        if op in ("gt", "lt"):
            if not values[0].lstrip("-").isdigit():
                raise bad_request(
                    f"for 'Gt', 'Lt' operators, the value must be an integer: {values[0]!r}"
                )
        else:
            for i, v in enumerate(values):
                _check_value(key, v, i)
        return Requirement(key, op, values)

    def exact_value(self) -> str:
        kind, _ = self.lookahead(values=True)
        if kind in (_EOS, ","):
            return ""
        kind, lit = self.consume(values=True)
        if kind != _IDENT:
            raise bad_request(f"found '{lit}', expected: identifier")
        return lit

    def value_set(self) -> tuple[str, ...]:
        kind, lit = self.consume()
        if kind != "(":
            raise bad_request(f"found '{lit}', expected:'('")
        values: list[str] = []
        if self.lookahead(values=True)[0] == ")":
            self.consume()
            return ()
        while True:
            kind, lit = self.consume(values=True)
            if kind == _IDENT:
                values.append(lit)
                kind, lit = self.lookahead(values=True)
                if kind == ",":
                    self.consume()
                    continue
                if kind == ")":
                    self.consume()
                    return tuple(values)
                raise bad_request(f"found '{lit}', expected: ',' or ')'")
            if kind == ",":
                values.append("")
                continue
            if kind == ")":
                values.append("")
                return tuple(values)
            raise bad_request(f"found '{lit}', expected: ',', or identifier")


def parse_label_selector(text: str) -> list[Requirement]:
    """Parse a label selector string (``a=b,c in (d),!e``).

    Raises:
        ApiError: 400 with apimachinery's message when ``text`` does not parse.
    """
    return _Parser(text).parse()


def labels_match(reqs: list[Requirement], obj: dict[str, Any]) -> bool:
    """True when ``obj``'s labels satisfy every requirement."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(r.matches(labels) for r in reqs)


def selector_from_match_labels(sel: dict[str, Any] | None) -> list[Requirement]:
    """A metav1.LabelSelector (matchLabels/matchExpressions) as requirements."""
    reqs: list[Requirement] = []
    if not sel:
        return reqs
    for k, v in sorted((sel.get("matchLabels") or {}).items()):
        reqs.append(Requirement(k, "=", (v,)))
    for expr in sel.get("matchExpressions") or []:
        op = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}.get(
            expr.get("operator", ""), "in"
        )
        reqs.append(Requirement(expr["key"], op, tuple(expr.get("values") or ())))
    return reqs


def selector_string(sel: dict[str, Any] | None) -> str:
    """A LabelSelector object as its canonical string (``status.selector`` of a scale)."""
    parts = []
    for r in selector_from_match_labels(sel):
        if r.op == "=":
            parts.append(f"{r.key}={r.values[0]}")
        elif r.op in ("in", "notin"):
            parts.append(f"{r.key} {r.op} ({','.join(sorted(r.values))})")
        elif r.op == "exists":
            parts.append(r.key)
        else:
            parts.append(f"!{r.key}")
    return ",".join(parts)


# -- field selectors -------------------------------------------------------------------------


def _path(*keys: str) -> Callable[[dict[str, Any]], str]:
    def get(obj: dict[str, Any]) -> str:
        cur: Any = obj
        for k in keys:
            cur = cur.get(k) if isinstance(cur, dict) else None
        if cur is None:
            return ""
        if isinstance(cur, bool):
            return "true" if cur else "false"
        return str(cur)

    return get


_COMMON = {
    "metadata.name": _path("metadata", "name"),
    "metadata.namespace": _path("metadata", "namespace"),
}
_FIELDS: dict[str, dict[str, Callable[[dict[str, Any]], str]]] = {
    "pods": {
        "status.phase": _path("status", "phase"),
        "spec.nodeName": _path("spec", "nodeName"),
        "spec.restartPolicy": _path("spec", "restartPolicy"),
        "spec.schedulerName": _path("spec", "schedulerName"),
        "spec.serviceAccountName": _path("spec", "serviceAccountName"),
        "spec.hostNetwork": _path("spec", "hostNetwork"),
        "status.podIP": _path("status", "podIP"),
        "status.nominatedNodeName": _path("status", "nominatedNodeName"),
    },
    "events": {
        "involvedObject.kind": _path("involvedObject", "kind"),
        "involvedObject.namespace": _path("involvedObject", "namespace"),
        "involvedObject.name": _path("involvedObject", "name"),
        "involvedObject.uid": _path("involvedObject", "uid"),
        "involvedObject.apiVersion": _path("involvedObject", "apiVersion"),
        "involvedObject.resourceVersion": _path("involvedObject", "resourceVersion"),
        "involvedObject.fieldPath": _path("involvedObject", "fieldPath"),
        # (the events.k8s.io/v1 names of the same fields)
        "regarding.kind": _path("involvedObject", "kind"),
        "regarding.namespace": _path("involvedObject", "namespace"),
        "regarding.name": _path("involvedObject", "name"),
        "regarding.uid": _path("involvedObject", "uid"),
        "reportingController": _path("reportingComponent"),
        "reason": _path("reason"),
        "reportingComponent": _path("reportingComponent"),
        "source": _path("source", "component"),
        "type": _path("type"),
    },
    "secrets": {"type": _path("type")},
    "namespaces": {"status.phase": _path("status", "phase")},
    "nodes": {"spec.unschedulable": _path("spec", "unschedulable")},
    "replicasets": {"status.replicas": _path("status", "replicas")},
}


@dataclass(frozen=True)
class FieldRequirement:
    """One field selector requirement: which field, equal or not, which value."""

    getter: Callable[[dict[str, Any]], str]
    negate: bool
    value: str

    def matches(self, obj: dict[str, Any]) -> bool:
        return (self.getter(obj) == self.value) != self.negate


def parse_field_selector(plural: str, text: str) -> list[FieldRequirement]:
    """Parse a field selector for resource ``plural`` (only the fields the apiserver supports).

    Raises:
        ApiError: 400 for a syntax error or an unsupported field.
    """
    reqs: list[FieldRequirement] = []
    if not text.strip():
        return reqs
    fields = {**_COMMON, **_FIELDS.get(plural, {})}
    for part in text.split(","):
        m = re.match(r"^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$", part)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        name, op, value = m.groups()
        if name not in fields:
            if plural in ("configmaps", "secrets") or plural not in _FIELDS:
                known = ", ".join(f'"{f}"' for f in sorted(fields))
                raise bad_request(f'"{name}" is not a known field selector: only {known}')
            raise bad_request(f"field label not supported: {name}")
        reqs.append(FieldRequirement(fields[name], op == "!=", value))
    return reqs


def fields_match(reqs: list[FieldRequirement], obj: dict[str, Any]) -> bool:
    """True when ``obj`` satisfies every field requirement."""
    return all(r.matches(obj) for r in reqs)


class Filter:
    """Label and field selection of one list or watch request."""

    def __init__(self, plural: str, label_selector: str, field_selector: str) -> None:
        self.labels = parse_label_selector(label_selector)
        self.fields = parse_field_selector(plural, field_selector)

    def __call__(self, obj: dict[str, Any]) -> bool:
        return labels_match(self.labels, obj) and fields_match(self.fields, obj)


__all__ = ["ApiError", "Filter", "parse_field_selector", "parse_label_selector"]
