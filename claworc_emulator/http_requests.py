"""Reading requests and writing responses as the apiserver does: resource paths, query
parameters, JSON bodies and DeleteOptions; compact JSON and Status answers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from claworc_emulator.errors import ApiError, bad_request
from claworc_emulator.event_recorder import events_v1
from claworc_emulator.resources import Resource, lookup

#: How Go's strconv.ParseBool spells true, as query parameters are read.
TRUE_VALUES = {"1", "t", "T", "true", "TRUE", "True"}


def subresources_of(res: Resource) -> tuple[str, ...]:
    """The subresources the emulator serves for ``res``."""
    subs: tuple[str, ...] = ("status",) if res.has_status else ()
    if res.plural == "pods":
        subs += ("log", "exec", "portforward")
    if res.plural in ("deployments", "replicasets"):
        subs += ("scale",)
    return subs


@dataclass
class Target:
    """What a resource path names: the resource, namespace, object name, subresource, watch."""

    res: Resource
    ns: str | None
    name: str | None
    sub: str | None
    watch: bool


def parse_path(path: str) -> Target | None:
    """Parse a resource path (``/api/v1/…`` or ``/apis/GROUP/v1/…``); None when it is not one."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, rest = "", parts[2:] if parts[1] == "v1" else None
    elif len(parts) >= 3 and parts[0] == "apis" and parts[2] == "v1":
        group, rest = parts[1], parts[3:]
    else:
        return None
    if not rest:
        return None
    watch = False
    if rest[0] == "watch":
        watch, rest = True, rest[1:]
    ns: str | None = None
    if rest and rest[0] == "namespaces" and len(rest) >= 3 and lookup(group, rest[2]):
        ns, rest = rest[1], rest[2:]
    if not rest:
        return None
    res = lookup(group, rest[0])
    if res is None or len(rest) > 3 or (ns is not None and not res.namespaced):
        return None
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    return Target(res, ns, name, sub, watch)


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A compact JSON response (the real server sends no spaces)."""
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def error_response(err: ApiError) -> web.Response:
    """``err`` as the JSON ``Status`` response, with its code and headers."""
    return json_response(err.status(), err.code, err.headers)


def viewed(res: Resource, body: dict[str, Any]) -> dict[str, Any]:
    """An object or list of ``res`` as its view shows it (events.k8s.io/v1 Events)."""
    if not res.view_of:
        return body
    if "items" in body:
        body["items"] = [strip_kind(events_v1(i)) for i in body["items"]]
        return body
    return events_v1(body)


def strip_kind(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` without ``kind`` and ``apiVersion``."""
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def int_param(value: str, name: str) -> int:
    """Query parameter ``name`` as an int; 400 BadRequest when it is not one."""
    try:
        return int(value)
    except ValueError as exc:
        raise bad_request(f'strconv.ParseInt: parsing "{value}": invalid syntax') from exc


async def json_body(request: web.Request, optional: bool = False) -> Any:
    """The request's JSON body (``{}`` when ``optional`` and empty); 400 when it does not parse."""
    return parse_json(await request.read(), optional)


def parse_json(raw: bytes, optional: bool = False) -> Any:
    """``raw`` decoded as JSON (``{}`` when ``optional`` and empty); 400 BadRequest otherwise."""
    if not raw.strip():
        if optional:
            return {}
        raise bad_request("the body of the request was empty")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise bad_request(f"the body of the request could not be decoded: {exc}") from exc


def delete_options(q: Any, body: Any) -> dict[str, Any]:
    """DeleteOptions from the body and the query (the query wins, as in the apiserver)."""
    opts: dict[str, Any] = dict(body) if isinstance(body, dict) else {}
    if "gracePeriodSeconds" in q:
        opts["gracePeriodSeconds"] = int_param(q["gracePeriodSeconds"], "gracePeriodSeconds")
    if "propagationPolicy" in q:
        opts["propagationPolicy"] = q["propagationPolicy"]
    if "orphanDependents" in q:
        opts["orphanDependents"] = q["orphanDependents"] in TRUE_VALUES
    return opts
