"""claworc-tui: run a fleet of OpenClaw bot instances on Kubernetes from the terminal."""

__version__ = "0.1.0"
