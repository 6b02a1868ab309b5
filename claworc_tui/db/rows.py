"""Rows of the ``instances`` table: reading one into an :class:`Instance`, and the columns of
a new one (every insert path builds its row here, so they cannot drift apart)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import (
    Instance,
    InstanceStatus,
    Provider,
    Resources,
    Storage,
)

COLUMNS = (
    "id, name, display_name, nodeport_chrome, nodeport_terminal, status, cpu_request, cpu_limit, "
    "memory_request, memory_limit, storage_clawdbot, storage_homebrew, storage_clawd, "
    "storage_chrome, anthropic_api_key, openai_api_key, brave_api_key, clawdbot_config, "
    "created_at, updated_at, status_detail, op_step, op_owner, exposure, image"
)

NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
"""SQL for the time now, UTC with milliseconds: what every write stamps and
:func:`parse_timestamp` reads."""


def parse_timestamp(value: object) -> datetime:
    """Read a timestamp as SQLite's CURRENT_TIMESTAMP or our millisecond form writes it (UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value or "1970-01-01 00:00:00").replace("T", " ").rstrip("Z")
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return datetime.fromtimestamp(0, UTC)


def _status(value: object) -> InstanceStatus:
    try:
        return InstanceStatus(str(value))
    except ValueError:
        return InstanceStatus.ERROR


def _exposure(row: sqlite3.Row) -> Exposure:
    try:
        return Exposure(str(row["exposure"]))
    except (ValueError, IndexError):
        return Exposure.NODEPORT


def _image(row: sqlite3.Row) -> str | None:
    try:
        return row["image"] or None
    except IndexError:
        return None


def row_to_instance(row: sqlite3.Row) -> Instance:
    return Instance(
        id=row["id"],
        name=row["name"],
        display_name=row["display_name"],
        nodeport_chrome=row["nodeport_chrome"],
        nodeport_terminal=row["nodeport_terminal"],
        status=_status(row["status"]),
        resources=Resources.model_construct(
            cpu_request=row["cpu_request"] or "500m",
            cpu_limit=row["cpu_limit"] or "2000m",
            memory_request=row["memory_request"] or "1Gi",
            memory_limit=row["memory_limit"] or "4Gi",
        ),
        storage=Storage.model_construct(
            clawdbot=row["storage_clawdbot"] or "5Gi",
            homebrew=row["storage_homebrew"] or "10Gi",
            clawd=row["storage_clawd"] or "5Gi",
            chrome=row["storage_chrome"] or "5Gi",
        ),
        clawdbot_config=row["clawdbot_config"],
        overrides=frozenset(p for p in Provider if row[p.value]),
        status_detail=row["status_detail"],
        op_step=row["op_step"],
        op_owner=row["op_owner"],
        exposure=_exposure(row),
        image=_image(row),
        created_at=parse_timestamp(row["created_at"]),
        updated_at=parse_timestamp(row["updated_at"]),
    )


def resource_columns(resources: Resources) -> dict[str, object]:
    """The columns of ``resources`` (named as its fields: ``cpu_request`` ...)."""
    return resources.model_dump()


def storage_columns(storage: Storage) -> dict[str, object]:
    """The columns of ``storage``: ``storage_`` and the PVC's role (``storage_clawdbot`` ...)."""
    return {f"storage_{role}": size for role, size in storage.model_dump().items()}


def new_row(
    name: str,
    display_name: str,
    resources: Resources,
    storage: Storage,
    *,
    ports: tuple[int | None, int | None],
    status: str,
    sealed: dict[Provider, str],
    clawdbot_config: str | None,
    exposure: Exposure,
    image: str | None,
    **more: object,
) -> dict[str, object]:
    """The columns of a new row (``created_at``/``updated_at`` are added by the insert).

    Args:
        ports: The chrome and terminal NodePorts (both None: a private instance).
        sealed: The override keys, already sealed.
        more: Further columns (``op_step``, ``op_owner`` of a row being created).
    """
    return {
        "name": name,
        "display_name": display_name,
        "nodeport_chrome": ports[0],
        "nodeport_terminal": ports[1],
        "status": status,
        **resource_columns(resources),
        **storage_columns(storage),
        **{p.value: sealed.get(p) for p in Provider},
        "clawdbot_config": clawdbot_config,
        "exposure": exposure.value,
        "image": image,
        **more,
    }
