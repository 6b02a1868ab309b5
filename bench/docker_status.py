"""Docker status propagation: the engine stops or starts a container → the row shows it.

    .venv/bin/python bench/docker_status.py [--quick] [--runs N] [--json FILE]

The Docker backend on a real engine (``DOCKER_HOST``, else the private engine of
``tests/docker/engine.sh start``, with its busybox test image). 4 instances (2 quick) are made
through the app's own service; the app runs on :class:`FrameDriver` at 160x45. N times (30 by
default, 4 quick) the second row's container is killed (SIGKILL, exit 137, which the restart
policy leaves stopped: the row says ``Error``) straight through the engine API, then started
again (``Running``). Two latencies: from just before the API call to the first frame that shows
the new state (the engine's own work included: a start sets up the network and two port
proxies), and from the engine's own time of the change (``StartedAt``/``FinishedAt``) to that
frame — the one the 200 ms target is about: event, our ``inspect``, the hub and the paint.

Without an engine or the test image the run says so and measures nothing (never a made-up
figure).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _report import Deadline, Report, header, median, p95, parse_args, run
from _ui import SIZE, frame_app, listed, watch

from claworc_tui.config import Settings
from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.errors import DockerFault
from claworc_tui.models.instance import InstanceSpec, Resources
from claworc_tui.services import open_services
from claworc_tui.services.docker_service import DockerInstanceService

ROOT = Path(__file__).resolve().parents[1]
ENTRYPOINT = ROOT / "tests" / "docker" / "image" / "entrypoint.sh"
IMAGE = "claworc-test/openclaw:" + hashlib.sha256(ENTRYPOINT.read_bytes()).hexdigest()[:12]
PRIVATE_SOCKET = "unix:///tmp/claworc-dockerd/docker.sock"


async def engine_ready() -> str | None:
    """None when the engine and the test image are there; else why not."""
    engine = DockerEngine(os.environ.get("DOCKER_HOST") or PRIVATE_SOCKET)
    try:
        await engine.start()
        await engine.call(f"images/{IMAGE}/json")
    except DockerFault as exc:
        return f"no Docker engine with the test image ({exc}); run tests/docker/engine.sh start"
    finally:
        await engine.aclose()
    return None


async def changed_at(engine: DockerEngine, container: str) -> float:
    """When the engine says the container last started or stopped (epoch seconds)."""
    state = (await engine.call(f"containers/{container}/json"))["State"]
    stamp = max(state["StartedAt"], state["FinishedAt"])  # RFC 3339, same length: comparable
    head, _, frac = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(head).replace(tzinfo=UTC).timestamp() + float(f"0.{frac or 0}")


async def measure(report: Report, quick: bool, changes: int, budget: Deadline) -> None:
    count = 2 if quick else 4
    os.environ.setdefault("DOCKER_HOST", PRIVATE_SOCKET)
    with tempfile.TemporaryDirectory(prefix="claworc-bench-docker-") as tmp:
        folder = Path(tmp)
        settings = Settings(
            db=folder / "data" / "claworc.db",
            config_dir=folder / "config",
            state_dir=folder / "state",
            runtime="docker",
            docker_network=os.environ.get("CLAWORC_DOCKER_NETWORK", "claworc-test"),
            docker_privileged=False,  # the CI sandbox refuses a container every capability
        )
        services = await open_services(settings)
        svc = services.instances
        assert isinstance(svc, DockerInstanceService)
        names: list[str] = []
        try:
            await svc.update_settings(
                {"image": IMAGE, "port_range_start": "31400", "port_range_end": "31499"}
            )
            small = Resources(
                cpu_request="100m", cpu_limit="500m", memory_request="16Mi", memory_limit="64Mi"
            )
            for i in range(count):
                spec = InstanceSpec(display_name=f"D{i:03d}", resources=small)
                async for step in svc.create(spec):
                    if step.name not in names:
                        names.append(step.name)
            app = frame_app(services)
            async with app.run_test(headless=False, size=SIZE):
                listing = (await listed(app, count, 60, running=True)).instance_list
                target = sorted(listing.views)[1]
                container = f"claworc-{target}"
                engine = svc.docker.engine
                stops: list[float] = []
                starts: list[float] = []
                engine_to_row: list[float] = []
                wall = time.time() - time.monotonic()  # the engine stamps in wall-clock time
                for i in range(changes):
                    budget.check(f"change {i}")
                    frame = watch(lambda data, now: "Error" in data)
                    sent = time.monotonic()
                    await engine.call(f"containers/{container}/kill", "POST")
                    shown = await frame.wait(10)
                    stops.append(shown - sent)
                    engine_to_row.append(shown + wall - await changed_at(engine, container))
                    frame = watch(
                        lambda data, now: (
                            target in data and "Running" in data and "Error" not in data
                        )
                    )
                    sent = time.monotonic()
                    await engine.call(f"containers/{container}/start", "POST")
                    shown = await frame.wait(10)
                    starts.append(shown - sent)
                    engine_to_row.append(shown + wall - await changed_at(engine, container))
        finally:
            for name in names:
                async for _ in svc.delete(name):
                    pass
            await services.aclose()
    stop_ms, start_ms = [x * 1000 for x in stops], [x * 1000 for x in starts]
    # The request → row figures include the engine's own work (a start sets up the network and
    # two port proxies); the target is on the engine's change → row.
    report.add("kill → row, median", median(stop_ms), "ms", detail=f"{changes} kills")
    report.add("kill → row, p95", p95(stop_ms), "ms")
    report.add("start → row, median", median(start_ms), "ms", detail=f"{changes} starts")
    report.add("start → row, p95", p95(start_ms), "ms")
    report.add("start → row, max", max(start_ms), "ms")
    ms = [x * 1000 for x in engine_to_row]
    report.add("engine state change → row, median", median(ms), "ms", detail=f"{len(ms)} changes")
    report.add("engine state change → row, p95", p95(ms), "ms", at_most=200)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__ or "", argv)
    report = header("docker_status", args)
    why = asyncio.run(engine_ready())
    if why is not None:
        print(f"  skipped: {why}", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps({"quick": args.quick, "skipped": why}))
        return 0
    changes = args.runs or (4 if args.quick else 30)
    budget = Deadline(90 if args.quick else 600)
    return run(report, args, measure(report, args.quick, changes, budget), budget.seconds)


if __name__ == "__main__":
    sys.exit(main())
