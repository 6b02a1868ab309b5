"""Status objects: reasons, codes, messages and details as the real apiserver sends them."""

from __future__ import annotations

from typing import Any

from claworc_emulator import EmulatorServer
from tests.emulator.conftest import DEPLOYMENTS, NS, SECRETS, SERVICES, Http, deployment


def assert_status(body: dict[str, Any], code: int, reason: str, message: str) -> None:
    assert body["kind"] == "Status"
    assert body["apiVersion"] == "v1"
    assert body["metadata"] == {}
    assert body["status"] == "Failure"
    assert body["code"] == code
    assert body["reason"] == reason
    assert body["message"] == message


async def test_not_found(http: Http) -> None:
    status, body = await http.get(f"{DEPLOYMENTS}/bot-x")
    assert status == 404
    assert_status(body, 404, "NotFound", 'deployments.apps "bot-x" not found')
    assert body["details"] == {"name": "bot-x", "group": "apps", "kind": "deployments"}
    status, body = await http.get(f"{SECRETS}/nope")
    assert body["details"] == {"name": "nope", "kind": "secrets"}
    assert body["message"] == 'secrets "nope" not found'


async def test_create_in_missing_namespace(http: Http) -> None:
    status, body = await http.post("/api/v1/namespaces/ghost/secrets", {"metadata": {"name": "s"}})
    assert status == 404
    assert_status(body, 404, "NotFound", 'namespaces "ghost" not found')


async def test_already_exists(http: Http) -> None:
    secret = {"metadata": {"name": "bot-x-keys"}, "stringData": {"k": "v"}}
    assert (await http.post(SECRETS, secret))[0] == 201
    status, body = await http.post(SECRETS, secret)
    assert status == 409
    assert_status(body, 409, "AlreadyExists", 'secrets "bot-x-keys" already exists')
    assert body["details"] == {"name": "bot-x-keys", "kind": "secrets"}


async def test_conflict_on_stale_resource_version(http: Http) -> None:
    path = f"/api/v1/namespaces/{NS}/configmaps"
    _, created = await http.post(path, {"metadata": {"name": "x"}, "data": {"a": "1"}})
    first = dict(created, data={"a": "2"})
    status, updated = await http.put(f"{path}/x", first)
    assert status == 200
    assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    stale = dict(created, data={"a": "3"})
    status, body = await http.put(f"{path}/x", stale)
    assert status == 409
    assert_status(
        body,
        409,
        "Conflict",
        'Operation cannot be fulfilled on configmaps "x": '
        "the object has been modified; please apply your changes to the latest "
        "version and try again",
    )
    assert body["details"] == {"name": "x", "kind": "configmaps"}


async def test_invalid_name_has_causes(http: Http) -> None:
    status, body = await http.post(SECRETS, {"metadata": {"name": "Bad_Name"}})
    assert status == 422
    msg = body["message"]
    assert msg.startswith(
        'Secret "Bad_Name" is invalid: metadata.name: Invalid value: '
        '"Bad_Name": a lowercase RFC 1123 subdomain must consist of'
    )
    assert body["reason"] == "Invalid"
    assert body["details"]["kind"] == "Secret"
    assert body["details"]["causes"][0]["reason"] == "FieldValueInvalid"
    assert body["details"]["causes"][0]["field"] == "metadata.name"


async def test_service_name_is_rfc1123_label(http: Http) -> None:
    # Since Kubernetes 1.34 a Service name is an RFC 1123 label (a leading digit is fine).
    svc: dict[str, Any] = {"metadata": {"name": "1bot"}, "spec": {"ports": [{"port": 80}]}}
    assert (await http.post(SERVICES, svc))[0] == 201
    svc["metadata"]["name"] = "-bot"
    status, body = await http.post(SERVICES, svc)
    assert status == 422
    assert (
        'metadata.name: Invalid value: "-bot": a lowercase RFC 1123 label must consist of lower '
        "case alphanumeric characters or '-', and must start and end with an alphanumeric "
        "character"
    ) in body["message"]
    svc["metadata"]["name"] = "a" * 64
    status, body = await http.post(SERVICES, svc)
    assert status == 422
    assert "must be no more than 63 characters" in body["message"]


async def test_label_value_too_long_and_bad(http: Http) -> None:
    status, body = await http.post(
        SECRETS, {"metadata": {"name": "s", "labels": {"a": "x" * 64, "b": "no spaces"}}}
    )
    assert status == 422
    fields = [c["field"] for c in body["details"]["causes"]]
    assert fields == ["metadata.labels", "metadata.labels"]
    assert body["message"].startswith('Secret "s" is invalid: [metadata.labels: Invalid value:')


async def test_value_ending_in_a_newline_is_invalid(http: Http) -> None:
    # Go's regexp "$" is the end of the text (Python's re would also match before a last "\n"):
    # the apiserver refuses a label value or a name that ends in a newline.
    status, body = await http.post(SECRETS, {"metadata": {"name": "s", "labels": {"a": "v1\n"}}})
    assert status == 422
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": (
                'Invalid value: "v1\\n": a valid label must be an empty string or consist of '
                "alphanumeric characters, '-', '_' or '.', and must start and end with an "
                "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
                "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
            ),
            "field": "metadata.labels",
        }
    ]
    status, body = await http.post(SECRETS, {"metadata": {"name": "s\n"}})
    assert status == 422
    assert [c["field"] for c in body["details"]["causes"]] == ["metadata.name"]


async def test_deployment_selector_mismatch_and_immutable(http: Http) -> None:
    bad = deployment("x")
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "y"}
    status, body = await http.post(DEPLOYMENTS, bad)
    assert status == 422
    assert body["message"] == (
        'Deployment.apps "x" is invalid: spec.template.metadata.labels: Invalid value: '
        '{"app":"y"}: `selector` does not match template `labels`'
    )
    _, created = await http.post(DEPLOYMENTS, deployment("x"))
    del created["metadata"]["resourceVersion"]  # unconditional update: the controller writes too
    created["spec"]["selector"] = {"matchLabels": {"app": "x", "tier": "z"}}
    created["spec"]["template"]["metadata"]["labels"]["tier"] = "z"
    status, body = await http.put(f"{DEPLOYMENTS}/x", created)
    assert status == 422
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": 'Invalid value: {"matchLabels":{"app":"x","tier":"z"}}: field is immutable',
            "field": "spec.selector",
        }
    ]


async def test_namespace_mismatch_is_bad_request(http: Http) -> None:
    status, body = await http.post(SECRETS, {"metadata": {"name": "s", "namespace": "other"}})
    assert status == 400
    assert_status(
        body,
        400,
        "BadRequest",
        "the namespace of the provided object does not match the namespace sent on the request",
    )


async def test_forbidden_and_ssar(http: Http, emulator: EmulatorServer) -> None:
    emulator.forbid("create", "deployments", NS)
    status, body = await http.post(DEPLOYMENTS, deployment("x"))
    assert status == 403
    assert_status(
        body,
        403,
        "Forbidden",
        "deployments.apps is forbidden: User "
        '"system:serviceaccount:claworc:claworc-tui" cannot create resource '
        '"deployments" in API group "apps" in the namespace "claworc"',
    )
    assert body["details"] == {"group": "apps", "kind": "deployments"}
    assert emulator.objects("deployments", NS) == []
    review: dict[str, Any] = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {
            "resourceAttributes": {
                "namespace": NS,
                "verb": "create",
                "group": "apps",
                "resource": "deployments",
            }
        },
    }
    path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    status, body = await http.post(path, review)
    assert status == 201
    assert body["status"]["allowed"] is False
    assert body["status"]["reason"]
    review["spec"]["resourceAttributes"]["verb"] = "list"
    assert (await http.post(path, review))[1]["status"] == {"allowed": True}
    emulator.allow_all()
    assert (await http.post(DEPLOYMENTS, deployment("x")))[0] == 201


async def test_rules_review_lists_what_rbac_allows(http: Http, emulator: EmulatorServer) -> None:
    path = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview"}
    status, body = await http.post(path, {**review, "spec": {}})
    assert (status, body["reason"], body["message"]) == (
        400,
        "BadRequest",
        "no namespace on request",
    )
    status, body = await http.post(path, {**review, "spec": {"namespace": NS}})
    assert status == 201
    assert body["status"]["incomplete"] is False
    assert {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]} in body["status"][
        "resourceRules"
    ]
    emulator.forbid("delete", "secrets")
    rules = (await http.post(path, {**review, "spec": {"namespace": NS}}))[1]["status"][
        "resourceRules"
    ]
    secrets = [r for r in rules if r["resources"] == ["secrets"]]
    assert secrets == [
        {
            "verbs": ["get", "list", "watch", "create", "update", "patch", "deletecollection"],
            "apiGroups": [""],
            "resources": ["secrets"],
        }
    ]
    assert any(r["resources"] == ["pods/log"] for r in rules)
    emulator.rules_review("incomplete")
    status_doc = (await http.post(path, {**review, "spec": {"namespace": NS}}))[1]["status"]
    assert status_doc["incomplete"] is True
    assert status_doc["evaluationError"]


async def test_forbid_star_denies_every_write_only(http: Http, emulator: EmulatorServer) -> None:
    emulator.forbid("*", "secrets")
    assert (await http.post(SECRETS, {"metadata": {"name": "s"}}))[0] == 403
    status, body = await http.delete(f"{SECRETS}/s")
    assert status == 403
    assert body["message"].startswith('secrets "s" is forbidden: User')
    assert (await http.get(SECRETS))[0] == 200


async def test_method_not_allowed_and_unknown_path(http: Http) -> None:
    status, body = await http.put(DEPLOYMENTS, {})
    assert status == 405
    assert body["reason"] == "MethodNotAllowed"
    status, body = await http.get("/apis/apps/v1/namespaces/claworc/widgets")
    assert status == 404
    assert body["reason"] == "NotFound"


async def test_unsupported_patch_type(http: Http) -> None:
    await http.post(SECRETS, {"metadata": {"name": "s"}})
    status, body = await http.patch(f"{SECRETS}/s", {"a": 1}, "text/plain")
    assert status == 415
    assert body["reason"] == "UnsupportedMediaType"


async def test_secret_data_must_be_base64(http: Http) -> None:
    status, body = await http.post(SECRETS, {"metadata": {"name": "s"}, "data": {"k": "abc!"}})
    assert status == 400
    assert_status(
        body,
        400,
        "BadRequest",
        'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3',
    )


async def test_config_keys_validated(http: Http) -> None:
    status, body = await http.post(
        f"/api/v1/namespaces/{NS}/configmaps", {"metadata": {"name": "c"}, "data": {"bad key": "v"}}
    )
    assert status == 422
    assert body["details"]["causes"][0]["field"] == "data[bad key]"
    assert "a valid config key must consist of alphanumeric characters" in body["message"]


async def test_invalid_propagation_policy(http: Http) -> None:
    await http.post(SECRETS, {"metadata": {"name": "s"}})
    status, body = await http.delete(f"{SECRETS}/s", {"propagationPolicy": "Sideways"})
    assert status == 422
    assert body["message"] == (
        'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: '
        'Unsupported value: "Sideways": supported values: "Foreground", '
        '"Background", "Orphan", "nil"'
    )
