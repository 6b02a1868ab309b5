"""Fault tests reuse the lifecycle fixtures (real SQLite file + emulator)."""

from tests.lifecycle.conftest import config, emulator, services

__all__ = ["config", "emulator", "services"]
