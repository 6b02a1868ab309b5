"""Image references (distribution's grammar) and the passphrase seal of an export."""

from __future__ import annotations

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
