"""Replay one golden case against a fresh in-process emulator over real HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from claworc_emulator import EmulatorServer
from claworc_emulator.config import conformance_config

from .answers import diff, drop, holds, project, query_of
from .golden import Normalizer

POLL_TIMEOUT = 10.0
POLL_INTERVAL = 0.05
WATCH_TIMEOUT = 15.0
ADMIN_TOKEN = "golden-admin-token"


@dataclass
class Outcome:
    case: str
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Answer:
    status: int
    content_type: str | None
    warnings: list[str]
    body: Any = None
    text: str | None = None


class StepFailed(Exception):
    pass


class Replay:
    def __init__(self, case: dict[str, Any], ignore: list[tuple[str, str]]) -> None:
        self.case = case
        self.ignore = ignore
        self.server = EmulatorServer(conformance_config(ADMIN_TOKEN))
        self.norm = Normalizer(case, self.server.config.node_hostname)
        self.failures: list[str] = []
        self.session: aiohttp.ClientSession | None = None

    # -- plumbing --------------------------------------------------------------------------
    def _headers(self, req: dict[str, Any]) -> dict[str, str]:
        headers = {
            "User-Agent": "OpenAPI-Generator/33.1.0/python",
            "Accept": req.get("accept", "application/json"),
        }
        for k, v in (req.get("headers") or {}).items():
            headers[k] = v
        auth = req.get("auth")
        if auth is None:
            headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        elif isinstance(auth, dict) and "bearer" in auth:
            headers["Authorization"] = "Bearer " + self.norm.substitute(auth["bearer"])
        return headers

    def _data(self, req: dict[str, Any]) -> bytes | None:
        if "body" in req:
            return json.dumps(self.norm.substitute_body(req["body"])).encode()
        if "body_text" in req:
            return self.norm.substitute(req["body_text"]).encode()
        return None

    def _url(self, req: dict[str, Any]) -> str:
        return self.server.url + self.norm.substitute(req["path"], path=True)

    async def _send(self, req: dict[str, Any]) -> Answer:
        assert self.session is not None
        async with self.session.request(
            req["method"],
            self._url(req),
            data=self._data(req),
            headers=self._headers(req),
            skip_auto_headers=("Content-Type",) if "headers" not in req else (),
        ) as resp:
            raw = await resp.read()
            return _answer(resp, raw)

    # -- steps -----------------------------------------------------------------------------
    async def run(self) -> list[str]:
        await self.server.start()
        try:
            async with aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_read=None)
            ) as self.session:
                for step in self.case["steps"]:
                    try:
                        await self.step(step, step["name"])
                    except StepFailed as exc:
                        self.failures.append(f"step {step['name']}: {exc}")
                        break
        finally:
            await self.server.stop()
        return self.failures

    async def step(self, step: dict[str, Any], where: str) -> None:
        kind = step.get("kind")
        if kind == "sleep":
            await asyncio.sleep(float(step["seconds"]))
            return
        if kind == "etcd-compact":
            self.server.compact()
            return
        if kind == "watch":
            await self.watch(step, where)
            return
        if kind == "log-follow":
            await self.log_follow(step, where)
            return
        if kind == "poll":
            answer = await self.poll(step, where)
        else:
            answer = await self._send(step["request"])
        self.compare(step["request"], step["response"], answer, where)

    async def poll(self, step: dict[str, Any], where: str) -> Answer:
        deadline = time.monotonic() + POLL_TIMEOUT
        while True:
            answer = await self._send(step["request"])
            if all(holds(c, answer.status, answer.body) for c in step["until"]):
                return answer
            if time.monotonic() > deadline:
                last = json.dumps(answer.body)[:1500] if answer.body else answer.text
                raise StepFailed(
                    f"poll: {step['until']} never held within {POLL_TIMEOUT}s; last answer "
                    f"{answer.status} {last}"
                )
            await asyncio.sleep(POLL_INTERVAL)

    async def log_follow(self, step: dict[str, Any], where: str) -> None:
        assert self.session is not None
        req = step["request"]
        want_lines = int(step["stop"]["lines"])
        async with self.session.get(self._url(req), headers=self._headers(req)) as resp:
            got = b""
            try:
                async with asyncio.timeout(WATCH_TIMEOUT):
                    while got.count(b"\n") < want_lines:
                        chunk = await resp.content.readany()
                        if not chunk:
                            break
                        got += chunk
            except TimeoutError:
                pass
            lines = got.split(b"\n")[:want_lines]
            text = b"".join(line + b"\n" for line in lines).decode()
            answer = _answer(resp, b"")
            answer.text = text
            answer.body = None
        resp_want = step["response"]
        self.compare(req, resp_want, answer, where, log=True)

    async def watch(self, step: dict[str, Any], where: str) -> None:
        assert self.session is not None
        streams = step.get("streams") or [{"request": step["request"], "stop": step["stop"]}]
        responses = step.get("responses") or [step["response"]]
        opened: list[tuple[aiohttp.ClientResponse, asyncio.Task[tuple[list[Any], str]]]] = []
        try:
            for s in streams:
                req = s["request"]
                resp = await self.session.get(self._url(req), headers=self._headers(req))
                task = asyncio.create_task(self._read_events(resp, s["stop"]))
                opened.append((resp, task))
            for sub in step.get("during") or []:
                await self.step(sub, f"{where} > {sub['name']}")
            results = []
            for _resp, task in opened:
                try:
                    results.append(await asyncio.wait_for(task, WATCH_TIMEOUT))
                except TimeoutError as exc:
                    raise StepFailed(f"watch stop condition never reached: {streams}") from exc
        finally:
            for resp, task in opened:
                task.cancel()
                resp.close()
        for (resp, _), (events, end), want, s in zip(
            opened, results, responses, streams, strict=True
        ):
            self._compare_watch(s["request"], want, resp, events, end, where)

    async def _read_events(
        self, resp: aiohttp.ClientResponse, stop: dict[str, Any]
    ) -> tuple[list[Any], str]:
        events: list[Any] = []
        if resp.status != 200:
            raw = await resp.read()
            return [json.loads(raw)] if raw else [], "refused"
        matched = 0
        async for line in resp.content:
            if not line.strip():
                continue
            event = json.loads(line)
            events.append(event)
            if "events" in stop and len(events) >= int(stop["events"]):
                return events, "client-stopped"
            until = stop.get("until")
            where = until.get("where") or [] if until else []
            if (
                until
                and event.get("type") == until["type"]
                and all(holds(c, 200, event.get("object")) for c in where)
            ):
                matched += 1
                if matched >= int(stop.get("count", 1)):
                    return events, "client-stopped"
        return events, "server-closed"

    def _compare_watch(
        self,
        req: dict[str, Any],
        want: dict[str, Any],
        resp: aiohttp.ClientResponse,
        events: list[Any],
        end: str,
        where: str,
    ) -> None:
        answer = _answer(resp, b"")
        problems: list[str] = []
        if answer.status != want["status"]:
            problems.append(f"status: recorded {want['status']}, emulator {answer.status}")
        if "body" in want:
            got = self.norm.body(events[0] if events else None)
            problems += diff(want["body"], got, "body")
        else:
            if answer.content_type != want.get("content_type"):
                problems.append(
                    f"content_type: recorded {want.get('content_type')!r}, emulator "
                    f"{answer.content_type!r}"
                )
            got_events = [self.norm.body(e) for e in events]
            problems += diff(want.get("events", []), got_events, "events")
            if want.get("end") and want["end"] != end:
                problems.append(f"end: recorded {want['end']}, emulator {end}")
        self._report(problems, req, where)

    # -- comparison ------------------------------------------------------------------------
    def compare(
        self,
        req: dict[str, Any],
        want: dict[str, Any],
        answer: Answer,
        where: str,
        *,
        log: bool = False,
    ) -> None:
        problems: list[str] = []
        if answer.status != want["status"]:
            problems.append(f"status: recorded {want['status']}, emulator {answer.status}")
        if answer.content_type != want.get("content_type"):
            problems.append(
                f"content_type: recorded {want.get('content_type')!r}, emulator "
                f"{answer.content_type!r}"
            )
        if answer.warnings != want.get("warnings", []):
            problems.append(
                f"warnings: recorded {want.get('warnings')}, emulator {answer.warnings}"
            )
        if "body_text" in want:
            text = answer.text if answer.text is not None else json.dumps(answer.body)
            path = req["path"].split("?")[0]
            if log or path.endswith("/log"):
                got_text = self.norm.log_text(text)
            else:
                got_text = self.norm.string(text)
            if got_text != want["body_text"]:
                problems.append(f"body_text: recorded {want['body_text']!r}, emulator {got_text!r}")
        elif "body" in want:
            body = answer.body
            if body is None and answer.text is not None:
                problems.append(f"body: recorded JSON, emulator sent text {answer.text[:300]!r}")
            else:
                body = drop(project(body, want.get("projection")), want.get("dropped"))
                exact = None
                q = query_of(req["path"])
                if q.get("resourceVersionMatch") == "Exact":
                    exact = _placeholder_in(req["path"])
                got = self.norm.body(body, exact_rv=exact)
                problems += diff(want["body"], got, "body")
        elif answer.body is not None or answer.text:
            problems.append(f"body: recorded none, emulator sent {answer.body or answer.text!r}")
        self._report(problems, req, where)

    def _report(self, problems: list[str], req: dict[str, Any], where: str) -> None:
        problems = [
            p
            for p in problems
            if not any(p.startswith(prefix) and step in ("", where) for step, prefix in self.ignore)
        ]
        if problems:
            head = f"step {where}: {req['method']} {req['path']}"
            self.failures.append(head + "\n    " + "\n    ".join(problems))


def _placeholder_in(path: str) -> str | None:
    rv = query_of(path).get("resourceVersion", "")
    return rv if rv.startswith("<") else None


def _answer(resp: aiohttp.ClientResponse, raw: bytes) -> Answer:
    ctype = resp.headers.get("Content-Type")
    warnings = resp.headers.getall("Warning", [])
    answer = Answer(resp.status, ctype, list(warnings))
    if not raw:
        return answer
    text = raw.decode("utf-8", errors="replace")
    if ctype and ctype.startswith("application/json"):
        try:
            answer.body = json.loads(text)
            return answer
        except ValueError:
            pass
    answer.text = text
    return answer


async def replay(path: Path, ignore: list[tuple[str, str]]) -> Outcome:
    case = json.loads(path.read_text())
    started = time.monotonic()
    outcome = Outcome(f"{case['group']}/{case['case']}")
    try:
        outcome.failures = await Replay(case, ignore).run()
    except Exception as exc:  # a crash in one case must not hide the others' results
        outcome.failures = [f"replay crashed: {type(exc).__name__}: {exc}"]
    outcome.seconds = time.monotonic() - started
    return outcome
