import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.names import (
    MAX_NAME_LENGTH,
    OBJECT_SUFFIXES,
    derive_name,
    is_valid_object_name,
    object_names,
)


@pytest.mark.parametrize(
    ("display", "name"),
    [
        ("Bot Alpha", "bot-alpha"),
        ("My Test Bot #3", "bot-my-test-bot-3"),
        ("Production WhatsApp", "bot-production-whatsapp"),
        ("snake_case_bot", "bot-snake-case-bot"),
        ("  --Edge--  ", "bot-edge"),
        ("Ünïcödé Bot", "bot-ncd-bot"),
        ("bot_beta", "bot-beta"),
        ("Bot", "bot-bot"),
        ("Botany", "bot-botany"),
    ],
)
def test_spec_examples_and_steps(display: str, name: str) -> None:
    assert derive_name(display) == name


@pytest.mark.parametrize("display", ["###", "   ", "---", "___", "ü"])
def test_a_name_with_nothing_left_is_an_error_that_says_so(display: str) -> None:
    with pytest.raises(ValidationFailed, match="no letters or digits") as info:
        derive_name(display)
    assert info.value.field == "display_name"


def test_long_names_are_truncated_so_every_object_name_fits() -> None:
    name = derive_name("x" * 100)
    assert len(name) == MAX_NAME_LENGTH
    for obj in object_names(name).values():
        assert len(obj) <= 63


def test_truncation_never_ends_on_a_hyphen() -> None:
    display = "a" * (MAX_NAME_LENGTH - len("bot-") - 1) + " tail"
    name = derive_name(display)
    assert not name.endswith("-")


def test_object_names_use_the_name_itself() -> None:
    names = object_names("bot-alpha")
    assert names["deployment"] == "bot-alpha"
    assert names["service"] == "bot-alpha-vnc"
    assert names["secret"] == "bot-alpha-keys"
    assert names["configmap"] == "bot-alpha-config"
    assert {names[f"pvc_{r}"] for r in ("clawdbot", "homebrew", "clawd", "chrome")} == {
        "bot-alpha-clawdbot",
        "bot-alpha-homebrew",
        "bot-alpha-clawd",
        "bot-alpha-chrome",
    }
    assert not any("bot-bot" in n for n in names.values())


@given(st.text(min_size=1, max_size=100))
def test_every_derived_name_makes_valid_object_names(display: str) -> None:
    try:
        name = derive_name(display)
    except ValidationFailed:
        assert not re.search(r"[a-z0-9]", display.lower().replace(" ", "-").replace("_", "-"))
        return
    assert name.startswith("bot-")
    assert re.fullmatch(r"[a-z0-9-]+", name)
    assert not name.endswith("-")
    assert len(name) <= MAX_NAME_LENGTH
    assert is_valid_object_name(name)
    for suffix in OBJECT_SUFFIXES:
        assert is_valid_object_name(name + suffix)
