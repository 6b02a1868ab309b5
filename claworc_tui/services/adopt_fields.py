"""Adopt: how an instance is exposed, read from what the cluster holds."""

from __future__ import annotations

from claworc_tui.models.cluster import FoundInstance
from claworc_tui.models.exposure import Exposure


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
