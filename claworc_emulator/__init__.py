"""An emulated Kubernetes API server for tests and ``--demo`` mode."""

from claworc_emulator.config import EmulatorConfig, RequestRecord
from claworc_emulator.server import EmulatorServer

__all__ = ["EmulatorConfig", "EmulatorServer", "RequestRecord"]
