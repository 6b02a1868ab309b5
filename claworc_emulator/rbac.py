"""Who is calling (authentication) and what they may do (RBAC), as the apiserver decides it.

Three kinds of caller: the emulator's own user (the configured token, or any request when no
token is configured) may do everything the test hooks do not ``forbid()``; a ServiceAccount
token from the TokenRequest API gets exactly its Roles/ClusterRoles via bindings, plus what
every authenticated user may do; a request without credentials is ``system:anonymous``, which
may only read the public health and version endpoints.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from claworc_emulator.object_store import Obj, ObjectStore
from claworc_emulator.resources import BY_PLURAL

_BASIC_RULES: list[Obj] = [  # system:basic-user (every authenticated user)
    {
        "verbs": ["create"],
        "apiGroups": ["authentication.k8s.io"],
        "resources": ["selfsubjectreviews"],
    },
    {
        "verbs": ["create"],
        "apiGroups": ["authorization.k8s.io"],
        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    },
]
_PUBLIC_INFO: Obj = {  # system:public-info-viewer (everyone, even anonymous)
    "verbs": ["get"],
    "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"],
}
_DISCOVERY: Obj = {  # system:discovery (authenticated)
    "verbs": ["get"],
    "nonResourceURLs": [
        "/api",
        "/api/*",
        "/apis",
        "/apis/*",
        "/healthz",
        "/livez",
        "/openapi",
        "/openapi/*",
        "/readyz",
        "/version",
        "/version/",
    ],
}
_ISSUER_DISCOVERY: Obj = {  # system:service-account-issuer-discovery (service accounts)
    "verbs": ["get"],
    "nonResourceURLs": [
        "/.well-known/openid-configuration",
        "/.well-known/openid-configuration/",
        "/openid/v1/jwks",
        "/openid/v1/jwks/",
    ],
}


@dataclass
class Identity:
    """Who is calling: user name and groups."""

    user: str
    groups: list[str] = field(default_factory=list)
    superuser: bool = False  # the emulator's own user: all but the forbid() rules
    anonymous: bool = False


def _b64(data: Obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class Rbac:
    """Authentication (bearer tokens) and RBAC authorisation from the stored Roles,
    ClusterRoles and bindings.
    """

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.tokens: dict[str, tuple[str, str]] = {}  # token -> (namespace, service account)

    # -- authentication --------------------------------------------------------------------
    def issue_token(self, ns: str, sa: str, uid: str) -> str:
        """A TokenRequest: a JWT-shaped token for the ServiceAccount."""
        header = _b64({"alg": "RS256", "kid": "emulator"})
        claims = _b64({"sub": f"system:serviceaccount:{ns}:{sa}", "uid": uid})
        token = f"eyJ{header[3:]}.eyJ{claims[3:]}.{secrets.token_urlsafe(32)}"
        self.tokens[token] = (ns, sa)
        return token

    def identify(self, authorization: str, own_token: str | None, own_user: str) -> Identity | None:
        """The caller, or None when the credentials are not valid (401)."""
        if not authorization:
            if own_token is None:
                return Identity(own_user, superuser=True)
            return Identity("system:anonymous", ["system:unauthenticated"], anonymous=True)
        token = authorization.removeprefix("Bearer ").strip()
        if own_token is None or token == own_token:
            if token in self.tokens:
                return self._service_account(token)
            return Identity(own_user, superuser=True)
        if token in self.tokens:
            return self._service_account(token)
        return None

    def _service_account(self, token: str) -> Identity:
        ns, sa = self.tokens[token]
        groups = ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]
        return Identity(f"system:serviceaccount:{ns}:{sa}", groups)

    # -- authorization ---------------------------------------------------------------------
    def _subject_matches(self, subject: Any, ident: Identity) -> bool:
        if not isinstance(subject, dict):
            return False
        kind, name = subject.get("kind"), subject.get("name")
        if kind == "ServiceAccount":
            return ident.user == f"system:serviceaccount:{subject.get('namespace')}:{name}"
        if kind == "User":
            return ident.user == name
        if kind == "Group":
            return name in ident.groups
        return False

    def _role_rules(self, ref: Any, ns: str) -> list[Obj]:
        if not isinstance(ref, dict):
            return []
        if ref.get("kind") == "Role":
            role = self.store.get(BY_PLURAL["roles"], ns, str(ref.get("name")))
        else:
            role = self.store.get(BY_PLURAL["clusterroles"], "", str(ref.get("name")))
        return [r for r in (role or {}).get("rules") or [] if isinstance(r, dict)]

    def resource_rules(self, ident: Identity, ns: str | None) -> list[Obj]:
        """The rules RBAC grants ``ident`` in ``ns`` (cluster-wide ones when ns is None)."""
        if ident.anonymous:
            return []
        rules: list[Obj] = []
        for crb in self.store.items(BY_PLURAL["clusterrolebindings"]):
            if any(self._subject_matches(s, ident) for s in crb.get("subjects") or []):
                rules += self._role_rules(crb.get("roleRef"), "")
        if ns:
            for rb in self.store.items(BY_PLURAL["rolebindings"], ns):
                if any(self._subject_matches(s, ident) for s in rb.get("subjects") or []):
                    rules += self._role_rules(rb.get("roleRef"), ns)
        return [r for r in rules if r.get("resources") or r.get("apiGroups")] + _BASIC_RULES

    def non_resource_rules(self, ident: Identity) -> list[Obj]:
        if ident.anonymous:
            return [_PUBLIC_INFO]
        out = [_DISCOVERY, _PUBLIC_INFO]
        if "system:serviceaccounts" in ident.groups:
            out.insert(0, _ISSUER_DISCOVERY)
        return out

    def allows(
        self, ident: Identity, verb: str, group: str, resource: str, ns: str | None, name: str
    ) -> bool:
        for rule in self.resource_rules(ident, ns):
            verbs, groups = rule.get("verbs") or [], rule.get("apiGroups") or []
            resources, names = rule.get("resources") or [], rule.get("resourceNames") or []
            if not ("*" in verbs or verb in verbs):
                continue
            if not ("*" in groups or group in groups):
                continue
            base = resource.split("/")[0]
            if not ("*" in resources or resource in resources or f"{base}/*" in resources):
                continue
            if names and name not in names:
                continue
            return True
        return False

    def allows_path(self, ident: Identity, path: str) -> bool:
        for rule in self.non_resource_rules(ident):
            for url in rule["nonResourceURLs"]:
                if url == path or (url.endswith("*") and path.startswith(url[:-1])):
                    return True
        return False
