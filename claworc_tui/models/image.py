"""Container image references, checked the way docker/distribution's ``reference`` grammar does.

The API server does not check an image: a Deployment whose template names ``"bad image"`` or an
image with a trailing newline is accepted, and only its pods are refused (422, seen as a
FailedCreate event on the ReplicaSet; the golden case ``errors/image-whitespace``). So every image
the app writes is checked here first, and a bad one is refused with what is wrong, before
anything is sent.

Grammar (distribution/reference ``reference.go``)::

    reference    := name [ ":" tag ] [ "@" digest ]
    name         := [domain "/"] path-component ["/" path-component]*
    domain       := host [":" port]        (a first component with "." or ":", or "localhost")
    path-component := [a-z0-9]+ (separator [a-z0-9]+)*     separator := [_.] | "__" | "-"+
    tag          := [\\w][\\w.-]{0,127}
    digest       := algorithm ":" hex      (sha256: 64 hex digits)

The name (domain and path) is at most 255 characters.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

NAME_MAX = 255
_HOST_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(
    rf"(?:{_HOST_COMPONENT}(?:\.{_HOST_COMPONENT})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?", re.ASCII
)
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*", re.ASCII)
_TAG = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[+._-][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


def _is_domain(first: str) -> bool:
    # As distribution's splitDockerDomain: "localhost", or anything with "." or ":", or an
    # upper-case letter (a path component cannot have one) is a registry host.
    return first == "localhost" or any(ch in first for ch in ".:") or first != first.lower()


def image_problem(value: str) -> str | None:
    """What is wrong with ``value`` as an image reference, or None if it is valid."""
    if not value:
        return "it is empty"
    bad = next((ch for ch in value if ch.isspace() or not ch.isprintable() or ord(ch) > 126), None)
    if bad is not None:
        return f"it contains {'a space' if bad == ' ' else f'the character U+{ord(bad):04X}'}"
    rest, at, digest = value.partition("@")
    if at:
        if not _DIGEST.fullmatch(digest):
            return f'the digest "{digest}" is not ALGORITHM:HEX (e.g. sha256: and 64 hex digits)'
        algorithm, _, hex_part = digest.partition(":")
        want = _DIGEST_LENGTHS.get(algorithm)
        if want is not None and len(hex_part) != want:
            return f"a {algorithm} digest has {want} hex digits, not {len(hex_part)}"
        if want is not None and hex_part != hex_part.lower():
            # The grammar lets [[:xdigit:]] through, but go-digest's Validate (and so the
            # runtime pulling it) wants lower-case hex for the registered algorithms.
            return f"a {algorithm} digest is lower-case hex (it has upper-case letters)"
    name, tag = rest, ""
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        name, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG.fullmatch(tag):
            return f'the tag "{tag}" is not valid (letters, digits, "_", "." and "-", at most 128)'
    if not name:
        return "it has no repository name"
    if len(name) > NAME_MAX:
        return f"the repository name is {len(name)} characters, more than {NAME_MAX}"
    components = name.split("/")
    if len(components) > 1 and _is_domain(components[0]):
        if not _DOMAIN.fullmatch(components[0]):
            return f'the registry "{components[0]}" is not a host name with an optional port'
        components = components[1:]
    for component in components:
        if component != component.lower():
            return f'the repository name "{name}" must be lower case'
        if not _PATH_COMPONENT.fullmatch(component):
            return (
                f'"{component}" is not a valid repository path component (lower-case letters '
                'and digits, separated by ".", "_", "__" or "-")'
            )
    return None


def check_image(value: str, field: str = "image") -> str:
    """Return ``value`` if it is a valid image reference.

    Raises:
        ValueError: ``image "REF" is not a valid image reference: <what is wrong>``.
    """
    problem = image_problem(value)
    if problem is not None:
        raise ValueError(f'{field} "{value}" is not a valid image reference: {problem}')
    return value


ImageRef = Annotated[str, AfterValidator(check_image)]
"""A model field holding an image reference, checked by :func:`check_image` (the one rule of the
settings' image, an instance's own and an imported record's)."""
