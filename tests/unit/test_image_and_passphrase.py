"""Image references (distribution's grammar) and the passphrase seal of an export."""

from __future__ import annotations

import random
import re

import pytest
from pydantic import SecretStr

from claworc_tui.crypto.passphrase import (
    DamagedSeal,
    PassphraseSeal,
    WrongPassphrase,
    seal_from_params,
)
from claworc_tui.models.image import image_problem

VALID = [
    "nginx",
    "nginx:1.27",
    "glukw/openclaw-vnc-chrome:latest",
    "registry.example.com:5000/team/bot:2.0-rc_1",
    "localhost/bot",
    "localhost:5000/bot",
    "[::1]:5000/bot:1",
    "a__b/c--d/e.f",
    "nginx@sha256:" + "a" * 64,
    "nginx:1@sha256:" + "0" * 64,
]
INVALID = {
    "": "empty",
    "bad image": "a space",
    " nginx": "a space",
    "nginx\n": "U+000A",
    "Nginx": "lower case",
    "nginx:": "tag",
    "nginx:-1": "tag",
    "nginx:" + "a" * 129: "tag",
    "nginx:1:2": "path component",
    "-nginx": "path component",
    "a_-b": "path component",
    "a/b/": "path component",
    "nginx@sha256:abc": "digest",
    "nginx@sha256:" + "a" * 63: "64 hex digits",
    "nginx@sha256:" + "A" * 64: "lower-case hex",
    "nginx@sha512:" + "ab" * 63 + "aF": "lower-case hex",
    "bad_host.com/x": "registry",
    "x" * 256: "more than 255",
    "nginx:é": "U+00E9",
}


@pytest.mark.parametrize("ref", VALID)
def test_valid_references(ref: str) -> None:
    assert image_problem(ref) is None


@pytest.mark.parametrize(("ref", "why"), INVALID.items())
def test_invalid_references_say_why(ref: str, why: str) -> None:
    problem = image_problem(ref)
    assert problem is not None
    assert why in problem


def test_seal_round_trip_binds_the_place() -> None:
    passphrase = SecretStr("correct horse battery")
    seal = PassphraseSeal.new(passphrase)
    token = seal.seal("sk-secret", "bot-alpha")
    assert "sk-secret" not in token
    params = seal.params()
    reopened = seal_from_params(passphrase, params)
    assert reopened.open(token, "bot-alpha") == "sk-secret"
    with pytest.raises(DamagedSeal):
        reopened.open(token, "bot-beta")
    with pytest.raises(WrongPassphrase):
        seal_from_params(SecretStr("wrong"), params)
    with pytest.raises(DamagedSeal, match="out of range"):
        seal_from_params(passphrase, {**params, "n": 2**30})
    with pytest.raises(DamagedSeal, match="no 'salt'"):
        seal_from_params(passphrase, {k: v for k, v in params.items() if k != "salt"})
    assert "correct horse" not in repr(seal)


# distribution/reference's own grammar (regexp.go), as one anchored expression.
_ALNUM = r"[a-z0-9]+"
_PATH = rf"{_ALNUM}(?:(?:[._]|__|[-]+){_ALNUM})*"
_HOSTC = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_HOSTC}(?:\.{_HOSTC})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_REFERENCE = re.compile(
    rf"((?:{_DOMAIN}/)?{_PATH}(?:/{_PATH})*)(?::([\w][\w.-]{{0,127}}))?"
    r"(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?",
    re.ASCII,
)


def _distribution_accepts(ref: str) -> bool:
    match = _REFERENCE.fullmatch(ref)
    if match is None or len(match.group(1)) > 255:
        return False
    digest = match.group(3)
    if digest and digest.startswith("sha256:"):  # go-digest's Validate: ^[a-f0-9]{64}$
        return len(digest) == 7 + 64 and digest == digest.lower()
    return True


def test_agrees_with_the_distribution_grammar_on_random_strings() -> None:
    rng = random.Random(14)
    samples = [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14)))
        for alphabet in ("ab0B.-_:/@[] ", "ab0.-_:/", "aB0._-:/")
        for _ in range(15000)
    ]
    assert sum(map(_distribution_accepts, samples)) > 2000  # both sides of the line are hit
    samples += ["localhost:5000/a", "a:1/b", "A/b", "a/B", "a.b:1/c:d", "a__b", "a___b"]
    disagree = [s for s in samples if (image_problem(s) is None) != _distribution_accepts(s)]
    # The one difference, on purpose: a first component with a "." is a registry host to
    # docker's splitDockerDomain (and so to the kubelet), so "a_b.c/d" is refused for its host
    # although the bare grammar reads it as a path.
    assert all("registry" in (image_problem(s) or "") for s in disagree), disagree
    assert all("." in s.split("/")[0] and "_" in s.split("/")[0] for s in disagree), disagree
