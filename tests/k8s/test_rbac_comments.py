"""deploy/rbac.yaml says what each granted verb is for, in the comment above its rule."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

RBAC = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"


def test_every_verb_of_the_role_is_explained() -> None:
    text = RBAC.read_text()
    role_text = text[text.index("kind: Role\n") : text.index("kind: RoleBinding")]
    blocks = re.split(r"\n  - apiGroups:", role_text)
    role = next(d for d in yaml.safe_load_all(text) if d and d.get("kind") == "Role")
    assert len(blocks) - 1 == len(role["rules"])
    for comment_block, rule in zip(blocks[:-1], role["rules"], strict=True):
        comment = "\n".join(
            line for line in comment_block.splitlines()[-12:] if line.strip().startswith("#")
        )
        for resource in rule["resources"]:
            assert resource in comment, (resource, comment)
        for verb in rule["verbs"]:
            assert re.search(rf"\b{verb}\b", comment), (verb, rule["resources"], comment)
