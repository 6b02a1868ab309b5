"""``--read-only --demo``: the demo fleet is seeded, then looked at read-only."""

from __future__ import annotations

from claworc_tui.config import Settings
from claworc_tui.demo import DemoCluster
from claworc_tui.services import open_services


async def test_the_demo_seeds_its_fleet_even_when_read_only() -> None:
    demo = DemoCluster(pod_start_delay=0)
    try:
        settings = demo.start(Settings(read_only=True))  # raised ReadOnlyMode before
        assert settings.read_only
        services = await open_services(settings)
        try:
            names = [view.name for view in await services.instances.list_views()]
            assert names == ["bot-alpha", "bot-crashy", "bot-sleepy"]
            assert services.instances.read_only_reason is not None
        finally:
            await services.aclose()
    finally:
        demo.stop()
