"""Object-meta, name, label and quantity validation with apimachinery's messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from claworc_emulator.errors import FieldError, invalid, required


@dataclass(frozen=True)
class StringFormat:
    """One of apimachinery's string formats (``IsDNS1123Label`` and the like): a length limit
    and a regular expression, with the messages the apiserver gives for a value that breaks them.
    """

    max_length: int
    regex: str  # matched against the whole value, and quoted in the message
    message: str  # what a valid value looks like, before the examples
    examples: tuple[str, ...]
    unit: str = "characters"  # what max_length counts: "characters", or "bytes" of UTF-8

    def errors(self, value: str) -> list[str]:
        """The error messages for ``value`` (empty when it is valid)."""
        errs = []
        size = len(value.encode()) if self.unit == "bytes" else len(value)
        if size > self.max_length:
            errs.append(f"must be no more than {self.max_length} {self.unit}")
        if not re.fullmatch(self.regex, value):
            # apimachinery's RegexError, with its two spaces before each "or".
            examples = " or ".join(f"'{e}', " for e in self.examples)
            errs.append(
                f"{self.message} (e.g. {examples}regex used for validation is '{self.regex}')"
            )
        return errs


DNS1123_SUBDOMAIN = StringFormat(
    253,
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character",
    ("example.com",),
)
DNS1123_LABEL = StringFormat(
    63,
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?",
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character",
    ("my-name", "123-abc"),
)
DNS1035_LABEL = StringFormat(
    63,
    r"[a-z]([-a-z0-9]*[a-z0-9])?",
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character",
    ("my-name", "abc-123"),
)
LABEL_VALUE = StringFormat(
    63,
    r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?",
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character",
    ("MyValue", "my_value", "12345"),
    unit="bytes",
)
# The name part of a qualified name (a label or annotation key); its messages say "name part".
NAME_PART = StringFormat(
    63,
    r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]",
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character",
    ("MyName", "my.name", "123-abc"),
)
CONFIG_KEY = StringFormat(
    253,
    r"[-._a-zA-Z0-9]+",
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
    ("key.name", "KEY_NAME", "key-name"),
)

# The rule a kind's object names follow (KindRules.name_rule).
NAME_FORMATS = {"subdomain": DNS1123_SUBDOMAIN, "label": DNS1123_LABEL, "dns1035": DNS1035_LABEL}


def qualified_name(value: str) -> list[str]:
    """apimachinery's IsQualifiedName (label and annotation keys): error messages, if any."""
    prefix, _, name = value.rpartition("/")
    errs = ["prefix part " + m for m in DNS1123_SUBDOMAIN.errors(prefix)] if prefix else []
    if not name:
        errs.append("name part must be non-empty")
    else:
        errs += ["name part " + m for m in NAME_PART.errors(name)]
    return errs


def config_key(value: str) -> list[str]:
    """apimachinery's IsConfigMapKey (Secret and ConfigMap keys): error messages, if any."""
    errs = CONFIG_KEY.errors(value)
    if value in (".", ".."):
        errs.append(f"must not be '{value}'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def _string_map(value: Any, field: str) -> tuple[dict[str, Any], list[FieldError]]:
    """``value`` as a map to check entry by entry (None is an empty one), or no entries and the
    error that it is not a map."""
    if value is None:
        return {}, []
    if not isinstance(value, dict):
        return {}, [invalid(field, value, "must be a map of strings")]
    return value, []


def validate_labels(labels: Any, field: str) -> list[FieldError]:
    """Field errors of ``labels`` at ``field`` (keys and values)."""
    entries, errs = _string_map(labels, field)
    for key, value in entries.items():
        errs += [invalid(field, key, m) for m in qualified_name(key)]
        if not isinstance(value, str):
            errs.append(invalid(field, value, "must be a string"))
            continue
        errs += [invalid(field, value, m) for m in LABEL_VALUE.errors(value)]
    return errs


def validate_annotations(annotations: Any, field: str) -> list[FieldError]:
    """Field errors of ``annotations`` at ``field`` (keys, and the 256 KiB total)."""
    entries, errs = _string_map(annotations, field)
    total = 0
    for key, value in entries.items():
        errs += [invalid(field, key, m) for m in qualified_name(key.lower())]
        total += len(key) + len(str(value))
    if total > 256 * 1024:
        errs.append(FieldError("FieldValueTooLong", field, "must have at most 262144 bytes"))
    return errs


def validate_meta(obj: dict[str, Any], name_rule: str, namespaced: bool) -> list[FieldError]:
    """Field errors of ``obj``'s metadata: name by ``name_rule``, namespace, labels, annotations."""
    m = obj.get("metadata") or {}
    errs: list[FieldError] = []
    check = NAME_FORMATS[name_rule].errors
    name = m.get("name") or ""
    if not name:
        errs.append(required("metadata.name", "name or generateName is required"))
    else:
        errs += [invalid("metadata.name", name, msg) for msg in check(name)]
    if namespaced and not m.get("namespace"):
        errs.append(required("metadata.namespace"))
    errs += validate_labels(m.get("labels"), "metadata.labels")
    errs += validate_annotations(m.get("annotations"), "metadata.annotations")
    return errs


def validate_generate_name(obj: dict[str, Any], name_rule: str) -> list[FieldError]:
    """Field errors of ``metadata.generateName`` (checked as a name by ``name_rule``)."""
    gen = (obj.get("metadata") or {}).get("generateName") or ""
    base = gen[:-1] if gen.endswith("-") else gen
    if not gen or not base:
        return []
    return [invalid("metadata.generateName", gen, m) for m in NAME_FORMATS[name_rule].errors(base)]


# -- quantities ------------------------------------------------------------------------------

_SUFFIX: dict[str, int | Fraction] = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)(([eE][+-]?[0-9]+)|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")


def parse_quantity(value: Any) -> Fraction | None:
    """A quantity (``512Mi``, ``1.5``, ``100m``) as an exact fraction; None when invalid."""
    if isinstance(value, int | float):
        return Fraction(value)
    if not isinstance(value, str):
        return None
    m = _QUANTITY.fullmatch(value)
    if not m:
        return None
    try:
        number = Fraction(m.group(1))
    except ValueError:
        return None
    suffix = m.group(2) or ""
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        return number * Fraction(10) ** int(suffix[1:])
    return number * Fraction(_SUFFIX[suffix])


def quantity_error(field: str, value: Any) -> FieldError:
    """The field error for a quantity that does not parse, with apimachinery's message."""
    return invalid(
        field,
        value,
        "quantities must match the regular expression "
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    )


_DECIMAL = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}
_BINARY = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]


def canonical_quantity(value: Any) -> Any:
    """The form the apiserver stores a quantity in (``2000m`` -> ``2``, ``0.5Gi`` -> ``512Mi``,
    ``1000`` -> ``1k``); a value that does not parse is returned as it is."""
    number = parse_quantity(value)
    if number is None or not isinstance(value, str):
        return value
    m = _QUANTITY.fullmatch(value)
    assert m is not None
    suffix = m.group(2) or ""
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    magnitude = abs(number)
    if suffix.endswith("i") and magnitude >= 1024 and magnitude.denominator == 1:
        whole, k = int(magnitude), 0
        while k < len(_BINARY) - 1 and whole % 1024 == 0:
            whole, k = whole // 1024, k + 1
        return f"{sign}{whole}{_BINARY[k]}"
    # Decimal: round up to nano units, then the largest exponent (a multiple of 3) that
    # keeps the mantissa whole.
    nanos = -(-magnitude * 10**9 // 1)
    exponent = -9
    while nanos % 1000 == 0 and nanos:
        nanos //= 1000
        exponent += 3
    exp_form = suffix[:1] in ("e", "E") and len(suffix) > 1
    if exp_form or exponent > 18:
        return f"{sign}{nanos}" + (f"e{exponent}" if exponent else "")
    return f"{sign}{nanos}{_DECIMAL[exponent]}"
