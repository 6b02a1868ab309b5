"""A tiny shell for the emulated pod's exec: enough of ``sh``/``bash`` to test a terminal session.

It is pure (bytes in, bytes out, no I/O) so the WebSocket handler in
:mod:`claworc_emulator.exec_and_portforward` stays a thin pump. With a TTY it behaves like a
terminal's line discipline: input is echoed, ``\\r`` runs the line, output newlines become
``\\r\\n``, backspace erases, ctrl-C drops the line and ctrl-D on an empty line exits. Without a TTY
lines are run silently, stdout and stderr kept apart.

Commands: ``echo``, ``hostname``, ``pwd``, ``whoami``, ``uname``, ``true``, ``false``,
``exit [N]``, ``stty size``, ``tput cols|lines``, ``command -v NAME``, ``ls``, ``env`` and
``exec bash|sh``; scripts (``sh -c``) may join commands with ``;``, ``&&`` and ``||`` and
redirect to ``/dev/null``. That covers the probe ``command -v bash >/dev/null && exec bash ||
exec sh`` clients use to pick a shell.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

SHELLS = ("bash", "sh")
_BINARIES = {
    "echo",
    "hostname",
    "pwd",
    "whoami",
    "uname",
    "true",
    "false",
    "stty",
    "tput",
    "ls",
    "env",
    "cat",
    "sh",
}
_REDIRECT = re.compile(r"^\d?>(&\d|/dev/null)$")
_CSI = re.compile(rb"\x1b\[[0-9;?]*[@-~]|\x1b.")


@dataclass
class Result:
    """What one command line printed and its exit code (``exited`` after ``exit``)."""

    out: str = ""
    err: str = ""
    code: int = 0
    exited: bool = False
    become: str | None = None
    """``exec bash``/``exec sh``: the session continues as this interactive shell."""


@dataclass
class FakeShell:
    """One shell process of the emulated pod.

    Args:
        pod: The pod name (``hostname`` prints it).
        has_bash: Whether ``bash`` exists in the image.
        tty: Whether the session has a terminal.
    """

    pod: str
    has_bash: bool = True
    tty: bool = True
    name: str = "sh"
    cols: int = 80
    rows: int = 24
    exit_code: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    _line: bytearray = field(default_factory=bytearray)

    def binaries(self) -> set[str]:
        return _BINARIES | ({"bash"} if self.has_bash else set())

    def prompt(self) -> bytes:
        if not self.tty:
            return b""
        sign = f"root@{self.pod}:/# " if self.name == "bash" else "# "
        return sign.encode()

    def resize(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows

    # -- terminal input ----------------------------------------------------------------------
    def feed(self, data: bytes) -> tuple[bytes, bytes]:
        """Take stdin bytes; return what goes to (stdout, stderr)."""
        out, err = bytearray(), bytearray()
        data = _CSI.sub(b"", data) if self.tty else data
        for byte in data:
            if self.exit_code is not None:
                break
            char = bytes([byte])
            if char in (b"\r", b"\n"):
                if self.tty:
                    out += b"\r\n"
                line, self._line = self._line.decode(errors="replace"), bytearray()
                self._run_interactive(line, out, err)
            elif not self.tty:
                self._line += char
            elif char in (b"\x7f", b"\x08"):
                if self._line:
                    self._line.pop()
                    out += b"\b \b"
            elif char == b"\x03":
                self._line.clear()
                out += b"^C\r\n" + self.prompt()
            elif char == b"\x04":
                if not self._line:
                    out += b"exit\r\n"
                    self.exit_code = 0
            elif byte >= 0x20:
                self._line += char
                out += char
        return bytes(out), bytes(err)

    def end_of_input(self) -> None:
        """Stdin was closed: an interactive shell exits like on ctrl-D."""
        if self.exit_code is None:
            self.exit_code = 0

    def _run_interactive(self, line: str, out: bytearray, err: bytearray) -> None:
        result = self.run_script(line)
        if result.become:
            self.name = result.become
        for text, buf in ((result.out, out), (result.err, out if self.tty else err)):
            buf += self.crlf(text).encode()
        if result.exited:
            self.exit_code = result.code
        else:
            out += self.prompt()

    def crlf(self, text: str) -> str:
        return text.replace("\n", "\r\n") if self.tty else text

    # -- interpreter -------------------------------------------------------------------------
    def run_script(self, script: str) -> Result:
        """Run ``cmd1 && cmd2 || cmd3; cmd4`` and return the combined output."""
        total = Result()
        for statement in script.split(";"):
            result = self._run_chain(statement)
            total.out += result.out
            total.err += result.err
            total.code = result.code
            if result.exited or result.become:
                total.exited, total.become = result.exited, result.become
                break
        return total

    def _run_chain(self, statement: str) -> Result:
        parts = re.split(r"(&&|\|\|)", statement)
        total = Result()
        run = True
        for i in range(0, len(parts), 2):
            if run:
                result = self.run_argv(parts[i])
                total.out += result.out
                total.err += result.err
                total.code = result.code
                if result.exited or result.become:
                    total.exited, total.become = result.exited, result.become
                    return total
            op = parts[i + 1] if i + 1 < len(parts) else ""
            run = (total.code == 0) if op == "&&" else (total.code != 0)
        return total

    def run_argv(self, text: str) -> Result:
        try:
            words = shlex.split(text)
        except ValueError as exc:
            return Result(err=f"{self.name}: syntax error: {exc}\n", code=2)
        quiet_out = any(w in (">/dev/null", "1>/dev/null") for w in words)
        quiet_err = any(w in ("2>/dev/null", "2>&1") for w in words) and quiet_out
        words = [w for w in words if not _REDIRECT.match(w)]
        if not words:
            return Result()
        result = self._command(words[0], words[1:])
        if quiet_out:
            result.out = ""
        if quiet_err:
            result.err = ""
        return result

    def _command(self, cmd: str, args: list[str]) -> Result:
        simple = {
            "hostname": self.pod,
            "pwd": "/",
            "whoami": "root",
            "uname": "Linux",
            "ls": "bin  dev  etc  home  proc  root  sys  tmp  usr  var",
        }
        if cmd in simple:
            return Result(out=simple[cmd] + "\n")
        if cmd == "echo":
            return Result(out=" ".join(args) + "\n")
        if cmd in ("true", "false"):
            return Result(code=0 if cmd == "true" else 1)
        if cmd == "exit":
            code = int(args[0]) if args and args[0].isdigit() else 0
            return Result(code=code, exited=True)
        if cmd == "stty" and args == ["size"]:
            return Result(out=f"{self.rows} {self.cols}\n")
        if cmd == "tput" and args in (["cols"], ["lines"]):
            return Result(out=f"{self.cols if args == ['cols'] else self.rows}\n")
        if cmd == "env":
            return Result(out=f"HOSTNAME={self.pod}\nCOLUMNS={self.cols}\nLINES={self.rows}\n")
        if cmd == "command" and len(args) == 2 and args[0] == "-v":
            found = args[1] in self.binaries()
            return Result(out=f"/bin/{args[1]}\n" if found else "", code=0 if found else 1)
        if cmd == "exec" and args and args[0].rsplit("/", 1)[-1] in SHELLS:
            shell = args[0].rsplit("/", 1)[-1]
            if shell in self.binaries():
                return Result(become=shell)
            return Result(err=f"{self.name}: exec: {shell}: not found\n", code=127, exited=True)
        return Result(err=f"{self.name}: {cmd}: not found\n", code=127)
