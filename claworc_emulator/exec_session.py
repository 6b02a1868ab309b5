"""One exec session of the emulated pod: a fake shell or one command over the channel protocol.

See :mod:`claworc_emulator.exec_and_portforward` for the protocol; this module only pumps bytes
between the WebSocket and :class:`~claworc_emulator.fake_shell.FakeShell` and ends with the
``Status`` the error channel carries.
"""

from __future__ import annotations

import asyncio
import json
import shlex
from typing import Any

from aiohttp import WSMsgType, web

from claworc_emulator.fake_shell import SHELLS, FakeShell

STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255


def exit_status(code: int, argv: list[str]) -> dict[str, Any]:
    """The Status the error channel carries when a command ends (v4 and later)."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": (
            f"command terminated with non-zero exit code: error executing command {argv}, "
            f"exit code {code}"
        ),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


class ExecSession:
    """One exec: a fake shell or one command, pumped over the channel protocol."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        protocol: str,
        shell: FakeShell,
        argv: list[str],
        pod: str,
        resizes: list[tuple[str, int, int]],
    ) -> None:
        self.ws, self.protocol, self.shell, self.argv = ws, protocol, shell, argv
        self.pod, self.resizes = pod, resizes
        self.version = int(protocol[1]) if protocol.startswith("v") else 1
        self.interactive = False
        self.cat = False

    async def send(self, channel: int, data: bytes) -> None:
        if data and not self.ws.closed:
            await self.ws.send_bytes(bytes([channel]) + data)

    async def run(self, ended: asyncio.Event) -> None:
        try:
            code = await self._start()
            if code is None:
                code = await self._loop(ended)
            await self._finish(code)
        except ConnectionError:
            pass
        finally:
            await self.ws.close()

    async def _start(self) -> int | None:
        """Run the command; None when it keeps going (a shell or ``cat`` reading stdin)."""
        program = self.argv[0].rsplit("/", 1)[-1]
        if program in SHELLS and program in self.shell.binaries():
            if len(self.argv) >= 3 and self.argv[1] == "-c":
                result = self.shell.run_script(self.argv[2])
                await self.send(STDOUT, self.shell.crlf(result.out).encode())
                await self.send(STDERR if not self.shell.tty else STDOUT, result.err.encode())
                if not result.become:
                    return result.code
                self.shell.name = result.become
            else:
                self.shell.name = program
            self.interactive = True
            await self.send(STDOUT, self.shell.prompt())
            return None
        if program == "cat" and len(self.argv) == 1:
            self.cat = True
            return None
        if program not in self.shell.binaries():
            message = (
                "OCI runtime exec failed: exec failed: unable to start container process: "
                f'exec: "{self.argv[0]}": executable file not found in $PATH: unknown'
            )
            await self._send_error(
                {"metadata": {}, "status": "Failure", "message": message, "reason": "InternalError"}
                if self.version >= 4
                else message
            )
            return -1
        result = self.shell.run_argv(" ".join(shlex.quote(a) for a in self.argv))
        await self.send(STDOUT, self.shell.crlf(result.out).encode())
        await self.send(STDOUT if self.shell.tty else STDERR, result.err.encode())
        return result.code

    async def _loop(self, ended: asyncio.Event) -> int:
        gone = asyncio.create_task(ended.wait())
        try:
            while self.shell.exit_code is None:
                receive = asyncio.create_task(self.ws.receive())
                done, _ = await asyncio.wait({receive, gone}, return_when=asyncio.FIRST_COMPLETED)
                if receive not in done:
                    receive.cancel()
                    return 137  # the container was killed under the session
                msg = receive.result()
                if msg.type != WSMsgType.BINARY:
                    return 0 if self.shell.exit_code is None else self.shell.exit_code
                await self._message(msg.data)
            return self.shell.exit_code
        finally:
            gone.cancel()

    async def _message(self, data: bytes) -> None:
        if not data:
            return
        channel, body = data[0], data[1:]
        if channel == STDIN:
            if self.cat:
                await self.send(STDOUT, body)
                return
            out, err = self.shell.feed(body)
            await self.send(STDOUT, out)
            await self.send(STDERR, err)
        elif channel == RESIZE and self.version >= 4:
            try:
                size = json.loads(body)
                width, height = int(size["Width"]), int(size["Height"])
            except (ValueError, KeyError, TypeError):
                return
            self.shell.resize(width, height)
            self.resizes.append((self.pod, width, height))
        elif channel == CLOSE and self.version >= 5 and body[:1] == bytes([STDIN]):
            self.shell.end_of_input()

    async def _finish(self, code: int) -> None:
        if code < 0:
            return
        if self.version >= 4:
            await self._send_error(exit_status(code, self.argv))
        elif code:
            await self._send_error(f"command terminated with non-zero exit code: {code}")

    async def _send_error(self, status: dict[str, Any] | str) -> None:
        text = status if isinstance(status, str) else json.dumps(status)
        await self.send(ERROR, text.encode())
