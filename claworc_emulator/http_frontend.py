"""aiohttp front end: routing, auth, RBAC, injected failures, latency and request records."""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING

from aiohttp import web

from claworc_emulator import discovery
from claworc_emulator.auth_reviews import access_review, rules_review, token_request
from claworc_emulator.body_decoding import decode_object, unknown_fields
from claworc_emulator.config import RequestRecord
from claworc_emulator.errors import (
    ApiError,
    forbidden,
    invalid_options,
    method_not_allowed,
    not_found_path,
    not_supported,
    unauthorized,
)
from claworc_emulator.event_recorder import events_v1
from claworc_emulator.http_requests import (
    TRUE_VALUES,
    Target,
    delete_options,
    error_response,
    int_param,
    json_body,
    json_response,
    parse_json,
    parse_path,
    viewed,
)
from claworc_emulator.injected import Failure, held_for, injected_failure
from claworc_emulator.object_store import now_rfc3339
from claworc_emulator.rbac import Identity
from claworc_emulator.resources import RESOURCES
from claworc_emulator.rest_list import list_objects
from claworc_emulator.selectors import Filter
from claworc_emulator.watch import check_params, serve_watch

if TYPE_CHECKING:
    from claworc_emulator.server import EmulatorServer

_OPTIONS = {
    "create": "CreateOptions",
    "update": "UpdateOptions",
    "patch": "PatchOptions",
    "delete": "DeleteOptions",
    "deletecollection": "DeleteOptions",
}
_FIELD_VALIDATION = ["", "Ignore", "Strict", "Warn"]
_IDENT = web.RequestKey("ident", Identity)
_TOKEN_PATH = re.compile(r"/api/v1/namespaces/([^/]+)/serviceaccounts/([^/]+)/token")
_REVIEWS = ("selfsubjectaccessreviews", "selfsubjectrulesreviews")
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}


class HttpFrontend:
    """The aiohttp application: authentication, RBAC, injected failures and latency, request
    records, then dispatch to discovery, the REST semantics, watches, logs, exec and port-forward.
    """

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.failures: list[Failure] = []
        self.delays: list[tuple[str, re.Pattern[str], float]] = []
        self.answer_delays: list[tuple[str, re.Pattern[str], float]] = []
        """Held after the request was carried out, before its answer is sent."""
        self.denied: list[tuple[str, str, str | None]] = []
        self._field_validation = "Warn"  # of the request being served (set per request)
        self.rules_review = "complete"
        """How SelfSubjectRulesReview answers: complete, incomplete (webhook), forbidden."""

    def app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    # -- RBAC ------------------------------------------------------------------------------
    def is_denied(self, verb: str, resource: str, ns: str | None) -> bool:
        for rverb, rres, rns in self.denied:
            verb_ok = rverb == verb or (rverb == "*" and verb in WRITE_VERBS)
            res_ok = rres in ("*", resource)
            if verb_ok and res_ok and (rns is None or rns == ns):
                return True
        return False

    def forbid_unless_allowed(self, verb: str, target: Target, ident: Identity) -> None:
        """Raise 403 unless RBAC (and the test hooks' forbid list) let ``ident`` do ``verb``."""
        res = target.res
        resource = f"{res.plural}/{target.sub}" if target.sub else res.plural
        ns = target.name if res.plural == "namespaces" and target.name else target.ns
        if ident.superuser:
            if not self.is_denied(verb, resource, target.ns):
                return
        elif self.server.rbac.allows(ident, verb, res.group, resource, ns, target.name or ""):
            return
        user = ident.user
        where = f'in the namespace "{ns}"' if ns else "at the cluster scope"
        why = (
            f'User "{user}" cannot {verb} resource "{resource}" in API group "{res.group}" {where}'
        )
        raise forbidden(res, target.name or "", why)

    # -- request entry ---------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        record = RequestRecord(request.method, request.path, request.query_string, 0, 0.0)
        try:
            # Like the real server, take in the whole request before working on it: a client
            # that goes away after sending a write does not undo that write.
            await request.read()
            extra = held_for(self.delays, request)
            if self.server.config.latency or extra:
                await asyncio.sleep(self.server.config.latency + extra)
            resp = await self._dispatch(request, record)
            held = held_for(self.answer_delays, request)
            if held:
                await asyncio.sleep(held)
        except ApiError as err:
            resp = error_response(err)
        except web.HTTPException:
            raise
        if record.status == 0:
            record.status = resp.status
            self.server.requests.append(record)
        record.duration = time.monotonic() - started
        return resp

    def _check_failure(self, request: web.Request) -> None:
        failure = injected_failure(self.failures, request)
        if failure is not None:
            raise failure

    async def _dispatch(self, request: web.Request, record: RequestRecord) -> web.StreamResponse:
        config = self.server.config
        ident = self.server.rbac.identify(
            request.headers.get("Authorization", ""), config.token, config.user
        )
        if ident is None:
            raise unauthorized()
        request[_IDENT] = ident
        self._check_failure(request)
        path = request.path.rstrip("/") or "/"
        public = discovery.is_health(path) or path == "/version"  # system:public-info-viewer
        if (
            not public
            and not ident.superuser
            and not self.server.rbac.allows_path(ident, path)
            and discovery.document(path, self.server.url) is not None
        ):
            raise ApiError(
                403, "Forbidden", f'forbidden: User "{ident.user}" cannot get path "{path}"', {}
            )
        if discovery.is_health(path):
            return web.Response(text="ok", content_type="text/plain", charset="utf-8")
        doc = discovery.document(path, self.server.url)
        if doc is not None:
            if request.method != "GET":
                raise method_not_allowed()
            return json_response(doc)
        if path == "/apis/authentication.k8s.io/v1/selfsubjectreviews":
            if request.method != "POST":
                raise method_not_allowed()
            if ident.anonymous:
                raise ApiError(
                    403,
                    "Forbidden",
                    "selfsubjectreviews.authentication.k8s.io is forbidden: User "
                    '"system:anonymous" cannot create resource "selfsubjectreviews" in API group '
                    '"authentication.k8s.io" at the cluster scope',
                    {"group": "authentication.k8s.io", "kind": "selfsubjectreviews"},
                )
            groups = ident.groups or ["system:masters", "system:authenticated"]
            me = {
                "kind": "SelfSubjectReview",
                "apiVersion": "authentication.k8s.io/v1",
                "metadata": {"creationTimestamp": now_rfc3339()},
                "status": {"userInfo": {"username": ident.user, "groups": groups}},
            }
            return json_response(me, 201)
        token = _TOKEN_PATH.fullmatch(path)
        if token:
            return json_response(await token_request(self, request, ident, *token.groups()), 201)
        review = path.rsplit("/", 1)[-1]
        if path.startswith("/apis/authorization.k8s.io/v1/") and review in _REVIEWS:
            if request.method != "POST":
                raise method_not_allowed()
            if ident.anonymous or (
                review == "selfsubjectrulesreviews" and self.rules_review == "forbidden"
            ):
                raise ApiError(
                    403,
                    "Forbidden",
                    f'{review}.authorization.k8s.io is forbidden: User "{ident.user}" '
                    f'cannot create resource "{review}" in API group '
                    '"authorization.k8s.io" at the cluster scope',
                    {"group": "authorization.k8s.io", "kind": review},
                )
            body = await json_body(request)
            if review == "selfsubjectaccessreviews":
                ua = request.headers.get("User-Agent", "").split("/")[0]
                return json_response(access_review(self, body, ident, ua), 201)
            return json_response(rules_review(self, body, ident), 201)
        target = parse_path(path)
        if target is None:
            parts = path.split("/")
            if parts[1:2] == ["api"] or (
                parts[1:2] == ["apis"] and any(g == parts[2] for g, _ in RESOURCES)
            ):
                raise not_found_path()
            return web.Response(
                status=404, text="404 page not found\n", content_type="text/plain", charset="utf-8"
            )
        return await self._resource(request, target, record)

    async def _resource(
        self, request: web.Request, t: Target, record: RequestRecord
    ) -> web.StreamResponse:
        api = self.server.api
        q = request.query
        method = request.method
        watch = t.watch or q.get("watch", "") in TRUE_VALUES
        if method == "GET" and t.name is None:
            verb = "watch" if watch else "list"
        elif method == "GET":
            verb = "watch" if watch else "get"
        else:
            verb = {
                "POST": "create",
                "PUT": "update",
                "PATCH": "patch",
                "DELETE": "delete" if t.name else "deletecollection",
            }.get(method, "")
        if (
            not verb
            or (verb == "create" and t.name is not None)
            or (verb in ("update", "patch") and t.name is None)
        ):
            raise method_not_allowed()
        self.forbid_unless_allowed(verb, t, request[_IDENT])
        dry = q.getall("dryRun", [])
        options = _OPTIONS.get(verb)
        if options and any(d != "All" for d in dry):
            raise invalid_options(options, not_supported("dryRun", dry, ["All"]))
        validation = q.get("fieldValidation", "")
        if options and options != "DeleteOptions" and validation not in _FIELD_VALIDATION:
            raise invalid_options(
                options, not_supported("fieldValidation", validation, _FIELD_VALIDATION)
            )
        self._field_validation = validation or "Warn"
        ctype = request.headers.get("Content-Type", "")
        manager = q.get("fieldManager") or request.headers.get("User-Agent", "").split("/")[0]
        operation = "Apply" if ctype.startswith("application/apply-patch") else "Update"
        if t.sub is not None:
            with self.server.api.acting(manager or "unknown", operation, t.sub):
                return await self._subresource(request, t, verb, record)
        filt = None
        if verb in ("list", "watch", "deletecollection"):
            filt = Filter(t.res.plural, q.get("labelSelector", ""), q.get("fieldSelector", ""))
            if t.name is not None:
                filt.fields += Filter(t.res.plural, "", f"metadata.name={t.name}").fields
        if verb == "watch":
            assert filt is not None
            check_params(dict(q))
            record.status = 200
            self.server.requests.append(record)
            return await serve_watch(
                request,
                self.server.store,
                t.res,
                t.ns,
                filt,
                dict(q),
                self.server.closing,
                self.server.config.bookmark_interval,
                events_v1 if t.res.view_of else None,
            )
        raw = await request.read() if verb in WRITE_VERBS else b""
        # Everything below is synchronous, so the dry-run flag covers this request only.
        api.dry_run = bool(dry) and verb in WRITE_VERBS
        try:
            with api.acting(manager or "unknown", operation, ""):
                return self._call(request, t, verb, raw, filt)
        finally:
            api.dry_run = False

    def _call(
        self, request: web.Request, t: Target, verb: str, raw: bytes, filt: Filter | None
    ) -> web.Response:
        api = self.server.api
        q = request.query
        rns = t.ns or ""
        if t.res.view_of and verb not in ("list", "get"):
            raise method_not_allowed()  # (a read-only view of another group's objects)
        if verb == "list":
            assert filt is not None
            limit = int_param(q.get("limit", "0"), "limit")
            return json_response(
                viewed(
                    t.res,
                    list_objects(
                        api.store,
                        t.res,
                        t.ns,
                        filt,
                        limit,
                        q.get("continue", ""),
                        q.get("resourceVersion", ""),
                        q.get("resourceVersionMatch", ""),
                    ),
                )
            )
        if verb == "deletecollection":
            assert filt is not None
            opts = delete_options(q, parse_json(raw, optional=True))
            return json_response(api.delete_collection(t.res, t.ns, filt, opts))
        if verb in ("create", "update"):
            body = decode_object(t.res, raw)
            warnings = unknown_fields(t.res, body, self._field_validation)
            headers = {"Warning": ", ".join(warnings)} if warnings else None
            if verb == "create":
                return json_response(api.create(t.res, rns, body), 201, headers)
            assert t.name is not None
            obj, created = api.update(t.res, rns, t.name, body)
            return json_response(obj, 201 if created else 200, headers)
        assert t.name is not None
        if verb == "get":
            return json_response(viewed(t.res, api.get(t.res, rns, t.name)))
        if verb == "patch":
            ctype = request.headers.get("Content-Type", "")
            if ctype.split(";")[0].strip() == "application/apply-patch+yaml":
                obj, created = api.apply(t.res, rns, t.name, raw)
                return json_response(obj, 201 if created else 200)
            return json_response(api.patch(t.res, rns, t.name, raw, ctype))
        opts = delete_options(q, parse_json(raw, optional=True))
        return json_response(api.delete(t.res, rns, t.name, opts))

    async def _subresource(
        self, request: web.Request, t: Target, verb: str, record: RequestRecord
    ) -> web.StreamResponse:
        assert t.name is not None
        assert t.sub is not None
        rns = t.ns or ""
        if t.res.plural == "pods" and t.sub == "log" and verb != "get":
            raise method_not_allowed()
        if t.res.plural == "pods" and t.sub == "log" and verb == "get":
            return await self.server.logs.serve(
                request, self.server.api, rns, t.name, self.server.closing
            )
        if t.res.plural == "pods" and t.sub in ("exec", "portforward") and verb == "get":
            return await self.server.streams.serve(request, rns, t.name, t.sub)
        if t.res.plural == "deployments" and t.sub == "scale":
            from claworc_emulator.subresources import scale_request

            body = await request.read() if verb in ("update", "patch") else b""
            ctype = request.headers.get("Content-Type", "")
            return json_response(scale_request(self.server.api, rns, t.name, verb, body, ctype))
        if t.sub == "status" and t.res.has_status:
            from claworc_emulator.subresources import status_request

            body = await request.read() if verb in ("update", "patch") else b""
            ctype = request.headers.get("Content-Type", "")
            return json_response(
                status_request(self.server.api, t.res, rns, t.name, verb, body, ctype)
            )
        raise not_found_path()
