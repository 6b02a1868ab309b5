"""The Docker backend's pure parts: the container mapping, the runtime choice, inspect → status."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from claworc_tui.docker import spec
from claworc_tui.docker.watch import pod_from_inspect
from claworc_tui.models.instance import Instance, InstanceStatus, Provider, Resources, Storage
from claworc_tui.services.advice import advise
from claworc_tui.services.runtime import RuntimeKind, choose_runtime


def _instance() -> Instance:
    now = datetime.now(UTC)
    return Instance(
        id=1,
        name="bot-a",
        display_name="A",
        nodeport_chrome=30100,
        nodeport_terminal=30101,
        status=InstanceStatus.RUNNING,
        resources=Resources(cpu_limit="1500m", memory_limit="2Gi"),
        storage=Storage(),
        clawdbot_config=None,
        overrides=frozenset(),
        created_at=now,
        updated_at=now,
    )


def test_the_container_is_what_the_readme_says() -> None:
    body = spec.container(
        _instance(),
        image="img:1",
        keys=frozenset({Provider.ANTHROPIC}),
        folder=Path("/data/bot-a"),
        owner="o1",
    )
    host = body["HostConfig"]
    assert isinstance(host, dict)
    assert host["Privileged"] is True
    assert host["ShmSize"] == 2 * 1024**3
    assert host["Memory"] == 2 * 1024**3
    assert host["NanoCpus"] == 1_500_000_000
    assert host["RestartPolicy"] == {"Name": "unless-stopped"}
    assert host["PortBindings"] == {
        "6081/tcp": [{"HostIp": "127.0.0.1", "HostPort": "30100"}],
        "6082/tcp": [{"HostIp": "127.0.0.1", "HostPort": "30101"}],
    }
    assert body["Labels"] == {"app": "bot-a", "managed-by": "claworc", "claworc.dev/owner": "o1"}
    assert "ANTHROPIC_API_KEY_FILE=/run/claworc-keys/ANTHROPIC_API_KEY" in body["Env"]  # type: ignore[operator]
    wider = spec.container(
        _instance(),
        image="i",
        keys=frozenset(),
        folder=Path("/d"),
        owner=None,
        bind_address="0.0.0.0",
    )
    assert wider["HostConfig"]["PortBindings"]["6081/tcp"][0]["HostIp"] == "0.0.0.0"  # type: ignore[index]


def test_volumes_record_their_size_as_a_label() -> None:
    volumes = {v["Name"]: v["Labels"] for v in spec.volumes(_instance(), "o1")}
    assert volumes["claworc-bot-a-homebrew"]["claworc.dev/size"] == "10Gi"  # type: ignore[index]
    assert len(volumes) == 4


@pytest.mark.parametrize(
    ("flag", "env", "kubeconfig", "want"),
    [
        ("docker", {"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, None, RuntimeKind.DOCKER),
        ("kubernetes", {}, None, RuntimeKind.KUBERNETES),
        (None, {"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, None, RuntimeKind.KUBERNETES),
        (None, {}, Path("/k"), RuntimeKind.KUBERNETES),
        (None, {"KUBECONFIG": "/k"}, None, RuntimeKind.KUBERNETES),
        (None, {"DOCKER_HOST": "unix:///run/x.sock"}, None, RuntimeKind.DOCKER),
        # Neither a cluster nor an engine: Kubernetes, whose error names the missing kubeconfig.
        (None, {}, None, RuntimeKind.KUBERNETES),
    ],
)
def test_the_runtime_is_chosen_like_claworc(
    flag: str | None, env: dict[str, str], kubeconfig: Path | None, want: RuntimeKind
) -> None:
    # HOME is a fresh folder (conftest): no ~/.kube/config.
    assert choose_runtime(flag, kubeconfig, env, docker_socket="/nonexistent/docker.sock") is want


def test_an_engine_at_the_default_socket_means_docker(tmp_path: Path) -> None:
    socket = tmp_path / "docker.sock"
    socket.touch()
    assert choose_runtime(None, None, {}, docker_socket=str(socket)) is RuntimeKind.DOCKER


def _inspect(state: dict[str, object], restarts: int = 0) -> dict[str, object]:
    return {
        "Name": "/claworc-bot-a",
        "RestartCount": restarts,
        "Created": "2026-01-01T00:00:00.000000001Z",
        "Config": {"Labels": {"app": "bot-a"}, "Image": "img:1"},
        "State": {"StartedAt": "2026-01-01T00:00:01Z", "FinishedAt": "0001-01-01T00:00:00Z"}
        | state,
    }


def test_an_oom_killed_restart_loop_reads_as_kubernetes_would_and_gets_both_advices() -> None:
    doc = _inspect(
        {
            "Status": "restarting",
            "Restarting": True,
            "OOMKilled": True,
            "ExitCode": 137,
            "FinishedAt": "2026-01-01T00:00:02.5Z",
        },
        restarts=3,
    )
    pod = pod_from_inspect(doc)
    assert (pod.reason, pod.last_termination_reason, pod.last_exit_code) == (
        "CrashLoopBackOff",
        "OOMKilled",
        137,
    )
    assert pod.instance == "bot-a"
    assert pod.restart_count == 3
    codes = [a.code for a in advise(_instance(), [pod], None, [])]
    assert codes == ["raise-memory", "crash-loop"]


def test_running_created_and_unhealthy_states() -> None:
    assert pod_from_inspect(_inspect({"Status": "running", "Running": True})).ready
    sick = pod_from_inspect(
        _inspect({"Status": "running", "Running": True, "Health": {"Status": "unhealthy"}})
    )
    assert (sick.ready, sick.message) == (False, "health: unhealthy")
    assert pod_from_inspect(_inspect({"Status": "created"})).reason == "Created"
    done = pod_from_inspect(
        _inspect({"Status": "exited", "ExitCode": 0, "FinishedAt": "2026-01-01T00:00:03Z"})
    )
    assert (done.phase, done.reason) == ("Succeeded", "Completed")


def test_a_stopped_record_reads_stopped_with_its_exited_container_and_terminating_with_a_pod() -> (
    None
):
    from claworc_tui.services.status import merge

    stopped = _instance().model_copy(update={"status": InstanceStatus.STOPPED})
    exited = pod_from_inspect(
        _inspect({"Status": "exited", "ExitCode": 0, "FinishedAt": "2026-01-01T00:00:03Z"})
    )
    assert merge(stopped, [exited]).status == "Stopped"
    never_started = pod_from_inspect(_inspect({"Status": "created"}))
    assert merge(stopped, [never_started]).status == "Stopped"
    still_running = pod_from_inspect(_inspect({"Status": "running", "Running": True}))
    assert merge(stopped, [still_running]).status == "Terminating"  # as a pod on its way out


def test_engine_events_read_as_kubernetes_events() -> None:
    from claworc_tui.docker.events import event_info

    def event(action: str, **attributes: str) -> dict[str, object]:
        attrs = {"name": "claworc-bot-a", "app": "bot-a", **attributes}
        return {"Action": action, "Actor": {"ID": "c1", "Attributes": attrs}, "timeNano": 10**18}

    oom = event_info(event("oom"))
    assert oom is not None
    assert (oom.type, oom.reason, oom.name) == ("Warning", "OOMKilled", "bot-a")
    died = event_info(event("die", exitCode="3"))
    assert died is not None
    assert (died.type, died.message) == ("Warning", "container claworc-bot-a exited with code 3")
    started = event_info(event("start"))
    assert started is not None
    assert started.type == "Normal"
    assert event_info(event("exec_start: sh")) is None


def test_a_running_container_shows_how_its_previous_run_ended_only_from_the_events() -> None:
    # The engine resets ExitCode and OOMKilled when the container starts again.
    state = {
        "Status": "running",
        "Running": True,
        "ExitCode": 0,
        "FinishedAt": "2026-01-01T00:00:00.5Z",
    }
    again = pod_from_inspect(_inspect(state))  # started again after a stop: no termination
    assert again.last_termination_reason is None
    unknown = pod_from_inspect(_inspect(state, restarts=2))  # not "Completed" from the reset
    assert unknown.last_termination_reason is None
    looped = pod_from_inspect(_inspect(state, restarts=2), died=(3, False))
    assert (looped.last_termination_reason, looped.last_exit_code) == ("Error", 3)
    killed = pod_from_inspect(_inspect(state, restarts=2), died=(137, True))
    assert (killed.last_termination_reason, killed.last_exit_code) == ("OOMKilled", 137)
