"""Log follow against the emulator: tail/since/previous/timestamps, reconnects, clean ends."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import AsyncIterator

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.k8s.backoff import Backoff
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.errors import KubeBadRequest, KubeForbidden
from claworc_tui.k8s.follow import MAX_LINE, LineSplitter
from claworc_tui.k8s.logs import LogFollow
from claworc_tui.models.logs import LogLine, LogStreamState
from tests._support.wait import wait_for
from tests.k8s.helpers import NS

FAST = Backoff(base=0.05, cap=0.2)


async def read_all(follow: LogFollow) -> list[LogLine]:
    return [line async for batch in follow for line in batch]


class Reader:
    """Follows in the background, keeping every line it gets."""

    def __init__(self, follow: LogFollow) -> None:
        self.follow = follow
        self.lines: list[LogLine] = []
        self.batches = 0
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for batch in self.follow:
            assert batch
            self.batches += 1
            self.lines.extend(batch)

    def texts(self, prefix: str = "") -> list[str]:
        return [line.text for line in self.lines if line.text.startswith(prefix)]


@pytest.fixture
async def readers() -> AsyncIterator[list[Reader]]:
    made: list[Reader] = []
    yield made
    for reader in made:
        reader.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader.task


async def test_tail_and_timestamps(kube: KubeClient, emulator: EmulatorServer, pod: str) -> None:
    emulator.append_log(NS, pod, [f"line {i}" for i in range(10)])
    follow = kube.follow_logs(pod, tail_lines=3, follow=False)
    lines = await read_all(follow)
    assert [line.text for line in lines] == ["line 7", "line 8", "line 9"]
    assert [line.seq for line in lines] == [0, 1, 2]
    assert all(line.stamp.endswith("Z") and line.stamped.endswith(line.text) for line in lines)
    assert follow.state is LogStreamState.ENDED


async def test_since_seconds(kube: KubeClient, emulator: EmulatorServer, pod: str) -> None:
    emulator.append_log(NS, pod, ["old"])
    await asyncio.sleep(1.2)  # sinceSeconds has whole-second resolution
    emulator.append_log(NS, pod, ["new"])
    lines = await read_all(kube.follow_logs(pod, since_seconds=1, follow=False))
    assert [line.text for line in lines] == ["new"]


async def test_follow_batches_and_survives_a_server_restart(
    kube: KubeClient, emulator: EmulatorServer, pod: str, readers: list[Reader]
) -> None:
    states: list[LogStreamState] = []
    reader = Reader(
        kube.follow_logs(pod, tail_lines=0, backoff=FAST, on_state=lambda s, _r: states.append(s))
    )
    readers.append(reader)
    await wait_for(lambda: LogStreamState.LIVE in states, what="live")
    await emulator.generate_logs(NS, pod, rate=None, count=300, template="a{i}")
    await wait_for(lambda: len(reader.texts("a")) == 300, what="300 lines")
    assert reader.batches < 30  # batched, not one message per line
    await emulator.stop()
    await emulator.start()
    emulator.append_log(NS, pod, ["b0", "b1"])
    await wait_for(lambda: len(reader.texts("b")) == 2, what="lines after restart")
    emulator.append_log(NS, pod, ["b2"])
    await wait_for(lambda: len(reader.texts("b")) == 3, what="live again")
    assert reader.texts() == [f"a{i}" for i in range(300)] + ["b0", "b1", "b2"]
    assert [line.seq for line in reader.lines] == list(range(303))
    assert LogStreamState.RECONNECTING in states
    assert reader.follow.reconnects >= 1


async def test_follow_across_a_crash_then_previous(
    kube: KubeClient, emulator: EmulatorServer, pod: str, readers: list[Reader]
) -> None:
    # Long enough for the heal below to land inside the back-off on a loaded machine (0.3 s
    # let a second crash in now and then).
    emulator.config.crash_backoff = 2.0
    reader = Reader(kube.follow_logs(pod, tail_lines=0, backoff=FAST))
    readers.append(reader)
    await wait_for(lambda: reader.follow.state is LogStreamState.LIVE, what="live")
    emulator.append_log(NS, pod, ["before crash"])
    await wait_for(lambda: reader.texts("before"), what="first line")
    emulator.oom_kill(NS, "bot-alpha")
    await wait_for(lambda: reader.texts("Allocating"), what="the crash")
    emulator.heal(NS, "bot-alpha")  # during the back-off: one restart, no second crash
    await wait_for(lambda: "moltbot is ready" in reader.texts(), what="the restarted container")
    texts = reader.texts()
    assert texts[:3] == ["before crash", "Loading configuration", "Allocating worker buffers"]
    assert texts[3].startswith("Starting moltbot")
    assert texts[4:] == ["Listening on 0.0.0.0:6081", "moltbot is ready"]
    assert [line.seq for line in reader.lines] == list(range(6))
    previous = await read_all(kube.follow_logs(pod, previous=True))
    assert [line.text for line in previous][-3:] == texts[:3]


async def test_previous_without_a_previous_container_fails(kube: KubeClient, pod: str) -> None:
    follow = kube.follow_logs(pod, previous=True)
    assert await read_all(follow) == []
    assert follow.state is LogStreamState.FAILED
    assert isinstance(follow.error, KubeBadRequest)
    assert "previous terminated container" in str(follow.error)


async def test_ends_when_the_pod_is_gone(
    kube: KubeClient, emulator: EmulatorServer, pod: str, readers: list[Reader]
) -> None:
    reader = Reader(kube.follow_logs(pod, backoff=FAST))
    await wait_for(lambda: "moltbot is ready" in reader.texts(), what="start-up lines")
    await kube.lifecycle.delete_instance_objects("bot-alpha", wait_timeout=10)
    await asyncio.wait_for(reader.task, timeout=5)
    assert reader.follow.state is LogStreamState.ENDED
    assert reader.follow.error is None


async def test_forbidden_fails_with_the_message(
    kube: KubeClient, emulator: EmulatorServer, pod: str
) -> None:
    emulator.forbid("get", "pods/log")
    follow = kube.follow_logs(pod)
    assert await read_all(follow) == []
    assert follow.state is LogStreamState.FAILED
    assert isinstance(follow.error, KubeForbidden)
    assert (follow.error.verb, follow.error.resource) == ("get", "pods/log")


async def test_unknown_container_fails_instead_of_retrying(kube: KubeClient, pod: str) -> None:
    follow = kube.follow_logs(pod, container="nope", backoff=FAST)
    assert await asyncio.wait_for(read_all(follow), timeout=5) == []
    assert follow.state is LogStreamState.FAILED
    assert isinstance(follow.error, KubeBadRequest)
    assert "nope" in str(follow.error)
    assert follow.reconnects == 0


async def test_instance_follow_moves_to_the_new_pod_after_a_rollout_and_a_stop(
    kube: KubeClient, emulator: EmulatorServer, pod: str, readers: list[Reader]
) -> None:
    """One follow, by instance: a rollout and a scale to 0 and back each bring a new pod."""
    states: list[tuple[LogStreamState, str | None]] = []
    follow = kube.follow_logs(
        instance="bot-alpha",
        tail_lines=0,
        backoff=FAST,
        on_state=lambda s, r: states.append((s, r)),
    )
    reader = Reader(follow)
    readers.append(reader)
    await wait_for(lambda: follow.state is LogStreamState.LIVE, what="live")
    emulator.append_log(NS, pod, ["old pod"])
    await wait_for(lambda: reader.texts("old"), what="the first pod's line")
    await kube.deployments.rollout_restart("bot-alpha")
    await wait_for(lambda: follow.pod not in (None, pod), timeout=10, what="the second pod")
    second = follow.pod
    assert second is not None
    await wait_for(lambda: "moltbot is ready" in reader.texts(), timeout=10, what="its start-up")
    emulator.append_log(NS, second, ["second pod"])
    await kube.deployments.scale("bot-alpha", 0)
    await wait_for(lambda: follow.state is LogStreamState.WAITING, timeout=10, what="waiting")
    await kube.deployments.scale("bot-alpha", 1)
    await wait_for(lambda: follow.pod not in (None, second), timeout=10, what="the third pod")
    third = follow.pod
    assert third is not None
    await wait_for(lambda: reader.texts().count("moltbot is ready") == 2, timeout=10, what="up")
    emulator.append_log(NS, third, ["third pod"])
    await wait_for(lambda: reader.texts("third"), what="the third pod's line")
    texts = reader.texts()
    assert [t for t in texts if t.endswith(" pod")] == ["old pod", "second pod", "third pod"]
    assert [line.seq for line in reader.lines] == list(range(len(reader.lines)))
    assert (LogStreamState.WAITING, f"{pod} ended; waiting for a new pod") in states


async def test_a_16_mb_line_is_cut_in_linear_time(
    kube: KubeClient, emulator: EmulatorServer, pod: str
) -> None:
    """Issue 10: ``(buffer + chunk).split`` per 16 KiB chunk made one 16 MB line cost ~25 s."""
    huge = "x" * (16 * 1024 * 1024)
    emulator.append_log(NS, pod, [huge, "after"])
    follow = kube.follow_logs(pod, tail_lines=2, follow=False)
    before = time.process_time()  # CPU, not wall time: the bound holds on a busy machine
    lines = await read_all(follow)
    spent = time.process_time() - before  # includes the in-process emulator serving the line
    assert [line.text for line in lines][1:] == ["after"]
    head = lines[0].stamped.encode()
    stamped = len(lines[0].stamp) + 1 + len(huge)
    marker = f" … {stamped - MAX_LINE} bytes cut".encode()
    assert (
        head
        == (lines[0].stamp + " ").encode() + b"x" * (MAX_LINE - len(lines[0].stamp) - 1) + marker
    )
    assert spent < 0.5, f"{spent:.2f} s of CPU for one 16 MB line"


def test_the_splitter_is_linear_and_bounded() -> None:
    splitter = LineSplitter(limit=100)
    out: list[bytes] = []
    tracemalloc.start()
    try:
        for _ in range(1000):  # a 16 MB line, 16 KiB at a time
            out += splitter.feed(b"y" * 16 * 1024)
        _held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out == []
    assert splitter.pending
    assert peak < 256 * 1024, f"{peak} bytes at the peak: the line is not bounded"
    out += splitter.feed(b"z\nshort\npart")
    assert out == [b"y" * 100 + f" … {16 * 1024 * 1000 + 1 - 100} bytes cut".encode(), b"short"]
    assert splitter.flush() == b"part"
    assert not splitter.pending
    big = LineSplitter(limit=10).feed(b"a" * 30 + b"\n" + b"b" * 5 + b"\n")
    assert big == [b"a" * 10 + b" \xe2\x80\xa6 20 bytes cut", b"bbbbb"]
