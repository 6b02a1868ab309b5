"""The Events pane's source on Docker: a resumed stream does not hand out an event twice."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.events import EngineEvents
from claworc_tui.docker.instances import DockerInstances
from claworc_tui.models.watch import Changed, InformerEvent
from tests._support.wait import wait_for
from tests.docker.conftest import Background, made


class Added(Background):
    """The keys a source hands out as ADDED, consumed in the background."""

    def __init__(self, source: EngineEvents) -> None:
        self.source = source
        self.keys: list[str] = []
        self.infos: list[Any] = []
        super().__init__()

    async def run(self) -> None:
        stream: AsyncGenerator[InformerEvent[Any], None] = self.source.events()
        async with aclosing(stream) as events:
            async for event in events:
                if isinstance(event, Changed) and event.type == "ADDED":
                    self.keys.append(event.name)
                    self.infos.append(event.obj)

    def saw(self, app: str, reason: str) -> bool:
        return any(i.name == app and i.reason == reason for i in self.infos)


async def test_a_resumed_event_stream_shows_no_event_twice(
    engine: DockerEngine, backend: DockerInstances
) -> None:
    instance = await made(backend)
    source = EngineEvents(engine)
    first = Added(source)
    try:
        await wait_for(lambda: first.saw(instance.name, "Start"), timeout=15, what="the start")
        await backend.restart(instance.name)
        await wait_for(lambda: first.saw(instance.name, "Restart"), timeout=15, what="restart")
    finally:
        await first.stop()

    second = Added(source)  # resumes ``since`` the last event (inclusive on the engine)
    try:
        await backend.stop(instance.name)
        await wait_for(lambda: second.saw(instance.name, "Stop"), timeout=15, what="the stop")
    finally:
        await second.stop()
    both = first.keys + second.keys
    assert len(both) == len(set(both)), [k for k in both if both.count(k) > 1]
