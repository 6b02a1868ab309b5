from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claworc_tui.models.quantity import QuantityError, format_bytes, format_cpu, parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("2", Decimal(2)),
        ("0.5", Decimal("0.5")),
        ("1Gi", Decimal(2**30)),
        ("512Mi", Decimal(512 * 2**20)),
        ("1G", Decimal(10**9)),
        ("1e3", Decimal(1000)),
        ("1E3", Decimal(1000)),
        ("2000m", Decimal(2)),
        (".5", Decimal("0.5")),
        ("5.", Decimal(5)),
        ("+1k", Decimal(1000)),
        ("100n", Decimal("1e-7")),
        ("1.5Ki", Decimal(1536)),
    ],
)
def test_parses_the_kubernetes_grammar(text: str, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize(
    "text",
    [
        *("", "2 cores", "1GB", "1gi", "m", "Gi", "1.2.3", " 1", "1 ", "1e", "1Mi2", "0x10"),
        *("1ee3", "5Gi\n", "4 Gi"),
        # Digits of other scripts: the apiserver's grammar is ASCII ([0-9]); a real cluster
        # answers 400 to "٤Gi" (the golden corpus, errors/quantity-pvc).
        *("٤Gi", "２Gi", "1e٣", "٤"),
    ],
)
def test_rejects_what_kubernetes_rejects(text: str) -> None:
    with pytest.raises(QuantityError, match="is not a Kubernetes quantity"):
        parse_quantity(text)


def test_binary_and_decimal_suffixes_compare_by_value() -> None:
    assert parse_quantity("1Gi") > parse_quantity("1G")
    assert parse_quantity("500m") < parse_quantity("1")


def test_formatting() -> None:
    assert format_bytes(parse_quantity("4Gi")) == "4Gi"
    assert format_bytes(parse_quantity("512Mi")) == "512Mi"
    assert format_cpu(parse_quantity("500m")) == "500m"
    assert format_cpu(parse_quantity("2000m")) == "2"


@given(
    st.integers(min_value=0, max_value=10**9),
    st.sampled_from(["", "m", "k", "M", "G", "Ki", "Mi", "Gi"]),
)
def test_integer_with_any_suffix_round_trips(number: int, suffix: str) -> None:
    value = parse_quantity(f"{number}{suffix}")
    assert value >= 0
    assert parse_quantity(f"{number}{suffix}") == value
    if suffix == "Gi":
        assert value == number * 2**30


@given(st.text(alphabet=st.characters(blacklist_categories=["Nd"]), min_size=1, max_size=5))
def test_no_digits_is_never_a_quantity(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)
