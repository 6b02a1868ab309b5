"""Waiting by predicate: the one way tests wait for something that happens on its own.

Streams never go idle and a loaded machine is slow, so tests never sleep a fixed time and never
assert on a timing; they poll a condition until it holds or a generous timeout passes, then fail
saying what they waited for (dolphie's ``wait_for(predicate)``).

Inside ``app.run_test()`` pass ``pilot=`` so each poll goes through ``pilot.pause`` (the app
processes its messages and refreshes between polls); without it the poll sleeps on the event
loop, for services and the emulator, and for screens that churn so much that waiting for them
to go idle would take long (a crash-looping pod).

A pushed screen is ``app.screen`` before it has composed its children, so querying it right
away can raise ``NoMatches`` under load: wait with :func:`wait_for_screen` (optionally until a
selector matches inside it) or :func:`wait_for_widget` first.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget

T = TypeVar("T")
ScreenT = TypeVar("ScreenT", bound=Screen[Any])
WidgetT = TypeVar("WidgetT", bound=Widget)


@overload
async def wait_for(
    predicate: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = ...,
    what: str = ...,
    pilot: Pilot[Any] | None = ...,
    interval: float = ...,
) -> T: ...


@overload
async def wait_for(
    predicate: Callable[[], T | None],
    *,
    timeout: float = ...,
    what: str = ...,
    pilot: Pilot[Any] | None = ...,
    interval: float = ...,
) -> T: ...


async def wait_for(
    predicate: Callable[[], Any],
    *,
    timeout: float = 5.0,
    what: str = "",
    pilot: Pilot[Any] | None = None,
    interval: float = 0.02,
) -> Any:
    """Poll ``predicate`` (sync or async) until it returns something truthy, and return that.

    Args:
        predicate: Called with no arguments; may return an awaitable.
        timeout: Seconds before the test fails.
        what: What is awaited, for the failure message.
        pilot: Poll through ``pilot.pause`` (inside ``run_test``) instead of ``asyncio.sleep``.
        interval: Seconds between polls.

    Returns:
        The first truthy result of ``predicate``.

    Raises:
        pytest.fail.Exception: After ``timeout`` seconds without a truthy result.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what or predicate}")
        if pilot is not None:
            await pilot.pause(interval)
        else:
            await asyncio.sleep(interval)


async def wait_for_screen(
    pilot: Pilot[Any],
    kind: type[ScreenT],
    *,
    showing: str | None = None,
    timeout: float = 5.0,
    what: str = "",
) -> ScreenT:
    """Wait until the active screen is a mounted ``kind`` (a modal, a screen) and return it.

    Args:
        pilot: The app's pilot.
        kind: The screen class expected on top.
        showing: A selector that must also match inside the screen (its composed content).
        timeout: Seconds before the test fails.
        what: What is awaited, for the failure message (default: the class name).
    """

    def ready() -> ScreenT | None:
        screen = pilot.app.screen
        if not isinstance(screen, kind) or not screen.is_mounted:
            return None
        if showing is not None and not screen.query(showing):
            return None
        return screen

    return await wait_for(ready, timeout=timeout, what=what or kind.__name__, pilot=pilot)


async def wait_for_widget(
    pilot: Pilot[Any],
    selector: str,
    kind: type[WidgetT],
    *,
    timeout: float = 5.0,
    what: str = "",
) -> WidgetT:
    """Wait until ``selector`` matches a mounted ``kind`` on the active screen and return it."""

    def found() -> WidgetT | None:
        for widget in pilot.app.screen.query(selector):
            if isinstance(widget, kind) and widget.is_mounted:
                return widget
        return None

    return await wait_for(found, timeout=timeout, what=what or selector, pilot=pilot)
