"""The one sanitizer for text from outside the program (``claworc_tui.models.text``)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from claworc_tui.models.instance import InstanceSpec
from claworc_tui.models.text import (
    PLACEHOLDER,
    has_controls,
    json_escape_controls,
    one_line,
    safe_text,
    storable,
)
from tests.hostile import FORBIDDEN, hostile_text

OSC52 = "\x1b]52;c;aGk=\x1b\\"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        (OSC52, "�]52;c;aGk=�\\"),
        ("\x1b[2J", "�[2J"),
        ("\x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\", "�]8;;https://x�\\link�]8;;�\\"),
        ("\x9b2J", "�2J"),  # C1 CSI
        ("\x9d52;c;aGk=\x9c", "�52;c;aGk=�"),  # C1 OSC ... ST
        ("\x07\x08\x7f\x00", "����"),  # BEL, BS, DEL, NUL
        ("a\u202eevil\u202c", "a�evil�"),  # RLO ... PDF
        ("\u2066x\u2069\u200e\u200f\u061c", "�x����"),  # isolates, marks
        ("a\u2028b\u2029c", "a�b�c"),
        ("\ud83d", "�"),  # a lone surrogate cannot even be encoded
        ("tab\there", "tab here"),
        ("CR\rLF", "CR�LF"),
        ("ünïcödé 🤖 [b]x[/b]", "ünïcödé 🤖 [b]x[/b]"),  # printable text, markup untouched
    ],
)
def test_controls_become_a_visible_placeholder(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown.replace("�", PLACEHOLDER)


def test_newlines_are_kept_only_when_asked() -> None:
    assert safe_text("one\r\ntwo\nthree") == "one two three"
    assert safe_text("one\r\ntwo\n\tthree", multiline=True) == "one\ntwo\n    three"


def test_anything_is_stringified_and_none_is_empty() -> None:
    assert safe_text(None) == ""
    assert safe_text(42) == "42"
    assert safe_text(ValueError("bad\x1b[2J")) == "bad�[2J"


def test_one_line_squeezes_whitespace() -> None:
    assert one_line("  a\n\n b\t c \x1b ") == "a b c �"


@given(hostile_text())
def test_no_control_survives(text: str) -> None:
    for multiline in (False, True):
        out = safe_text(text, multiline=multiline)
        assert not has_controls(out)
        assert not any(char in FORBIDDEN for char in out)
        assert "\t" not in out
        assert multiline or "\n" not in out
        assert safe_text(out, multiline=multiline) == out  # idempotent
        out.encode("utf-8")  # never raises: no lone surrogate left


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Zl", "Zp"))))
def test_printable_text_is_unchanged(text: str) -> None:
    assert safe_text(text) == text


@pytest.mark.parametrize(
    "name", ["Bot\x1b]52;c;aGk=\x07", "Bot\x9b2J", "Bot\u202eahpla", "Bot\tA", "Bot\nA", "x\x00"]
)
def test_display_names_with_controls_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match=r"display_name must not contain control"):
        InstanceSpec(display_name=name)


def test_display_names_may_hold_any_printable_text() -> None:
    assert InstanceSpec(display_name="Bot [b]Ünï[/b] 🤖").display_name == "Bot [b]Ünï[/b] 🤖"


@given(st.dictionaries(hostile_text(), hostile_text(), max_size=3))
def test_a_config_keeps_its_meaning_with_controls_escaped(doc: dict[str, str]) -> None:
    config = json.dumps(doc, ensure_ascii=False, indent=2)  # C1, bidi, surrogates: raw
    shown = json_escape_controls(config)
    assert not has_controls(shown)
    assert json.loads(shown) == json.loads(config)


def test_storable_replaces_only_lone_surrogates() -> None:
    assert storable("a\ud800b\x1b") == f"a{PLACEHOLDER}b\x1b"
    assert storable("ok 🤖") == "ok 🤖"
