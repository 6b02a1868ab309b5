"""Kubernetes resource quantities, parsed with the apiserver's own grammar.

The grammar (k8s.io/apimachinery/pkg/api/resource):

    <quantity>        ::= <signedNumber><suffix>
    <signedNumber>    ::= <number> | +<number> | -<number>
    <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= m | "" | k | M | G | T | P | E      (and n, u accepted on input)
    <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>

We parse to an exact `Decimal` so "500m" < "2" and "1Gi" > "1G" compare correctly.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
# ASCII digits only, as the apiserver's grammar ("٤Gi" is refused there; Python's \d takes it).
_QUANTITY = re.compile(
    r"^(?P<num>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<bin>Ki|Mi|Gi|Ti|Pi|Ei)|[eE](?P<exp>[+-]?[0-9]+)|(?P<dec>[numkMGTPE]?))$"
)


class QuantityError(ValueError):
    """Raised when a string is not a Kubernetes quantity."""


def parse_quantity(text: str) -> Decimal:
    """Parse a Kubernetes quantity into its exact value in base units.

    Args:
        text: A quantity such as ``500m``, ``2``, ``0.5``, ``1Gi``, ``512Mi``, ``1G`` or ``1e3``.

    Returns:
        The value (cores for cpu, bytes for memory and storage).

    Raises:
        QuantityError: If ``text`` does not follow the Kubernetes quantity grammar.
    """
    match = _QUANTITY.match(text.strip()) if text.strip() == text else None
    if match is None:
        raise QuantityError(f"{text!r} is not a Kubernetes quantity")
    try:
        number = Decimal(match["num"])
    except InvalidOperation as exc:  # pragma: no cover - the regex already guarantees a number
        raise QuantityError(f"{text!r} is not a Kubernetes quantity") from exc
    if match["bin"]:
        return number * _BINARY[match["bin"]]
    if match["exp"] is not None:
        exponent = int(match["exp"])
        if abs(exponent) > 30:
            raise QuantityError(f"{text!r} is out of range for a Kubernetes quantity")
        return number.scaleb(exponent)
    return number * _DECIMAL[match["dec"] or ""]


def format_bytes(value: Decimal) -> str:
    """Show a byte count the way people read it (``4Gi``, ``512Mi``, ``1.5G``)."""
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        unit = _BINARY[suffix]
        if value >= unit and value % unit == 0:
            return f"{value // unit}{suffix}"
    return f"{value.normalize():f}"


def format_cpu(value: Decimal) -> str:
    """Show a cpu amount as millicores when fractional (``500m``), else cores (``2``)."""
    if value == value.to_integral_value():
        return f"{int(value)}"
    return f"{int(value * 1000)}m"
