"""Fault tests reuse the lifecycle fixtures (real SQLite file + emulator)."""

from tests.lifecycle.conftest import config, services

__all__ = ["config", "services"]
