"""The manifests against the primary spec's "Kubernetes Resources per Instance", field by field."""

from __future__ import annotations

import base64
import json
from typing import Any

from pydantic import SecretStr

from claworc_tui.k8s import manifests as m
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import InstanceStatus, Provider, Resources, Storage
from tests.k8s.factories import GLOBAL_KEYS, make_instance, make_settings

LABELS = {"app": "bot-alpha", "managed-by": "claworc"}
NOTES = {
    "claworc.dev/display-name": "Alpha",
    "claworc.dev/exposure": "nodeport",
    "claworc.dev/key-overrides": "",
}


def plain(manifest: object) -> Any:
    """A manifest (or list of them) through JSON: plain data to look into (the asserts check
    its shape), and proof that it serialises."""
    return json.loads(json.dumps(manifest))


def test_deployment_matches_the_spec() -> None:
    dep = plain(m.deployment(make_instance(), make_settings(), namespace="claworc"))
    assert dep["apiVersion"] == "apps/v1"
    assert dep["kind"] == "Deployment"
    assert dep["metadata"] == {
        "name": "bot-alpha",
        "namespace": "claworc",
        "labels": LABELS,
        "annotations": NOTES,
    }
    spec = dep["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    assert spec["selector"] == {"matchLabels": {"app": "bot-alpha"}}
    assert spec["template"]["metadata"] == {"labels": LABELS}
    pod = spec["template"]["spec"]
    assert "imagePullSecrets" not in pod
    (container,) = pod["containers"]
    assert container["name"] == "moltbot"
    assert container["image"] == "glukw/openclaw-vnc-chrome:latest"
    assert container["imagePullPolicy"] == "Always"
    assert container["securityContext"] == {"privileged": True}
    assert container["ports"] == [
        {"containerPort": 6081, "name": "novnc-chrome"},
        {"containerPort": 6082, "name": "novnc-term"},
    ]
    assert container["env"] == [
        {"name": "VNC_RESOLUTION", "value": "1920x1080"},
        {"name": "VNC_DEPTH", "value": "24"},
    ]
    assert container["envFrom"] == [{"secretRef": {"name": "bot-alpha-keys"}}]
    assert container["resources"] == {
        "requests": {"cpu": "500m", "memory": "1Gi"},
        "limits": {"cpu": "2000m", "memory": "4Gi"},
    }
    assert container["volumeMounts"] == [
        {"name": "clawdbot-data", "mountPath": "/root/.clawdbot"},
        {"name": "chrome-data", "mountPath": "/root/.config/google-chrome"},
        {"name": "homebrew-data", "mountPath": "/home/linuxbrew/.linuxbrew"},
        {"name": "clawd-data", "mountPath": "/root/clawd"},
        {"name": "config", "mountPath": "/etc/clawdbot/clawdbot.json", "subPath": "clawdbot.json"},
        {"name": "cgroup", "mountPath": "/sys/fs/cgroup"},
        {"name": "run", "mountPath": "/run"},
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "dshm", "mountPath": "/dev/shm"},
    ]
    assert container["livenessProbe"] == {
        "tcpSocket": {"port": 6081},
        "initialDelaySeconds": 60,
        "periodSeconds": 30,
    }
    assert container["readinessProbe"] == {
        "httpGet": {"path": "/", "port": 6081},
        "initialDelaySeconds": 30,
        "periodSeconds": 10,
    }
    assert pod["volumes"] == [
        {"name": "clawdbot-data", "persistentVolumeClaim": {"claimName": "bot-alpha-clawdbot"}},
        {"name": "homebrew-data", "persistentVolumeClaim": {"claimName": "bot-alpha-homebrew"}},
        {"name": "clawd-data", "persistentVolumeClaim": {"claimName": "bot-alpha-clawd"}},
        {"name": "chrome-data", "persistentVolumeClaim": {"claimName": "bot-alpha-chrome"}},
        {"name": "config", "configMap": {"name": "bot-alpha-config"}},
        {"name": "cgroup", "hostPath": {"path": "/sys/fs/cgroup", "type": "Directory"}},
        {"name": "run", "emptyDir": {"medium": "Memory"}},
        {"name": "tmp", "emptyDir": {}},
        {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}},
    ]


def test_every_mount_has_a_volume_and_names_never_double_the_prefix() -> None:
    dep = plain(m.deployment(make_instance(), make_settings()))
    pod = dep["spec"]["template"]["spec"]
    volumes = {v["name"] for v in pod["volumes"]}
    assert {mount["name"] for mount in pod["containers"][0]["volumeMounts"]} == volumes
    assert "bot-bot" not in json.dumps(plain(m.all_manifests(make_instance(), make_settings(), {})))
    assert "namespace" not in dep["metadata"]


def test_deployment_uses_settings_and_instance_values() -> None:
    instance = make_instance(
        resources=Resources(
            cpu_request="1", cpu_limit="3", memory_request="2Gi", memory_limit="6Gi"
        ),
        status=InstanceStatus.STOPPED,
    )
    settings = make_settings(image="ghcr.io/acme/bot:1.2", image_pull_secret="ghcr-secret")
    dep = plain(m.deployment(instance, settings))
    pod = dep["spec"]["template"]["spec"]
    assert dep["spec"]["replicas"] == 0
    assert pod["containers"][0]["image"] == "ghcr.io/acme/bot:1.2"
    assert pod["imagePullSecrets"] == [{"name": "ghcr-secret"}]
    assert pod["containers"][0]["resources"] == {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"cpu": "3", "memory": "6Gi"},
    }
    assert plain(m.deployment(instance, settings, replicas=1))["spec"]["replicas"] == 1


def test_four_pvcs_with_sizes_from_the_instance() -> None:
    storage = Storage(clawdbot="6Gi", homebrew="11Gi", clawd="7Gi", chrome="8Gi")
    claims = plain(m.pvcs(make_instance(storage=storage), namespace="claworc"))
    assert [c["metadata"]["name"] for c in claims] == [
        "bot-alpha-clawdbot",
        "bot-alpha-homebrew",
        "bot-alpha-clawd",
        "bot-alpha-chrome",
    ]
    for claim, size in zip(claims, ["6Gi", "11Gi", "7Gi", "8Gi"], strict=True):
        assert claim["apiVersion"] == "v1"
        assert claim["kind"] == "PersistentVolumeClaim"
        assert claim["metadata"]["labels"] == LABELS
        assert claim["metadata"]["namespace"] == "claworc"
        assert claim["spec"] == {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": size}},
        }


def test_default_pvc_sizes() -> None:
    sizes = [c["spec"]["resources"]["requests"]["storage"] for c in plain(m.pvcs(make_instance()))]
    assert sizes == ["5Gi", "10Gi", "5Gi", "5Gi"]


def test_secret_holds_effective_keys_base64() -> None:
    overrides = {Provider.ANTHROPIC: SecretStr("sk-ant-override-22222222")}
    keys = m.effective_keys(overrides, GLOBAL_KEYS)
    assert set(keys) == {Provider.ANTHROPIC, Provider.BRAVE}  # OpenAI has neither: left out
    sec = plain(m.secret(make_instance(), keys))
    assert sec["apiVersion"] == "v1"
    assert sec["kind"] == "Secret"
    assert sec["type"] == "Opaque"
    assert sec["metadata"] == {"name": "bot-alpha-keys", "labels": LABELS, "annotations": NOTES}
    decoded = {k: base64.b64decode(v).decode() for k, v in sec["data"].items()}
    assert decoded == {
        "ANTHROPIC_API_KEY": "sk-ant-override-22222222",
        "BRAVE_API_KEY": "brave-global-1111111111111111",
    }


def test_empty_override_does_not_hide_the_global_key() -> None:
    keys = m.effective_keys({Provider.BRAVE: SecretStr("")}, GLOBAL_KEYS)
    assert keys[Provider.BRAVE].get_secret_value() == "brave-global-1111111111111111"
    assert plain(m.secret(make_instance(), {}))["data"] == {}


def test_configmap_holds_clawdbot_json() -> None:
    text = '{\n  "key": "value",\n  "api_key": "${ANTHROPIC_API_KEY}"\n}'
    cm = plain(m.configmap(make_instance(config=text)))
    assert cm["apiVersion"] == "v1"
    assert cm["kind"] == "ConfigMap"
    assert cm["metadata"] == {"name": "bot-alpha-config", "labels": LABELS, "annotations": NOTES}
    assert cm["data"] == {"clawdbot.json": text}
    assert plain(m.configmap(make_instance()))["data"] == {"clawdbot.json": "{}"}


def test_service_is_nodeport_with_the_pair() -> None:
    svc = plain(m.service(make_instance(port=30104)))
    assert svc["apiVersion"] == "v1"
    assert svc["kind"] == "Service"
    assert svc["metadata"] == {"name": "bot-alpha-vnc", "labels": LABELS, "annotations": NOTES}
    assert svc["spec"] == {
        "type": "NodePort",
        "ports": [
            {
                "name": "chrome",
                "port": 6081,
                "targetPort": 6081,
                "nodePort": 30104,
                "protocol": "TCP",
            },
            {
                "name": "terminal",
                "port": 6082,
                "targetPort": 6082,
                "nodePort": 30105,
                "protocol": "TCP",
            },
        ],
        "selector": {"app": "bot-alpha"},
    }


def test_all_manifests_order_and_labels() -> None:
    objs = plain(m.all_manifests(make_instance(), make_settings(), {}, namespace="ns1"))
    assert [o["kind"] for o in objs] == [
        "PersistentVolumeClaim",
        "PersistentVolumeClaim",
        "PersistentVolumeClaim",
        "PersistentVolumeClaim",
        "Secret",
        "ConfigMap",
        "Service",
        "Deployment",
    ]
    assert all(o["metadata"]["labels"] == LABELS for o in objs)
    assert all(o["metadata"]["namespace"] == "ns1" for o in objs)


def test_expected_shape() -> None:
    shape = m.expected_shape(
        make_instance(config='{"a": 1}'), make_settings(), m.effective_keys({}, GLOBAL_KEYS)
    )
    assert shape.replicas == 1
    assert shape.image == "glukw/openclaw-vnc-chrome:latest"
    assert (shape.cpu_request, shape.cpu_limit) == ("500m", "2000m")
    assert (shape.memory_request, shape.memory_limit) == ("1Gi", "4Gi")
    assert shape.node_ports == (30100, 30101)
    assert shape.storage == {"clawdbot": "5Gi", "homebrew": "10Gi", "clawd": "5Gi", "chrome": "5Gi"}
    assert shape.config_hash == m.config_hash('{"a": 1}')
    assert shape.secret_keys == {"ANTHROPIC_API_KEY", "BRAVE_API_KEY"}


def test_no_key_in_any_repr() -> None:
    keys = m.effective_keys({}, GLOBAL_KEYS)
    assert "global-0000" not in repr(keys)
    assert "global-0000" not in repr(m.expected_shape(make_instance(), make_settings(), keys))


def test_annotations_say_whose_it_is_and_what_the_cluster_does_not_hold() -> None:
    instance = make_instance().model_copy(
        update={
            "exposure": Exposure.PRIVATE,
            "nodeport_chrome": None,  # a private instance holds no NodePort pair
            "nodeport_terminal": None,
            "overrides": frozenset({Provider.OPENAI, Provider.BRAVE}),
        }
    )
    objs = [
        m.with_owner(o, "0123abcd")
        for o in m.all_manifests(instance, make_settings(), GLOBAL_KEYS, namespace="ns1")
    ]
    for obj in objs:
        meta = obj["metadata"]
        assert isinstance(meta, dict)
        assert meta["labels"] == {**LABELS, "claworc.dev/owner": "0123abcd"}
        assert meta["annotations"] == {
            "claworc.dev/display-name": "Alpha",
            "claworc.dev/exposure": "private",
            "claworc.dev/key-overrides": "openai,brave",
            "claworc.dev/owner": "0123abcd",
        }
    # Keys stay in the Secret's data alone.
    for obj in objs:
        if obj["kind"] != "Secret":
            assert all(k.get_secret_value() not in json.dumps(obj) for k in GLOBAL_KEYS.values())
