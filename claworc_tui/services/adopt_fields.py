"""Adopt: exposure and a private instance's port pair, read from what the cluster holds."""

from __future__ import annotations

from claworc_tui.k8s.adopt import FoundInstance
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.instance import Instance
from claworc_tui.models.settings import GlobalSettings


def exposure_of(found: FoundInstance) -> tuple[Exposure, str | None]:
    """How the instance is reached: the Service type the cluster holds wins over the annotation
    (the annotation only decides when there is no Service); a disagreement is a note."""
    try:
        annotated: Exposure | None = Exposure(found.exposure or "")
    except ValueError:
        annotated = None
    if found.service_type is None:
        return annotated or Exposure.NODEPORT, None
    actual = Exposure.PRIVATE if found.service_type == "ClusterIP" else Exposure.NODEPORT
    if annotated is not None and annotated is not actual:
        return actual, (
            f"its annotation says {annotated.value}, but its Service is {found.service_type}: "
            f"adopted as {actual.value}"
        )
    return actual, None


def private_pair(
    found: FoundInstance,
    records: dict[str, Instance],
    settings: GlobalSettings,
    held: set[int],
) -> tuple[tuple[int, int], str | None]:
    """The annotated pair of a private instance, or (0, 0) and why a free pair is chosen.

    The pair must be one we make (distinct, adjacent: see :func:`~.ownership.parse_ports`),
    inside this database's port range, and held neither by a record here nor by a Service in
    the cluster.
    """
    pair = found.annotated_ports
    if pair is None:
        return (0, 0), "no valid port pair annotated"
    used = {p for i in records.values() for p in (i.nodeport_chrome, i.nodeport_terminal)}
    start, end = settings.port_range_start, settings.port_range_end
    if not (start <= pair[0] and pair[1] <= end):
        return (0, 0), f"its pair {pair[0]},{pair[1]} is outside the port range {start}-{end}"
    if set(pair) & used:
        return (0, 0), f"its pair {pair[0]},{pair[1]} is recorded here for another instance"
    if set(pair) & held:
        return (0, 0), f"its pair {pair[0]},{pair[1]} is held by a Service in the cluster"
    return pair, None
