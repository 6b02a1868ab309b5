"""An emulated Kubernetes API server (with controllers, scheduler and kubelet) for tests and
``claworc-tui --demo``.

It is a package of its own, not part of the product: ``claworc_tui`` never imports it except in
``claworc_tui/demo.py`` (the ``--demo`` seam), and it imports nothing of ``claworc_tui`` — it
speaks Kubernetes JSON over real HTTP, checked against a real kube-apiserver's transcripts in
``tests/conformance``. import-linter enforces both directions (see ``pyproject.toml``).

Public surface: :class:`EmulatorServer` (start/stop, ``url``, ``write_kubeconfig`` and the test
hooks), :class:`EmulatorConfig` and :class:`RequestRecord`. ``python -m claworc_emulator
--kubeconfig PATH`` serves one until Ctrl-C.
"""

from claworc_emulator.config import EmulatorConfig, RequestRecord
from claworc_emulator.server import EmulatorServer

__all__ = ["EmulatorConfig", "EmulatorServer", "RequestRecord"]
