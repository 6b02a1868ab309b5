"""Input patterns are ASCII and whole-string, like the API server's."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from claworc_tui.db.settings import build_settings
from claworc_tui.models.errors import ValidationFailed
from claworc_tui.models.names import is_valid_object_name
from claworc_tui.models.quantity import QuantityError, parse_quantity
from claworc_tui.models.settings import GlobalSettings


@pytest.mark.parametrize(
    "text",
    ["５Gi", "٤Gi", "१Gi", "1٫5", "²", "1\n", "1Gi\n", "\n1Gi", "5\u200bGi", "1e３"],
)
def test_quantities_are_ascii_only(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("node_host", "evil.example\n"),
        ("node_host", "evil.example\r"),
        ("node_host", "ｅvil.example"),
        ("image", "nginx:1\n"),
        ("image", "nginx:ｌatest"),
        ("image", "nginx:١"),
        ("image_pull_secret", "regcred\n"),
    ],
)
def test_patterns_match_the_whole_ascii_value(field: str, value: str) -> None:
    with pytest.raises(ValidationError):
        GlobalSettings(**{field: value})


def test_names_refuse_a_trailing_newline() -> None:
    assert is_valid_object_name("bot-x")
    assert not is_valid_object_name("bot-x\n")


@pytest.mark.parametrize("value", ["³⁰¹⁰⁰", "３0100", "30100\n"])
def test_ports_with_non_ascii_digits_are_bad_input(value: str) -> None:
    try:
        build_settings({"port_range_start": value})
    except ValidationFailed:
        return
    except ValueError as exc:  # what it was: a bare ValueError from int()
        pytest.fail(f"ValueError instead of ValidationFailed: {exc}")
    settings = build_settings({"port_range_start": value})
    assert settings.port_range_start == 30100, "an ignored value must not change anything"
