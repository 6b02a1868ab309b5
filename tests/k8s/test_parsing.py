"""Pure parsing: pod status, log timestamps and resume, backoff, drift."""

from __future__ import annotations

import random
from typing import Any

import pytest

from claworc_tui.k8s.backoff import Backoff
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.follow import parse_key
from claworc_tui.k8s.logs import LogFollow, _past
from claworc_tui.k8s.manifests import expected_shape
from claworc_tui.k8s.objects import event_info, pvc_state
from claworc_tui.k8s.pods import parse_pod
from claworc_tui.models.cluster import DeploymentState, InstanceObjects, ResourceValues
from tests.k8s.factories import make_instance, make_settings


def pod(
    *,
    phase: str = "Running",
    state: dict[str, Any] | None = None,
    last: dict[str, Any] | None = None,
    ready: bool = False,
    deleting: bool = False,
    conditions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": "bot-alpha-5d8f-x",
        "namespace": "claworc",
        "labels": {"app": "bot-alpha", "managed-by": "claworc"},
        "creationTimestamp": "2025-01-02T03:04:05Z",
        "resourceVersion": "42",
    }
    if deleting:
        meta["deletionTimestamp"] = "2025-01-02T03:05:00Z"
    status: dict[str, Any] = {"phase": phase, "conditions": conditions or []}
    if state is not None:
        status["containerStatuses"] = [
            {
                "name": "moltbot",
                "state": state,
                "lastState": {"terminated": last} if last else {},
                "ready": ready,
                "restartCount": 3 if last else 0,
            }
        ]
    return {
        "metadata": meta,
        "spec": {"nodeName": "node-1", "containers": [{"name": "moltbot", "image": "img:1"}]},
        "status": status,
    }


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (pod(phase="Pending"), "Pending"),
        (
            pod(phase="Pending", state={"waiting": {"reason": "ContainerCreating"}}),
            "ContainerCreating",
        ),
        (
            pod(phase="Pending", state={"waiting": {"reason": "ImagePullBackOff"}}),
            "ImagePullBackOff",
        ),
        (pod(phase="Pending", state={"waiting": {"reason": "ErrImagePull"}}), "ErrImagePull"),
        (
            pod(
                state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s"}},
                last={"reason": "OOMKilled", "exitCode": 137},
            ),
            "CrashLoopBackOff",
        ),
        (pod(state={"terminated": {"reason": "OOMKilled", "exitCode": 137}}), "OOMKilled"),
        (pod(state={"terminated": {"reason": "Error", "exitCode": 1}}), "Error"),
        (pod(state={"terminated": {"exitCode": 2}}), "ExitCode:2"),
        (pod(state={"terminated": {"exitCode": 0, "signal": 9}}), "Signal:9"),
        (pod(phase="Succeeded", state={"terminated": {"reason": "Completed"}}), "Completed"),
        (
            pod(phase="Pending", state={"waiting": {"reason": "CreateContainerConfigError"}}),
            "CreateContainerConfigError",
        ),
        (
            pod(
                phase="Pending",
                conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}],
            ),
            "Unschedulable",
        ),
        (pod(state={"running": {"startedAt": "2025-01-02T03:04:10Z"}}, ready=True), "Running"),
        (pod(state={"running": {}}, ready=True, deleting=True), "Terminating"),
    ],
)
def test_pod_reason(doc: dict[str, Any], reason: str) -> None:
    assert parse_pod(doc).reason == reason


def test_pod_fields() -> None:
    info = parse_pod(
        pod(
            state={"running": {"startedAt": "2025-01-02T03:04:10Z"}},
            last={"reason": "OOMKilled", "exitCode": 137, "message": "killed"},
            ready=True,
            conditions=[{"type": "Ready", "status": "True"}],
        )
    )
    assert info.name == "bot-alpha-5d8f-x"
    assert info.instance == "bot-alpha"
    assert info.ready
    assert info.restart_count == 3
    assert (info.last_termination_reason, info.last_exit_code) == ("OOMKilled", 137)
    assert info.last_termination_message == "killed"
    assert info.started_at is not None
    assert info.started_at.second == 10
    assert info.node == "node-1"


def test_parse_key_keeps_nanoseconds() -> None:
    a = parse_key("2025-01-02T03:04:05.123456789Z")
    b = parse_key("2025-01-02T03:04:05.12345679Z")
    c = parse_key("2025-01-02T03:04:05Z")
    assert a is not None
    assert b is not None
    assert c is not None
    assert c < a < b
    assert a % 1_000_000_000 == 123456789
    assert parse_key("hello") is None
    assert parse_key("") is None


def test_resume_drops_exactly_what_was_delivered() -> None:
    """After a reconnect the server repeats from the start of the second; nothing repeats."""
    follow = LogFollow(KubeClient().cluster, "p")
    first = [b"2025-01-02T03:04:05.1Z a", b"2025-01-02T03:04:05.2Z b", b"2025-01-02T03:04:05.2Z b"]
    got = follow._lines(first)
    follow._note(got)
    assert [line.text for line in got] == ["a", "b", "b"]
    resume, skip = parse_key(follow._last_stamp), follow._at_last
    assert resume is not None
    assert (resume, skip) == (parse_key("2025-01-02T03:04:05.2Z"), 2)
    # Reconnect: sinceTime truncated to the second replays everything, plus one more "b" at .2
    # that had not been delivered, and a new line — here in two chunks, the first all old.
    again, left, skip = _past(follow._lines(first[:2]), resume, skip)
    assert (again, left, skip) == ([], resume, 1)
    rest = [first[2], b"2025-01-02T03:04:05.2Z b", b"2025-01-02T03:04:06Z c"]
    again, left, _ = _past(follow._lines(rest), resume, skip)
    assert [(line.text, line.seq) for line in again] == [("b", 3), ("c", 4)]
    assert left is None


def test_backoff_is_capped_and_jittered() -> None:
    backoff = Backoff(base=0.2, cap=5.0, jitter=0.5, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(10)]
    assert all(0 < d <= 5.0 for d in delays)
    assert 0.1 <= delays[0] <= 0.2
    assert delays[-1] >= 2.5
    backoff.reset()
    assert backoff.next_delay() <= 0.2
    assert Backoff(jitter=0.0).next_delay() == 0.2


def test_drift_compares_quantities_not_strings() -> None:
    instance = make_instance()
    shape = expected_shape(instance, make_settings())
    objects = InstanceObjects(
        name="bot-alpha",
        deployment=DeploymentState(
            replicas=1,
            ready_replicas=1,
            available_replicas=1,
            updated_replicas=1,
            image="glukw/openclaw-vnc-chrome:latest",
            # The API server normalises 2000m to 2.
            resources=ResourceValues(
                cpu_request="500m", cpu_limit="2", memory_request="1Gi", memory_limit="8Gi"
            ),
            generation=1,
            observed_generation=1,
            restarted_at=None,
            conditions={},
        ),
        pvcs={"clawdbot": None, "homebrew": None, "clawd": None, "chrome": None},
        service=None,
        secret_keys=None,
        config_hash=None,
    )
    drift = objects.drift(shape)
    assert [(d.field, d.expected, d.actual) for d in drift] == [("memory_limit", "4Gi", "8Gi")]
    assert "pvc/chrome" in objects.missing
    assert objects.exists


def test_pvc_and_event_summaries() -> None:
    claim = pvc_state(
        {
            "metadata": {"name": "bot-alpha-clawd"},
            "spec": {"resources": {"requests": {"storage": "6Gi"}}, "storageClassName": "std"},
            "status": {"phase": "Bound", "capacity": {"storage": "5Gi"}},
        }
    )
    assert (claim.phase, claim.requested, claim.capacity) == ("Bound", "6Gi", "5Gi")
    event = event_info(
        {
            "type": "Warning",
            "reason": "BackOff",
            "message": "Back-off restarting failed container",
            "involvedObject": {"kind": "Pod", "name": "p"},
            "count": 5,
            "lastTimestamp": "2025-01-02T03:04:05Z",
        }
    )
    assert (event.type, event.count, event.kind) == ("Warning", 5, "Pod")
