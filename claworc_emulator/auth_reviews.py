"""The authentication and authorization endpoints: TokenRequest
(``serviceaccounts/NAME/token``), SelfSubjectRulesReview and SelfSubjectAccessReview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from claworc_emulator.errors import (
    ApiError,
    bad_request,
    invalid,
    method_not_allowed,
)
from claworc_emulator.http_requests import (
    Target,
    json_body,
    subresources_of,
)
from claworc_emulator.object_store import now_rfc3339
from claworc_emulator.rbac import Identity
from claworc_emulator.resources import RESOURCES

if TYPE_CHECKING:
    from claworc_emulator.http_frontend import HttpFrontend

#: The verbs one rule of a SelfSubjectRulesReview lists for a resource.
_RULE_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")


async def token_request(
    frontend: HttpFrontend, request: web.Request, ident: Identity, ns: str, name: str
) -> dict[str, Any]:
    """TokenRequest (serviceaccounts/{name}/token): a token for that ServiceAccount."""
    if request.method != "POST":
        raise method_not_allowed()
    sa_res = RESOURCES[("", "serviceaccounts")]
    target = Target(sa_res, ns, name, "token", False)
    frontend.forbid_unless_allowed("create", target, ident)
    body = await json_body(request, optional=True)
    sa = frontend.server.api.get(sa_res, ns, name)
    spec = (body.get("spec") if isinstance(body, dict) else None) or {}
    seconds = int(spec.get("expirationSeconds") or 3600)
    expires = datetime.now(UTC) + timedelta(seconds=seconds)
    manager = request.headers.get("User-Agent", "").split("/")[0] or "unknown"
    return {
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": sa["metadata"]["uid"],
            "creationTimestamp": now_rfc3339(),
            "managedFields": [
                {
                    "manager": manager,
                    "operation": "Update",
                    "apiVersion": "authentication.k8s.io/v1",
                    "time": now_rfc3339(),
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {},
                    "subresource": "token",
                }
            ],
        },
        "spec": {
            "audiences": spec.get("audiences") or ["https://kubernetes.default.svc.cluster.local"],
            "expirationSeconds": seconds,
            "boundObjectRef": spec.get("boundObjectRef"),
        },
        "status": {
            "token": frontend.server.rbac.issue_token(ns, name, sa["metadata"]["uid"]),
            "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }


def rules_review(frontend: HttpFrontend, body: Any, ident: Identity) -> dict[str, Any]:
    """A SelfSubjectRulesReview. For the emulator's own user: the rules the forbid() list
    leaves (one rule per resource); ``rules_review = "incomplete"`` answers as behind a
    webhook authorizer: no rules of its own, ``incomplete: true``. For a ServiceAccount:
    its RBAC rules."""
    if not isinstance(body, dict):
        raise bad_request("the body of the request could not be decoded")
    spec = body.get("spec") or {}
    ns = spec.get("namespace") or ""
    if not ns:
        raise bad_request("no namespace on request")
    rbac = frontend.server.rbac
    rules: list[dict[str, Any]] = []
    non_resource = rbac.non_resource_rules(ident)
    if not ident.superuser:
        rules = rbac.resource_rules(ident, ns)
    elif frontend.rules_review == "incomplete":
        rules = rbac.resource_rules(ident, None)
    else:
        if not frontend.denied:
            rules.append({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})
            non_resource = [{"verbs": ["*"], "nonResourceURLs": ["*"]}, *non_resource]
        else:
            for res in RESOURCES.values():
                subs = (res.plural, *(f"{res.plural}/{sub}" for sub in subresources_of(res)))
                for name in subs:
                    verbs = [v for v in _RULE_VERBS if not frontend.is_denied(v, name, ns)]
                    if verbs:
                        rules.append(
                            {"verbs": verbs, "apiGroups": [res.group], "resources": [name]}
                        )
        rules += rbac.resource_rules(ident, None)
    status: dict[str, Any] = {
        "resourceRules": rules,
        "nonResourceRules": non_resource,
        "incomplete": ident.superuser and frontend.rules_review == "incomplete",
    }
    if status["incomplete"]:
        status["evaluationError"] = "webhook authorizer does not support user rule resolution"
    return {
        "kind": "SelfSubjectRulesReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {},
        "spec": {},
        "status": status,
    }


def access_review(
    frontend: HttpFrontend, body: Any, ident: Identity, manager: str
) -> dict[str, Any]:
    """A SelfSubjectAccessReview: may ``ident`` do what ``spec`` asks (``manager`` names the
    caller for the review's managedFields)?
    """
    if not isinstance(body, dict):
        raise bad_request("the body of the request could not be decoded")
    spec = body.get("spec") or {}
    attrs = spec.get("resourceAttributes")
    non = spec.get("nonResourceAttributes")
    if bool(attrs) == bool(non):
        err = invalid(
            "spec.resourceAttributes",
            attrs,
            "exactly one of nonResourceAttributes or resourceAttributes must be specified",
        )
        raise ApiError(
            422,
            "Invalid",
            f'.authorization.k8s.io "" is invalid: {err}',
            {
                "group": "authorization.k8s.io",
                "causes": [{"reason": err.type, "message": err.body(), "field": err.field}],
            },
        )
    if attrs:
        resource = attrs.get("resource", "")
        if attrs.get("subresource"):
            resource += "/" + attrs["subresource"]
        ns = attrs.get("namespace") or None
        verb = attrs.get("verb", "")
        if ident.superuser:
            allowed = not frontend.is_denied(verb, resource, ns)
        else:
            allowed = frontend.server.rbac.allows(
                ident, verb, attrs.get("group", ""), resource, ns, attrs.get("name", "")
            )
    else:
        path = str((non or {}).get("path", ""))
        allowed = ident.superuser or frontend.server.rbac.allows_path(ident, path)
    status: dict[str, Any] = {"allowed": allowed}
    if not allowed and ident.superuser:
        status["reason"] = "access denied by the emulator's forbid() rules"
    return {
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {
            "managedFields": [
                {
                    "manager": manager or "unknown",
                    "operation": "Update",
                    "apiVersion": "authorization.k8s.io/v1",
                    "time": now_rfc3339(),
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {},
                }
            ]
        },
        "spec": spec,
        "status": status,
    }
