"""Live status from the engine's event stream, and logs from its log stream, on a real engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing

from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.instances import DockerInstances
from claworc_tui.docker.logs import Demux, DockerLogFollow
from claworc_tui.docker.watch import ContainerWatch, pod_from_inspect
from claworc_tui.models.logs import LogLine
from claworc_tui.models.pod import PodInfo
from claworc_tui.models.watch import Changed, InformerEvent, StreamState, StreamStateChanged, Synced
from claworc_tui.services.advice import advise
from tests._support.wait import wait_for
from tests.docker.conftest import IMAGE, Background, made, make_instance

CRASH = {"CLAWORC_TEST_CRASH": "3", "CLAWORC_TEST_HOLD": "1"}


class Seen(Background):
    """What a watch has delivered so far, consumed in the background."""

    def __init__(self, watch: ContainerWatch) -> None:
        self.watch = watch
        self.pods: dict[str, PodInfo] = {}
        self.events: list[InformerEvent[PodInfo]] = []
        super().__init__()

    async def run(self) -> None:
        stream: AsyncGenerator[InformerEvent[PodInfo], None] = self.watch.events()
        async with aclosing(stream) as events:
            async for event in events:
                self.events.append(event)
                if isinstance(event, Synced):
                    self.pods = dict(event.objects)
                elif isinstance(event, Changed):
                    if event.type == "DELETED":
                        self.pods.pop(event.name, None)
                    else:
                        self.pods[event.name] = event.obj

    def live(self) -> bool:
        return any(
            isinstance(e, StreamStateChanged) and e.state is StreamState.LIVE for e in self.events
        )


async def test_status_follows_the_event_stream(
    engine: DockerEngine, backend: DockerInstances
) -> None:
    seen = Seen(ContainerWatch(engine))
    try:
        await wait_for(seen.live, timeout=10, what="the watch to go live")
        healthy, crashing = make_instance(), make_instance()
        await made(backend, healthy)
        await backend.create(crashing, image=IMAGE, keys={}, config_text="{}", extra_env=CRASH)
        hname, cname = f"claworc-{healthy.name}", f"claworc-{crashing.name}"
        await wait_for(
            lambda: seen.pods.get(hname) and seen.pods[hname].reason == "Running",
            timeout=15,
            what="the healthy container running",
        )
        assert seen.pods[hname].instance == healthy.name
        await wait_for(
            lambda: (p := seen.pods.get(cname)) and p.restart_count >= 1,
            timeout=20,
            what="the crashing container restarted",
        )
        pod = seen.pods[cname]
        assert pod.last_termination_reason == "Error"
        assert pod.last_exit_code == 3
        assert pod.reason in ("CrashLoopBackOff", "Running", "Error")
        codes = {a.code for a in advise(crashing, [pod], None, [])}
        assert "crash-loop" in codes

        await backend.stop(healthy.name)
        await wait_for(
            lambda: seen.pods[hname].reason != "Running", timeout=15, what="the stop to show"
        )
        await backend.delete(healthy.name)
        await wait_for(lambda: hname not in seen.pods, timeout=15, what="the removal to show")
    finally:
        await seen.stop()


async def test_a_resumed_watch_gets_what_happened_while_it_was_away(
    engine: DockerEngine, backend: DockerInstances
) -> None:
    instance = await made(backend)
    watch = ContainerWatch(engine)
    first = Seen(watch)
    cname = f"claworc-{instance.name}"
    await wait_for(lambda: cname in first.pods, timeout=10, what="the first list")
    await backend.restart(instance.name)
    await wait_for(lambda: watch.since is not None, timeout=10, what="an event")
    await first.stop()

    await backend.stop(instance.name)  # while nobody watches
    second = Seen(watch)  # a reconnect lists again (as the pod informer after a 410)
    second.pods = dict(first.pods)
    try:
        await wait_for(
            lambda: any(isinstance(e, Synced) for e in second.events),
            timeout=15,
            what="the list after the reconnect",
        )
        await wait_for(
            lambda: second.pods[cname].reason != "Running", timeout=15, what="the missed stop"
        )
    finally:
        await second.stop()


async def test_a_change_while_the_stream_was_down_and_the_fleet_idle_is_not_lost(
    engine: DockerEngine, backend: DockerInstances
) -> None:
    """No event arrived since the list (an idle fleet): there is no ``since`` to resume from,
    and the engine forgets its events (256 kept, none across a restart); a reconnect lists."""
    kept, gone = make_instance(), make_instance()
    await made(backend, kept)
    await made(backend, gone)
    kname, gname = f"claworc-{kept.name}", f"claworc-{gone.name}"
    watch = ContainerWatch(engine)
    first = Seen(watch)
    await wait_for(
        lambda: kname in first.pods and gname in first.pods, timeout=10, what="the first list"
    )
    await first.stop()  # the stream drops; the watch keeps its state, as in a reconnect

    await backend.stop(kept.name)
    await backend.delete(gone.name)
    second = Seen(watch)
    second.pods = dict(first.pods)
    try:
        await wait_for(
            lambda: (p := second.pods.get(kname)) is not None and p.reason != "Running",
            timeout=15,
            what="the stop made while the stream was down",
        )
        await wait_for(
            lambda: gname not in second.pods, timeout=15, what="the removal while it was down"
        )
    finally:
        await second.stop()


async def test_oomkilled_is_reported_with_its_advice(
    engine: DockerEngine, backend: DockerInstances
) -> None:
    instance = make_instance(memory="8Mi")
    await backend.create(
        instance,
        image=IMAGE,
        keys={},
        config_text="{}",
        extra_env={"CLAWORC_TEST_ALLOC_MB": "64"},
    )

    async def killed() -> PodInfo | None:
        doc = await backend.inspect(instance.name)
        pod = pod_from_inspect(doc) if doc else None
        return pod if pod and pod.last_termination_reason == "OOMKilled" else None

    # The value the predicate saw: looked up again, the container may be running once more
    # (unless-stopped), and a running container no longer says how its last run ended.
    pod = await wait_for(killed, timeout=20, what="the OOM kill")
    assert pod.last_exit_code == 137
    advice = advise(instance, [pod], None, [])
    raise_memory = next(a for a in advice if a.code == "raise-memory")
    assert raise_memory.action == "Raise memory limit to 16Mi"

    # The fix: the container is made again with the new limit; the volumes (the data) stay.
    volumes_before = (await backend.list_ours()).volumes[instance.name]
    bigger = instance.model_copy(
        update={"resources": instance.resources.model_copy(update={"memory_limit": "256Mi"})}
    )
    await backend.recreate(
        bigger, image=IMAGE, keys={}, config_text="{}", extra_env={"CLAWORC_TEST_ALLOC_MB": "64"}
    )
    doc = await backend.inspect(instance.name)
    assert doc is not None
    assert doc["HostConfig"]["Memory"] == 256 * 1024**2
    assert (await backend.list_ours()).volumes[instance.name] == volumes_before

    async def allocated() -> bool:
        lines = await _read(DockerLogFollow(engine, instance.name, follow=False))
        return any(line.text.startswith("allocated") for line in lines)

    await wait_for(allocated, timeout=20, what="the allocation to succeed")
    doc = await backend.inspect(instance.name)
    assert doc is not None
    assert doc["State"]["OOMKilled"] is False


async def _read(follow: DockerLogFollow) -> list[LogLine]:
    out: list[LogLine] = []
    async for lines in follow:
        out.extend(lines)
    return out


async def test_logs_are_demultiplexed_stamped_and_tailed(
    engine: DockerEngine, backend: DockerInstances
) -> None:
    instance = make_instance()
    await backend.create(
        instance, image=IMAGE, keys={}, config_text="{}", extra_env={"CLAWORC_TEST_LINES": "5"}
    )

    async def ready() -> bool:
        lines = await _read(DockerLogFollow(engine, instance.name, follow=False))
        return any(line.text == "ready" for line in lines)

    await wait_for(ready, timeout=15, what="the ready line")
    lines = await _read(DockerLogFollow(engine, instance.name, follow=False))
    texts = [line.text for line in lines]
    assert "stderr line from the test image" in texts  # stderr, demultiplexed
    assert texts.count("line 5") == 1
    assert all(line.stamp.endswith("Z") for line in lines)
    assert [line.seq for line in lines] == list(range(len(lines)))
    tail = await _read(DockerLogFollow(engine, instance.name, follow=False, tail_lines=2))
    assert [line.text for line in tail] == texts[-2:]


async def test_a_follow_goes_on_across_a_restart_without_repeating_lines(
    engine: DockerEngine, backend: DockerInstances
) -> None:
    instance = await made(backend)
    got: list[LogLine] = []
    follow = DockerLogFollow(engine, instance.name, follow=True)

    async def consume() -> None:
        async for lines in follow:
            got.extend(lines)

    task = asyncio.create_task(consume())
    try:
        await wait_for(lambda: any(x.text == "ready" for x in got), timeout=15, what="ready")
        await backend.restart(instance.name)
        await wait_for(
            lambda: sum(x.text == "ready" for x in got) == 2, timeout=20, what="the second run"
        )
        texts = [line.text for line in got]
        assert texts.count("openclaw test image starting") == 2
        assert texts.count("stopping") == 1
        assert [line.seq for line in got] == list(range(len(got)))  # no gap, no repeat
        assert follow.reconnects >= 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_previous_is_the_run_before_the_current_one(
    engine: DockerEngine, backend: DockerInstances
) -> None:
    instance = make_instance()
    await backend.create(instance, image=IMAGE, keys={}, config_text="{}", extra_env=CRASH)

    async def restarted() -> bool:
        doc = await backend.inspect(instance.name)
        return bool(doc and doc["RestartCount"] >= 2 and doc["State"]["Running"])

    await wait_for(restarted, timeout=30, interval=0.05, what="two restarts")
    previous = await _read(DockerLogFollow(engine, instance.name, previous=True))
    texts = [line.text for line in previous]
    assert "crashing with code 3" in texts
    assert texts.count("openclaw test image starting") >= 1


def test_demux_keeps_the_two_streams_apart_across_chunks() -> None:
    def frame(kind: int, payload: bytes) -> bytes:
        return bytes([kind, 0, 0, 0]) + len(payload).to_bytes(4, "big") + payload

    data = frame(1, b"out one\nout ") + frame(2, b"err one\n") + frame(1, b"two\n")
    demux = Demux()
    lines: list[bytes] = []
    for i in range(0, len(data), 5):  # arrives in pieces cutting headers and lines
        lines.extend(demux.feed(data[i : i + 5]))
    assert lines == [b"out one", b"err one", b"out two"]
    assert demux.flush() == []
