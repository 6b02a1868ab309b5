"""``python -m claworc_emulator``: serve an emulated cluster until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path

from claworc_emulator.config import EmulatorConfig
from claworc_emulator.server import EmulatorServer


async def _serve(host: str, port: int, kubeconfig: Path | None) -> None:
    server = EmulatorServer(EmulatorConfig())
    url = await server.start(host, port)
    if kubeconfig is not None:
        server.write_kubeconfig(kubeconfig)
        print(f"kubeconfig written to {kubeconfig}", flush=True)
    print(url, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    """Parse ``argv`` (``--host``, ``--port``, ``--kubeconfig``) and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m claworc_emulator", description="Run an emulated Kubernetes API server."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--kubeconfig", type=Path, default=None)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, args.kubeconfig))


if __name__ == "__main__":
    main()
