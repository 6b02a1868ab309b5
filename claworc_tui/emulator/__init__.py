"""An emulated Kubernetes API server for tests and ``--demo`` mode."""

from .config import EmulatorConfig, RequestRecord
from .server import EmulatorServer

__all__ = ["EmulatorConfig", "EmulatorServer", "RequestRecord"]
