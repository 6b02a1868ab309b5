"""LIST with the apiserver's rules: pages and continue tokens, resourceVersion and
resourceVersionMatch, consistent reads from the watch cache's history."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from claworc_emulator.errors import (
    ApiError,
    bad_request,
    expired,
    forbidden_field,
    invalid_options,
    not_supported,
)
from claworc_emulator.object_store import Obj, ObjectStore
from claworc_emulator.resources import Resource
from claworc_emulator.selectors import Filter


def strip_type(obj: Obj) -> Obj:
    """``obj`` without ``kind`` and ``apiVersion`` (as stored)."""
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def list_objects(
    store: ObjectStore,
    res: Resource,
    ns: str | None,
    filt: Filter,
    limit: int = 0,
    cont: str = "",
    rv: str = "",
    match: str = "",
) -> Obj:
    """LIST ``res`` in ``ns`` (None: everywhere) filtered by ``filt``: ``limit``/``cont`` paging
    with continue tokens, served at ``rv`` per ``match`` (resourceVersionMatch).
    """
    at = list_resource_version(store, rv, match)
    source = store.items(res, ns) if at is None else store.items_at(res, ns, at)
    start: tuple[str, ...] = ()
    list_meta: dict[str, Any] = {"resourceVersion": str(store.rv if at is None else at)}
    if cont:
        try:
            token = json.loads(base64.b64decode(cont))
            start, token_rv = tuple(token["start"]), int(token["rv"])
        except (ValueError, KeyError, TypeError) as exc:
            raise bad_request(f"invalid continue token: {exc}") from exc
        if store.too_old(token_rv):
            raise expired(
                "The provided continue parameter is too old to display a consistent list "
                "result. You can start a new list without the continue parameter, or use the "
                "continue token in this response to retrieve the remainder of the results. "
                "Continuing with the provided token results in an inconsistent list - objects "
                "that were created, modified, or deleted between the time the first chunk "
                "was returned and now may show up in the list."
            )
        # A continued list is consistent: the state at the first page's resourceVersion.
        at = token_rv
        source = store.items_at(res, ns, at)
        list_meta["resourceVersion"] = str(at)
    after = [o for o in source if _key(o) > start]
    items = [o for o in after if filt(o)]
    if limit and len(items) >= limit and _key(items[limit - 1]) < _key(after[-1]):
        # More keys follow in storage (matching the selectors or not, as etcd sees it).
        rest = len(items) - limit
        items = items[:limit]
        token = {"rv": store.rv if at is None else at, "start": list(_key(items[-1]))}
        list_meta["continue"] = base64.b64encode(json.dumps(token).encode()).decode()
        if not filt.labels and not filt.fields:  # unknowable with a selector
            list_meta["remainingItemCount"] = rest
    return {
        "kind": res.list_kind,
        "apiVersion": res.api_version,
        "metadata": list_meta,
        "items": [strip_type(copy.deepcopy(o)) for o in items],
    }


def list_resource_version(store: ObjectStore, rv: str, match: str) -> int | None:
    """The resourceVersion a LIST is served at (None = the latest), with the apiserver's
    checks of resourceVersion and resourceVersionMatch."""
    if match not in ("", "Exact", "NotOlderThan"):
        raise invalid_options(
            "ListOptions",
            not_supported("resourceVersionMatch", match, ["Exact", "NotOlderThan", ""]),
        )
    if match and not rv:
        raise invalid_options(
            "ListOptions",
            forbidden_field(
                "resourceVersionMatch",
                "resourceVersionMatch is forbidden unless resourceVersion is provided",
            ),
        )
    if match == "Exact" and rv == "0":
        raise invalid_options(
            "ListOptions",
            forbidden_field(
                "resourceVersionMatch",
                'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
            ),
        )
    if not rv:
        return None
    if not rv.isdigit():
        raise bad_request(
            f'invalid resource version: resourceVersion: Invalid value: "{rv}": '
            f'strconv.ParseUint: parsing "{rv}": invalid syntax'
        )
    number = int(rv)
    if number > store.rv:
        raise ApiError(
            504,
            "Timeout",
            f"Timeout: Too large resource version: {number}, current: {store.rv}",
            {
                "causes": [
                    {
                        "reason": "ResourceVersionTooLarge",
                        "message": "Too large resource version",
                    }
                ],
                "retryAfterSeconds": 1,
            },
            {"Retry-After": "1"},
        )
    if match != "Exact":
        return None  # NotOlderThan, or 0: the latest state satisfies it
    if store.too_old(number):
        raise expired("The resourceVersion for the provided list is too old.")
    return number


def _key(obj: Obj) -> tuple[str, str]:
    m = obj.get("metadata") or {}
    return (m.get("namespace", ""), m.get("name", ""))
