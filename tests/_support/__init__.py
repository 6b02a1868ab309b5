"""Helpers shared by every test directory: waiting by predicate, the emulator's test settings."""
