"""Object-meta, name, label and quantity validation with apimachinery's messages."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from claworc_emulator.errors import FieldError, invalid, required

DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_LABEL_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
QUALIFIED_NAME_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
    "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
CONFIG_KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def dns1123_subdomain(value: str) -> list[str]:
    """apimachinery's IsDNS1123Subdomain: the error messages for ``value`` (empty when valid)."""
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not _SUBDOMAIN.match(value):
        errs.append(DNS1123_SUBDOMAIN_MSG)
    return errs


def dns1123_label(value: str) -> list[str]:
    """apimachinery's IsDNS1123Label: the error messages for ``value`` (empty when valid)."""
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _LABEL1123.match(value):
        errs.append(DNS1123_LABEL_MSG)
    return errs


def dns1035_label(value: str) -> list[str]:
    """apimachinery's IsDNS1035Label: the error messages for ``value`` (empty when valid)."""
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _LABEL1035.match(value):
        errs.append(DNS1035_LABEL_MSG)
    return errs


NAME_CHECKS = {"subdomain": dns1123_subdomain, "label": dns1123_label, "dns1035": dns1035_label}


def qualified_name(value: str) -> list[str]:
    """apimachinery's IsQualifiedName (label and annotation keys): error messages, if any."""
    errs = []
    prefix, _, name = value.rpartition("/")
    if prefix:
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs += ["prefix part " + m for m in dns1123_subdomain(prefix)]
    if not name:
        errs.append("name part must be non-empty")
    else:
        if len(name) > 63:
            errs.append("name part must be no more than 63 characters")
        if not _NAME_PART.match(name):
            errs.append(QUALIFIED_NAME_MSG)
    return errs


def label_value(value: str) -> list[str]:
    """apimachinery's IsValidLabelValue: error messages, if any."""
    errs = []
    if len(value.encode()) > 63:
        errs.append("must be no more than 63 bytes")
    if not _LABEL_VALUE.match(value):
        errs.append(LABEL_VALUE_MSG)
    return errs


def config_key(value: str) -> list[str]:
    """apimachinery's IsConfigMapKey (Secret and ConfigMap keys): error messages, if any."""
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not _CONFIG_KEY.match(value):
        errs.append(CONFIG_KEY_MSG)
    if value in (".", ".."):
        errs.append(f"must not be '{value}'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def validate_labels(labels: Any, field: str) -> list[FieldError]:
    """Field errors of ``labels`` at ``field`` (keys and values)."""
    errs: list[FieldError] = []
    if labels is None:
        return errs
    if not isinstance(labels, dict):
        return [invalid(field, labels, "must be a map of strings")]
    for key, value in labels.items():
        errs += [invalid(field, key, m) for m in qualified_name(key)]
        if not isinstance(value, str):
            errs.append(invalid(field, value, "must be a string"))
            continue
        errs += [invalid(field, value, m) for m in label_value(value)]
    return errs


def validate_annotations(annotations: Any, field: str) -> list[FieldError]:
    """Field errors of ``annotations`` at ``field`` (keys, and the 256 KiB total)."""
    errs: list[FieldError] = []
    if annotations is None:
        return errs
    if not isinstance(annotations, dict):
        return [invalid(field, annotations, "must be a map of strings")]
    total = 0
    for key, value in annotations.items():
        errs += [invalid(field, key, m) for m in qualified_name(key.lower())]
        total += len(key) + len(str(value))
    if total > 256 * 1024:
        errs.append(FieldError("FieldValueTooLong", field, "must have at most 262144 bytes"))
    return errs


def validate_meta(obj: dict[str, Any], name_rule: str, namespaced: bool) -> list[FieldError]:
    """Field errors of ``obj``'s metadata: name by ``name_rule``, namespace, labels, annotations."""
    m = obj.get("metadata") or {}
    errs: list[FieldError] = []
    check = NAME_CHECKS[name_rule]
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
    return [invalid("metadata.generateName", gen, m) for m in NAME_CHECKS[name_rule](base)]


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
