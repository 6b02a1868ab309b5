"""What a case compares of an answer (see the corpus README): the projection it keeps, the
paths it drops, the conditions it holds on, and the difference between what was recorded and
what the emulator said."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .golden import VOLATILE


def project(body: Any, projection: dict[str, Any] | None) -> Any:
    if not projection or not isinstance(body, dict):
        return body
    out = dict(body)
    if "keys" in projection:
        out = {k: v for k, v in out.items() if k in projection["keys"]}
    if "groups" in projection:
        out["groups"] = [g for g in body.get("groups", []) if g.get("name") in projection["groups"]]
    if "resources" in projection:
        wanted = projection["resources"]
        out["resources"] = [r for r in body.get("resources", []) if r.get("name") in wanted]
    return out


def drop(body: Any, paths: list[str] | None) -> Any:
    for path in paths or []:
        _drop(body, path.split("."))
    return body


def _drop(value: Any, parts: list[str]) -> None:
    if not parts or not isinstance(value, dict):
        return
    head, rest = parts[0], parts[1:]
    if head.endswith("[*]"):
        for item in value.get(head[:-3]) or []:
            _drop(item, rest)
    elif not rest:
        value.pop(head, None)
    else:
        _drop(value.get(head), rest)


_MISSING = object()
_SEG = re.compile(r"([^.\[\]]+)|\[(\d+)\]|\[([^=\]]+)=([^\]]*)\]")


def lookup(value: Any, path: str) -> Any:
    for m in _SEG.finditer(path):
        name, index, fkey, fval = m.groups()
        if name is not None:
            if not isinstance(value, dict) or name not in value:
                return _MISSING
            value = value[name]
        elif index is not None:
            if not isinstance(value, list) or int(index) >= len(value):
                return _MISSING
            value = value[int(index)]
        else:
            if not isinstance(value, list):
                return _MISSING
            found = [v for v in value if isinstance(v, dict) and str(v.get(fkey)) == fval]
            if not found:
                return _MISSING
            value = found[0]
    return value


def holds(cond: dict[str, Any], status: int, body: Any) -> bool:
    if "status" in cond and "path" not in cond:
        return bool(status == cond["status"])
    got = lookup(body, cond["path"])
    op: str = cond["op"]
    want: Any = cond.get("value")
    if op == "exists":
        return got is not _MISSING
    if op == "absent":
        return got is _MISSING
    if op == "falsy":
        return got is _MISSING or got in (None, 0, "", [], {})
    if got is _MISSING:
        return False
    if op == "eq":
        return bool(got == want)
    if op == "ne":
        return bool(got != want)
    if op == "len":
        return hasattr(got, "__len__") and len(got) == want
    if op == "ge":
        return isinstance(got, int | float) and got >= want
    if op == "contains":
        return want in got if isinstance(got, list | str | dict) else False
    raise ValueError(f"unknown op {op!r}")


# -- comparison -----------------------------------------------------------------------------
def diff(want: Any, got: Any, path: str = "") -> list[str]:
    """Differences between the recording (``want``) and the emulator (``got``), one per line."""
    if want == VOLATILE:
        return [] if got is not _MISSING else [f"{path or '.'}: missing"]
    if isinstance(want, dict) and isinstance(got, dict):
        out: list[str] = []
        for k, v in want.items():
            sub = f"{path}.{k}" if path else k
            if k not in got:
                out.append(f"{sub}: missing (recorded {_short(v)})")
            else:
                out += diff(v, got[k], sub)
        for k in got:
            if k not in want:
                sub = f"{path}.{k}" if path else k
                out.append(f"{sub}: unexpected (emulator sent {_short(got[k])})")
        return out
    if isinstance(want, list) and isinstance(got, list):
        out = []
        for i, (w, g) in enumerate(zip(want, got, strict=False)):
            out += diff(w, g, f"{path}[{i}]")
        if len(want) != len(got):
            out.append(
                f"{path or '.'}: {len(want)} items recorded, {len(got)} from the emulator"
                + (f"; extra: {_short(got[len(want) :])}" if len(got) > len(want) else "")
                + (f"; missing: {_short(want[len(got) :])}" if len(want) > len(got) else "")
            )
        return out
    if want != got:
        return [f"{path or '.'}: recorded {_short(want)}, emulator {_short(got)}"]
    return []


def _short(v: Any) -> str:
    text = json.dumps(v, sort_keys=True) if not isinstance(v, str) else repr(v)
    return text if len(text) <= 300 else text[:300] + "..."


def query_of(path: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
