"""Builders for the records the k8s tests feed in (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import SecretStr

from claworc_tui.models.instance import Instance, InstanceStatus, Provider, Resources, Storage
from claworc_tui.models.settings import GlobalSettings

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def make_instance(
    name: str = "bot-alpha",
    *,
    port: int = 30100,
    status: InstanceStatus = InstanceStatus.RUNNING,
    resources: Resources | None = None,
    storage: Storage | None = None,
    config: str | None = None,
) -> Instance:
    """An instance record as the repository would return it."""
    return Instance(
        id=1,
        name=name,
        display_name=name.removeprefix("bot-").title(),
        nodeport_chrome=port,
        nodeport_terminal=port + 1,
        status=status,
        resources=resources or Resources(),
        storage=storage or Storage(),
        clawdbot_config=config,
        overrides=frozenset(),
        created_at=NOW,
        updated_at=NOW,
    )


def make_settings(**changes: object) -> GlobalSettings:
    """Default settings with some fields changed."""
    return GlobalSettings.model_validate({**GlobalSettings().model_dump(), **changes})


GLOBAL_KEYS = {
    Provider.ANTHROPIC: SecretStr("sk-ant-global.fake.0000.0000"),
    Provider.BRAVE: SecretStr("brave-global-1111111111111111"),
}
