"""Generated bad inputs (seeded, reproducible), the words their rejection must contain, and
what "nothing written" compares before and after: the database rows and the cluster's objects."""

from __future__ import annotations

import json
import random
import sqlite3
import string
from pathlib import Path

from claworc_emulator import EmulatorServer

BAD_NAMES = ["", "   ", "###", "---", "___", "!!!", "ü", "🤖🤖", "\t", "x" * 101, "#$%^&*()"]
_JUNK = string.ascii_letters + string.punctuation + " "
#: Every kind of object a refused input could have written.
KINDS = ("pods", "deployments", "services", "secrets", "configmaps", "persistentvolumeclaims")


def bad_quantities(rng: random.Random, count: int) -> list[str]:
    """Strings that are not Kubernetes quantities (or are zero/negative)."""
    fixed = ["2 cores", "1GB", "1gi", "Gi", "m", "1.2.3", "0x10", "1ee3", "-1", "0", "lots", "1 Gi"]
    out = list(fixed)
    while len(out) < count:
        n = rng.randint(1, 8)
        candidate = "".join(rng.choice(_JUNK) for _ in range(n))
        if not any(ch.isdigit() for ch in candidate) or candidate.strip() != candidate:
            out.append(candidate)
        else:
            out.append(candidate + "qq")
    return out[:count]


def bad_json(rng: random.Random, count: int) -> list[str]:
    """Texts that are not a JSON object."""
    fixed = [
        "[1, 2]",
        '"text"',
        "42",
        "null",
        "{oops",
        '{"a": }',
        "{'single': 1}",
        '{\n  "a": 1,\n}',
    ]
    out = list(fixed)
    while len(out) < count:
        text = "{" + "".join(rng.choice(_JUNK) for _ in range(rng.randint(1, 12)))
        try:
            if isinstance(json.loads(text), dict):
                continue
        except ValueError:
            pass
        out.append(text)
    return out[:count]


def bad_settings(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(key, value) pairs the settings must refuse."""
    fixed = [
        ("port_range_start", "30101"),
        ("port_range_start", "20000"),
        ("port_range_end", "40000"),
        ("port_range_start", "abc"),
        ("image", "glukw/openclaw-vnc-chrome:latest:latest"),
        ("image", "UPPER/Case"),
        ("image_pull_secret", "Bad_Name"),
        ("node_host", "bad host"),
        ("default_cpu_limit", "2 cores"),
        ("default_memory_request", "99Ti"),
        ("no_such_setting", "1"),
    ]
    out = list(fixed)
    keys = ["default_cpu_request", "default_memory_limit", "default_storage_chrome"]
    for q in bad_quantities(rng, count):
        out.append((rng.choice(keys), q))
    return out[:count]


def stored_state(db: Path, emulator: EmulatorServer) -> tuple[object, ...]:
    """What a refused input must leave alone: the database's instances, settings (but the key
    check) and activity count, and every object of the cluster we could write, with its
    resourceVersion (pods by name only: their status is the kubelet's)."""
    with sqlite3.connect(db) as raw:
        rows = (
            raw.execute("SELECT * FROM instances ORDER BY name").fetchall(),
            raw.execute(
                "SELECT key, value FROM settings WHERE key != 'fernet_key_check' ORDER BY key"
            ).fetchall(),
            raw.execute("SELECT COUNT(*) FROM activity").fetchall(),
        )
    objects = {
        kind: sorted(
            (o["metadata"]["name"], "" if kind == "pods" else o["metadata"]["resourceVersion"])
            for o in emulator.objects(kind, "claworc")
        )
        for kind in KINDS
    }
    return rows, objects
