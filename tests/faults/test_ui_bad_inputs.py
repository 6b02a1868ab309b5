"""Bad input through the TUI: the create form and the settings screen.

The generated cases are the CLI's (``bad_inputs.py``, seeded): every one must be refused with a
message under the field it is about, naming it, and nothing may be written — the database rows
(instances, settings, activity) and the emulator's objects are compared before and after.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from claworc_emulator import EmulatorServer
from claworc_tui.app import ClaworcApp
from claworc_tui.models.instance import Provider
from claworc_tui.services import Services
from claworc_tui.ui.screens.create import CreateInstanceModal
from claworc_tui.ui.screens.settings import SettingsScreen
from claworc_tui.ui.widgets.form import FieldError
from tests._support.wait import wait_for
from tests.faults.bad_inputs import BAD_NAMES, bad_json, bad_quantities, bad_settings, stored_state
from tests.ui.conftest import all_running
from tests.ui.harness import fixed_now, opened, running_emulator, seed, settings_for
from tests.ui.steps import open_create_form, open_settings

CASES_PER_KIND = 80
RESOURCE_FIELDS = ("cpu_request", "cpu_limit", "memory_request", "memory_limit")
STORAGE_FIELDS = ("storage_clawdbot", "storage_homebrew", "storage_clawd", "storage_chrome")


def press(app: App[Any], key: str) -> None:
    """Send a key as terminal input would, without ``Pilot.press``'s wait for idle (~100 ms
    here, as the log pane's flush timer keeps the app busy): the caller waits for the result."""
    event = events.Key(key, None)
    event.set_sender(app)
    assert app._driver is not None
    app._driver.send_message(event)


def shown_errors(screen: Any) -> dict[str, str]:
    """Every inline error on screen, by the id of its field (``display_name``, ``resources`` …)."""
    return {
        str(error.id).removesuffix("-error"): str(error.render())
        for error in screen.query(FieldError)
        if error.display
    }


def create_cases(rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(input id, bad value, error id, word the message must contain)."""
    cases = [("display_name", name, "display_name", "display") for name in BAD_NAMES]
    for value in bad_quantities(rng, CASES_PER_KIND):
        field = rng.choice(RESOURCE_FIELDS + STORAGE_FIELDS)
        error = "resources" if field in RESOURCE_FIELDS else "storage"
        cases.append((field, value, error, field.removeprefix("storage_")))
    cases += [
        ("clawdbot_config", text, "clawdbot_config", "clawdbot.json")
        for text in bad_json(rng, CASES_PER_KIND)
    ]
    for value in ("sk-ant key with spaces", "two\nlines", "\tsk-tab inside\tkey "):
        provider = rng.choice(list(Provider))
        cases.append((provider.value, value, "api_keys", provider.label))
    return cases


@pytest.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[tuple[Services, EmulatorServer]]:
    async with running_emulator() as emulator, opened(settings_for(tmp_path, emulator)) as services:
        await seed(services, "Alpha")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not await all_running(services, 1):  # settled: the objects stop changing
            assert loop.time() < deadline, "the seeded instance did not come up"
            await asyncio.sleep(0.05)
        yield services, emulator


def problem(case: str, errors: dict[str, str], error_id: str, word: str) -> str | None:
    """What is wrong with the errors shown for one case, or None."""
    if list(errors) != [error_id]:
        return f"{case}: expected an error at {error_id}, got {errors}"
    # Messages name fields by their labels on screen ("CPU limit", "NodePort range start").
    word = word.removeprefix("default_").removeprefix("storage_").replace("_", " ")
    if word.lower() not in errors[error_id].lower():
        return f"{case}: message does not name {word!r}: {errors[error_id]!r}"
    return None


async def submit_create_cases(
    pilot: Pilot[Any], modal: CreateInstanceModal, cases: list[tuple[str, str, str, str]]
) -> list[str]:
    """Submit each case; return the problems (every case is refused and the form stays)."""
    defaults = {i.id: i.value for i in modal.query(Input) if i.id}
    modal.query_one("#display_name", Input).value = "Fine Name"
    problems: list[str] = []
    for field, value, error_id, word in cases:
        for error in modal.query(FieldError):
            error.set(None)
        if field == "clawdbot_config":
            modal.query_one("#clawdbot_config", TextArea).text = value
        else:
            modal.query_one(f"#{field}", Input).value = value
        press(modal.app, "ctrl+s")
        await wait_for(
            lambda: shown_errors(modal), pilot=pilot, what=f"an error for {field}={value!r}"
        )
        assert pilot.app.screen is modal, f"{field}={value!r} was accepted"
        found = problem(f"create {field}={value!r}", shown_errors(modal), error_id, word)
        if found:
            problems.append(found)
        if field == "clawdbot_config":
            modal.query_one("#clawdbot_config", TextArea).text = ""
        else:
            restored = "Fine Name" if field == "display_name" else defaults[field]
            modal.query_one(f"#{field}", Input).value = restored
    return problems


async def submit_settings_cases(
    pilot: Pilot[Any], screen: SettingsScreen, cases: list[tuple[str, str]]
) -> tuple[int, list[str]]:
    """Save each case; return how many ran and the problems."""
    inputs = {i.id: i for i in screen.query(Input) if i.id}
    done = 0
    problems: list[str] = []
    for key, value in cases:
        if key not in inputs or not value.strip():
            # Not a field of the form (the CLI covers unknown keys), or blank, which the form
            # reads as "back to the default" — a valid change, not a bad input.
            continue
        original = inputs[key].value
        for error in screen.query(FieldError):
            error.set(None)
        inputs[key].value = value
        press(screen.app, "ctrl+s")
        await wait_for(
            lambda: shown_errors(screen), pilot=pilot, what=f"an error for {key}={value!r}"
        )
        found = problem(f"settings {key}={value!r}", shown_errors(screen), key, key)
        if found:
            problems.append(found)
        inputs[key].value = original
        done += 1
    return done, problems


async def run_session(
    services: Services, creates: list[tuple[str, str, str, str]], settings: list[tuple[str, str]]
) -> tuple[int, list[str]]:
    """Open the form, then the settings, on the real app; return (cases run, problems)."""
    app = ClaworcApp(services, now=fixed_now, environ={}, cursor_blink=False)
    async with app.run_test(size=(120, 50)) as pilot:
        modal = await open_create_form(pilot, rows=1)
        problems = await submit_create_cases(pilot, modal, creates)
        await pilot.press("escape")
        screen = await open_settings(pilot, rows=1)
        refused, more = await submit_settings_cases(pilot, screen, settings)
    return len(creates) + refused, problems + more


@pytest.mark.slow
@pytest.mark.timeout(300)  # 250+ cases through the real form: ~40 s quiet, ~80 s at load 10+
async def test_bad_inputs_through_the_create_form_and_settings(
    fleet: tuple[Services, EmulatorServer],
) -> None:
    services, emulator = fleet
    rng = random.Random(20261123)
    creates = create_cases(rng)
    settings = bad_settings(rng, CASES_PER_KIND)
    before = stored_state(services.config.db, emulator)
    refused, problems = await run_session(services, creates, settings)
    assert refused >= 250
    assert not problems, "\n".join(problems)
    assert stored_state(services.config.db, emulator) == before
