"""The test helpers of tests/_support/wait.py: what they wait for, and what they say on a timeout.

The screen test reproduces the race behind the old NoMatches flake of test_modals: a pushed
screen is ``app.screen`` before its content exists, so a test that waited for
``isinstance(app.screen, X)`` and then queried it could fail on a loaded machine.
"""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App, ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static

from tests._support.wait import wait_for, wait_for_screen, wait_for_widget


class SlowDialog(ModalScreen[None]):
    """A dialog whose body arrives after it is on top (as a busy machine can make it)."""

    def __init__(self, release: asyncio.Event) -> None:
        super().__init__()
        self.release = release

    def compose(self) -> ComposeResult:
        yield Static("title", classes="dialog-title")

    def on_mount(self) -> None:
        # In a worker, so the screen keeps processing its messages meanwhile.
        self.run_worker(self.add_body())

    async def add_body(self) -> None:
        await self.release.wait()
        await self.mount(Static("the body", classes="dialog-body"))


class DialogApp(App[None]):
    """An app that shows nothing until a SlowDialog is pushed."""


async def test_wait_for_returns_the_first_truthy_result_of_a_sync_or_async_predicate() -> None:
    values = iter([None, 0, "", "found"])
    assert await wait_for(lambda: next(values), timeout=5, what="a value") == "found"
    calls = 0

    async def third_time() -> int | None:
        nonlocal calls
        calls += 1
        return calls if calls == 3 else None

    assert await wait_for(third_time, timeout=5) == 3


async def test_wait_for_fails_naming_what_it_waited_for() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"timed out after 0\.1s waiting for the moon"):
        await wait_for(lambda: False, timeout=0.1, what="the moon")


async def test_wait_for_screen_waits_for_the_content_not_just_the_screen() -> None:
    app = DialogApp()
    release = asyncio.Event()
    async with app.run_test(size=(40, 10)) as pilot:
        app.push_screen(SlowDialog(release))
        await wait_for(lambda: isinstance(app.screen, SlowDialog), pilot=pilot, what="pushed")
        # The old check already holds, but the body is not there: querying it now fails.
        assert not app.screen.query(".dialog-body")
        waiting = asyncio.create_task(wait_for_screen(pilot, SlowDialog, showing=".dialog-body"))
        await pilot.pause(0.1)
        assert not waiting.done()
        release.set()
        dialog = await waiting
        assert isinstance(dialog, SlowDialog)
        body = await wait_for_widget(pilot, ".dialog-body", Static)
        assert str(body.render()) == "the body"
