"""A private instance in the list: no ports to show or sort by (issue #13)."""

from __future__ import annotations

from claworc_tui.models.exposure import Exposure
from claworc_tui.services.views import InstanceView
from claworc_tui.ui.widgets.instance_list import InstanceList
from tests.ui.test_scale import ListApp, view


def private(index: int) -> InstanceView:
    base = view(index)
    instance = base.instance.model_copy(
        update={"nodeport_chrome": None, "nodeport_terminal": None, "exposure": Exposure.PRIVATE}
    )
    return base.model_copy(update={"instance": instance})


async def test_private_rows_say_private_and_sort_after_the_ports() -> None:
    app = ListApp()
    async with app.run_test(size=(160, 30)) as pilot:
        listing = app.query_one(InstanceList)
        listing.apply_snapshot([private(0), view(1), private(2), view(3)])
        await pilot.pause()
        assert listing.cell_text("bot-0000", "ports").strip() == "private"
        listing.sort_by("ports")
        await pilot.pause()
        assert list(listing.shown_names) == ["bot-0001", "bot-0003", "bot-0000", "bot-0002"]
        listing.sort_by("ports", reverse=True)
        await pilot.pause()
        assert list(listing.shown_names[:2]) == ["bot-0002", "bot-0000"]
