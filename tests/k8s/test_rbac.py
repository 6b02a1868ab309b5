"""deploy/rbac.yaml grants exactly what the client uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from claworc_tui.k8s.cluster_ops import APP_ACTIONS

RBAC = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"


def grants(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (verb, resource)
        for rule in doc["rules"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def test_role_grants_exactly_the_app_actions() -> None:
    docs = {doc["kind"]: doc for doc in yaml.safe_load_all(RBAC.read_text())}
    assert grants(docs["Role"]) == set(APP_ACTIONS)
    assert docs["RoleBinding"]["roleRef"]["name"] == docs["Role"]["metadata"]["name"]
    assert docs["RoleBinding"]["subjects"][0]["name"] == docs["ServiceAccount"]["metadata"]["name"]


def test_optional_cluster_role_covers_the_cluster_wide_reads() -> None:
    docs = {doc["kind"]: doc for doc in yaml.safe_load_all(RBAC.read_text())}
    assert grants(docs["ClusterRole"]) == {
        ("list", "nodes"),
        ("list", "services"),
        ("get", "namespaces"),
    }
    assert "OPTIONAL" in RBAC.read_text()
    assert "kubectl -n claworc create token claworc-tui" in RBAC.read_text()
