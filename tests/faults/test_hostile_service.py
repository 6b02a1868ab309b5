"""Text from the API server that is not even Unicode text must not break what keeps it."""

from __future__ import annotations

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.instance import InstanceSpec
from claworc_tui.services import Services

NS = "claworc"
PLACEHOLDER = "\ufffd"


async def test_an_api_error_with_a_lone_surrogate_fails_the_operation_cleanly(
    emulator: EmulatorServer, services: Services
) -> None:
    """``"\\ud800"`` is valid JSON; the message it decodes to could not be written to SQLite,
    and the stop ended in a ``UnicodeEncodeError`` instead of a reported failure."""
    async for _ in services.instances.create(InstanceSpec(display_name="Alpha")):
        pass
    emulator.inject_failure(
        "PATCH", "deployments", status=500, reason="Internal\ud800", message="x\ud800y", times=5
    )
    with pytest.raises(ClaworcError, match=f"x{PLACEHOLDER}y"):
        await services.instances.stop("bot-alpha")
    instance = await services.instances.get("bot-alpha")
    assert f"x{PLACEHOLDER}y" in (instance.status_detail or "")
    entries = await services.instances.activity(10, "bot-alpha")
    assert any(f"x{PLACEHOLDER}y" in (entry.detail or "") for entry in entries)
