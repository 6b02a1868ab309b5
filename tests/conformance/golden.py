"""The golden corpus's normalisation rules (see the corpus README), as a per-case state.

``Normalizer`` turns a real answer (the emulator's) into the placeholder form the corpus was
recorded in, numbering placeholders in walk order, and remembers which real value each
placeholder stands for (``back``) so later requests can be sent with the emulator's own values.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any
from urllib.parse import quote, urlsplit

ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_H = f"[{ALPHABET}]{{6,10}}"
_S = f"[{ALPHABET}]{{5}}"
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", re.S)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d+))?(?:Z|[+-]\d{2}:\d{2})")
_EVENT_ID = re.compile(r"\.([0-9a-f]{16})(?![0-9a-zA-Z])")
_TOO_OLD = re.compile(r"too old resource version: (\d+) \((\d+)\)")
_IN_RECORD = re.compile(r"(ResourceVersion in record|in the precondition) \((\d+)\)")
_EMBEDDED_RV = re.compile(r'(\\?"resourceVersion\\?":\\?")(\d+)(\\?")')
_TOO_LARGE = re.compile(r"(Too large resource version: \d+, current: )(\d+)")
_HEARTBEAT = re.compile(r" n=(\d+) ")
_PLACEHOLDER = re.compile(r"<([a-z.-]+):(\d+)>")
_REPEAT = re.compile(r"<repeat:(.)\*(\d+)>", re.S)
_FIXED_PORTS = {0, 29999, 30000, 32767, 32768, 65536}
_PROVISIONER = (
    "volume.beta.kubernetes.io/storage-provisioner",
    "volume.kubernetes.io/storage-provisioner",
)
VOLATILE = "<volatile>"


def expand_repeats(text: str) -> str:
    return _REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), text)


def _walk_strings(value: Any, fn: Any) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_walk_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _walk_strings(v, fn) for k, v in value.items()}
    return value


def request_node_ports(steps: list[dict[str, Any]]) -> set[int]:
    """Every nodePort the case itself sent in a request body."""
    found: set[int] = set()

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "nodePort" and isinstance(v, int):
                    found.add(v)
                visit(v)
        elif isinstance(value, list):
            for v in value:
                visit(v)

    for step in iter_steps(steps):
        for req in step_requests(step):
            visit(req.get("body"))
    return found


def iter_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for step in steps:
        out.append(step)
        out += iter_steps(step.get("during") or [])
    return out


def step_requests(step: dict[str, Any]) -> list[dict[str, Any]]:
    if "streams" in step:
        return [s["request"] for s in step["streams"]]
    return [step["request"]] if "request" in step else []


class Normalizer:
    def __init__(self, case: dict[str, Any], hostname: str) -> None:
        self.hostname = hostname
        self.tables: dict[str, dict[str, str]] = {}
        self.counters: dict[str, int] = {}
        self.back: dict[str, str] = {}
        self.rv_seen: dict[str, str] = {}  # real resourceVersion -> its latest placeholder
        self.tokens: dict[str, str] = {}  # registered whole-word tokens -> placeholder
        self.sent_ports = request_node_ports(case["steps"])
        self.deployments: list[str] = []
        self.generate_names: list[str] = []
        for step in iter_steps(case["steps"]):
            for req in step_requests(step):
                body = req.get("body")
                if req.get("method") != "POST" or not isinstance(body, dict):
                    continue
                m = body.get("metadata") or {}
                path = urlsplit(req["path"]).path
                if path.endswith("/deployments") and m.get("name"):
                    self.deployments.append(m["name"])
                if m.get("generateName"):
                    self.generate_names.append(m["generateName"])
        self.deployments.sort(key=len, reverse=True)

    # -- placeholders ----------------------------------------------------------------------
    def place(self, kind: str, real: str) -> str:
        table = self.tables.setdefault(kind, {})
        if real not in table:
            self.counters[kind] = self.counters.get(kind, 0) + 1
            table[real] = f"<{kind}:{self.counters[kind]}>"
            self.back[table[real]] = real
        return table[real]

    def fresh(self, kind: str, real: str) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        ph = f"<{kind}:{self.counters[kind]}>"
        self.back[ph] = real
        return ph

    def rv(self, real: str) -> str:
        ph = self.place("rv", real)
        self.rv_seen[real] = ph
        return ph

    def list_rv(self, real: str, exact: str | None = None) -> str:
        if exact is not None and self.back.get(exact) == real:
            ph = exact
        else:
            ph = self.fresh("list-rv", real)
        self.rv_seen[real] = ph
        return ph

    def register(self, kind: str, real: str) -> str:
        ph = self.place(kind, real)
        self.tokens[real] = ph
        return ph

    # -- requests --------------------------------------------------------------------------
    def substitute(self, text: str, *, path: bool = False) -> str:
        def repl(m: re.Match[str]) -> str:
            ph = m.group(0)
            if ph not in self.back:
                return ph
            real = self.back[ph]
            if path and m.group(1) == "continue":
                return quote(real, safe="")
            return real

        return expand_repeats(_PLACEHOLDER.sub(repl, text))

    def substitute_body(self, body: Any) -> Any:
        return _walk_strings(body, self.substitute)

    # -- responses -------------------------------------------------------------------------
    def body(
        self,
        body: Any,
        *,
        exact_rv: str | None = None,
        bookmark: bool = False,
    ) -> Any:
        body = copy.deepcopy(body)
        if isinstance(body, dict):
            self._keyed(body, exact_rv=exact_rv, top=True, bookmark=bookmark)
        return self._strings(body, None)

    def _keyed(
        self, obj: dict[str, Any], *, exact_rv: str | None, top: bool, bookmark: bool
    ) -> None:
        """Key-specific rules, walking in received order (the strings come after)."""
        is_list = top and "items" in obj and "metadata" in obj
        if obj.get("kind") == "SelfSubjectRulesReview" and isinstance(obj.get("status"), dict):
            st = obj["status"]
            for key in ("resourceRules", "nonResourceRules"):
                if isinstance(st.get(key), list):
                    st[key] = sorted(st[key], key=lambda r: json.dumps(r, sort_keys=True))
        for key in list(obj):
            value = obj[key]
            if key == "metadata" and isinstance(value, dict):
                self._metadata(value, list_meta=is_list or (top and bookmark), exact_rv=exact_rv)
                continue
            if key in ("involvedObject", "regarding", "related") and isinstance(value, dict):
                if "resourceVersion" in value:
                    value["resourceVersion"] = "<rv:any>"
                continue
            if key == "resourceVersion" and isinstance(value, str) and value:
                obj[key] = self.rv(value)
                continue
            if key == "clusterIP" and isinstance(value, str) and value and value != "None":
                obj[key] = self.register("cluster-ip", value)
                continue
            if key == "clusterIPs" and isinstance(value, list):
                obj[key] = [
                    self.register("cluster-ip", v) if isinstance(v, str) and v != "None" else v
                    for v in value
                ]
                continue
            if key == "nodePort" and isinstance(value, int) and not isinstance(value, bool):
                if value not in self.sent_ports and value not in _FIXED_PORTS:
                    obj[key] = self.register("node-port", str(value))
                continue
            if key == "containerID" and isinstance(value, str) and value:
                obj[key] = self.place("container-id", value)
                continue
            if key == "imageID" and isinstance(value, str) and value:
                obj[key] = self.place("image-id", value)
                continue
            if key in ("reportingInstance", "host") and isinstance(value, str) and self.hostname:
                obj[key] = value.replace(self.hostname, "<hostname>")
                continue
            if key == "items" and isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        self._keyed(item, exact_rv=None, top=False, bookmark=False)
                continue
            if key == "object" and isinstance(value, dict) and top and "type" in obj:
                self._keyed(value, exact_rv=None, top=True, bookmark=obj.get("type") == "BOOKMARK")
                continue
            self._any(value)

    def _any(self, value: Any) -> None:
        if isinstance(value, dict):
            self._keyed(value, exact_rv=None, top=False, bookmark=False)
        elif isinstance(value, list):
            for v in value:
                self._any(v)

    def _metadata(self, m: dict[str, Any], *, list_meta: bool, exact_rv: str | None) -> None:
        for key in list(m):
            value = m[key]
            if key == "resourceVersion" and isinstance(value, str) and value:
                m[key] = self.list_rv(value, exact_rv) if list_meta else self.rv(value)
            elif key == "continue" and isinstance(value, str) and value:
                m[key] = self.place("continue", value)
            elif key == "labels" and isinstance(value, dict):
                h = value.get("pod-template-hash")
                if isinstance(h, str):
                    value["pod-template-hash"] = self.register("hash", h)
            elif key == "annotations" and isinstance(value, dict):
                for a in _PROVISIONER:
                    value.pop(a, None)
            elif key == "managedFields" and isinstance(value, list):
                entries = [
                    {
                        k: e[k]
                        for k in ("manager", "operation", "apiVersion", "subresource")
                        if k in e
                    }
                    for e in value
                    if isinstance(e, dict) and e.get("manager") != "kube-scheduler"
                ]
                entries.sort(
                    key=lambda e: (
                        e.get("operation", ""),
                        e.get("manager", ""),
                        e.get("apiVersion", ""),
                        e.get("subresource", ""),
                    )
                )
                m[key] = entries
            elif key == "ownerReferences" and isinstance(value, list):
                self._any(value)

    def _strings(self, value: Any, key: str | None) -> Any:
        if isinstance(value, str):
            return self.string(value)
        if isinstance(value, list):
            return [self._strings(v, None) for v in value]
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for k, v in value.items():
                nk = self.string(k) if ("-" in k or "." in k) else k
                out[nk] = self._strings(v, k)
            return out
        return value

    def string(self, s: str) -> str:
        if s.startswith("<") and s.endswith(">") and _PLACEHOLDER.fullmatch(s):
            return s
        if len(s) > 1024 and len(set(s)) == 1:
            return f"<repeat:{s[0]}*{len(s)}>"
        s = _PEM.sub("<pem:certificate>", s)
        s = _JWT.sub(lambda m: self.place("token", m.group(0)), s)
        s = _UUID.sub(lambda m: self.place("uid", m.group(0)), s)
        s = _TIME.sub(_time_placeholder, s)
        for b in self.deployments:
            pat = re.compile(rf"(?<![A-Za-z0-9-]){re.escape(b)}-({_H})(?:-({_S}))?(?![a-z0-9])")
            s = pat.sub(functools.partial(self._generated, b), s)
        for g in self.generate_names:
            pat = re.compile(rf"(?<![A-Za-z0-9-]){re.escape(g)}({_S})(?![a-z0-9])")
            s = pat.sub(functools.partial(self._suffixed, g), s)
        s = re.sub(
            rf"kube-api-access-({_S})(?![a-z0-9])",
            lambda m: "kube-api-access-" + self.place("suffix", m.group(1)),
            s,
        )
        s = _EVENT_ID.sub(lambda m: "." + self.place("event-id", m.group(1)), s)
        s = _TOO_OLD.sub(
            lambda m: (
                f"too old resource version: {self.rv_seen.get(m.group(1), m.group(1))} "
                "(<rv:oldest>)"
            ),
            s,
        )
        s = _IN_RECORD.sub(
            lambda m: f"{m.group(1)} ({self.rv_seen.get(m.group(2), m.group(2))})", s
        )
        s = _EMBEDDED_RV.sub(
            lambda m: m.group(1) + self.rv_seen.get(m.group(2), m.group(2)) + m.group(3), s
        )
        s = _TOO_LARGE.sub(lambda m: m.group(1) + "<rv:current>", s)
        for real, ph in self.tokens.items():
            s = re.sub(rf"(?<![\w.]){re.escape(real)}(?![\w])", ph, s)
        return s

    def _suffixed(self, g: str, m: re.Match[str]) -> str:
        return g + self.place("suffix", m.group(1))

    def _generated(self, b: str, m: re.Match[str]) -> str:
        out = f"{b}-{self.register('hash', m.group(1))}"
        if m.group(2):
            out += "-" + self.place("suffix", m.group(2))
        return out

    def log_text(self, text: str) -> str:
        lines = text.split("\n")
        first: int | None = None
        out = []
        for line in lines:
            m = _HEARTBEAT.search(line)
            if m:
                n = int(m.group(1))
                if first is None:
                    first = n
                rel = "<n>" if n == first else f"<n+{n - first}>"
                line = line[: m.start()] + f" n={rel} " + line[m.end() :]
            out.append(line)
        return self.string("\n".join(out))


def _time_placeholder(m: re.Match[str]) -> str:
    if m.group(0).startswith("2006-01-02T15:04:05"):
        return m.group(0)
    frac = m.group(1)
    if frac is None:
        return "<time>"
    return {3: "<time.ms>", 6: "<time.us>", 9: "<time.ns>"}.get(len(frac), "<time.frac>")
