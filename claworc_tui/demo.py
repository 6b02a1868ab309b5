"""``--demo``: the app against the built-in emulated cluster, with sample instances.

The emulated API server runs on 127.0.0.1 in a thread of its own (its own event loop), so the
TUI's loop stays free. Everything the demo writes — database, key file, kubeconfig, log — goes to
a temporary folder that is removed at exit; the user's real files are never touched.

Sample fleet: ``bot-alpha`` healthy and chatty, ``bot-crashy`` crash-looping, ``bot-sleepy``
stopped, plus a fake global Anthropic key so key sources show something.

This is the one module of claworc_tui that imports the emulator (``claworc_emulator``, a package
of its own); import-linter's independence contract allows exactly this import, and ``cli/main.py``
imports this module only for ``--demo``, so the product never loads the emulator otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import tempfile
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from claworc_emulator import EmulatorConfig, EmulatorServer
from claworc_tui.config import Settings

NAMESPACE = "claworc"
DEMO_KEY = "sk-ant-demo.not.a.real.key.0000-9f2c"
_CHATTER = (
    "[agent] checking inbox: {n} new messages",
    "[chrome] navigated to https://example.com/report/{n}",
    "[agent] tool call: browser.screenshot (took {ms} ms)",
    "[vnc] client connected from 10.0.0.{n}",
    "[agent] reply sent ({ms} tokens)",
    "[homebrew] brew upgrade: nothing to do",
    "WARN [agent] rate limited by provider, retrying in {s}s",
)


class DemoCluster:
    """The emulator in a background thread, seeded with sample instances."""

    def __init__(self, *, pod_start_delay: float = 2.0) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="claworc-demo-"))
        self.emulator = EmulatorServer(
            EmulatorConfig(pod_start_delay=pod_start_delay, pod_grace_period=1.0)
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="demo-cluster", daemon=True
        )
        self._chatter: Future[None] | None = None

    def _submit(self, coro: Coroutine[Any, Any, Any]) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def start(self, base: Settings) -> Settings:
        """Start the emulator, seed it, and return the settings the app should use."""
        self._thread.start()
        self._submit(self.emulator.start()).result(timeout=30)
        kubeconfig = self.emulator.write_kubeconfig(self.folder / "kubeconfig", namespace=NAMESPACE)
        settings = base.model_copy(
            update={
                "db": self.folder / "claworc.db",
                "kubeconfig": kubeconfig,
                "context": None,
                "namespace": NAMESPACE,
                "config_dir": self.folder / "config",
                "state_dir": self.folder / "state",
                "demo": True,
                "fernet_key": None,
                # The demo is the emulated cluster, whatever --runtime or CLAWORC_RUNTIME say:
                # never seed demo bots onto a real Docker engine.
                "runtime": "kubernetes",
            }
        )
        # Seeding writes; `--read-only --demo` is a read-only look at the seeded demo fleet.
        seeding = settings.model_copy(update={"read_only": False})
        self._submit(self._seed(seeding)).result(timeout=60)
        self._chatter = self._submit(self._chat())
        return settings

    async def _seed(self, settings: Settings) -> None:
        from claworc_tui.models.instance import InstanceSpec, Provider, Resources
        from claworc_tui.services import open_services

        services = await open_services(settings)
        try:
            svc = services.instances
            await svc.set_global_key(Provider.ANTHROPIC, SecretStr(DEMO_KEY))
            for display, extra in (
                (
                    "Alpha",
                    {"clawdbot_config": '{\n  "model": "claude-opus",\n  "channels": ["slack"]\n}'},
                ),
                ("Crashy", {"resources": Resources(memory_limit="2Gi")}),
                ("Sleepy", {}),
            ):
                async for _ in svc.create(InstanceSpec(display_name=display, **extra)):
                    pass
            self.emulator.crash_loop(NAMESPACE, "bot-crashy")
            await svc.stop("bot-sleepy")
        finally:
            await services.aclose()

    async def _chat(self) -> None:
        rng = random.Random(7)
        n = 0
        while True:
            await asyncio.sleep(0.4)
            for pod in self.emulator.objects("pods", NAMESPACE):
                meta, status = pod["metadata"], pod.get("status") or {}
                if meta.get("labels", {}).get("app") != "bot-alpha":
                    continue
                if status.get("phase") != "Running" or meta.get("deletionTimestamp"):
                    continue
                n += 1
                line = rng.choice(_CHATTER).format(
                    n=n % 250, ms=rng.randint(40, 900), s=rng.randint(1, 9)
                )
                with contextlib.suppress(Exception):
                    self.emulator.append_log(NAMESPACE, meta["name"], [line])

    def stop(self) -> None:
        """Stop the emulator and remove the demo folder."""
        if self._chatter is not None:
            self._chatter.cancel()
        with contextlib.suppress(Exception):
            self._submit(self.emulator.stop()).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        shutil.rmtree(self.folder, ignore_errors=True)
