"""Helpers shared by every test directory: waiting by predicate, the emulator's test settings,
instances made through the service, the Kubernetes side (the client of services, other writers)."""
