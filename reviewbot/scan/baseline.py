"""Baselines: record today's findings by fingerprint so later scans report only new ones."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from reviewbot.model.findings import Finding
from reviewbot.workspace.config import ConfigError

BASELINE_VERSION = 1


def write_baseline(path: Path, findings: list[Finding]) -> None:
    entries = [
        {"fingerprint": f.fingerprint, "rule": f.rule, "path": f.path, "line": f.line}
        for f in findings
    ]
    document = {"version": BASELINE_VERSION, "tool": "reviewbot", "findings": entries}
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--write-baseline {path}: cannot write: {exc.strerror}") from exc


def read_baseline(path: Path) -> Counter[str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--baseline {path}: cannot read: {exc.strerror}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--baseline {path}: not a reviewbot baseline (invalid JSON)") from exc
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise ConfigError(f"--baseline {path}: not a reviewbot baseline (no `findings` list)")
    return Counter(
        str(entry.get("fingerprint"))
        for entry in document["findings"]
        if isinstance(entry, dict) and entry.get("fingerprint")
    )


def apply_baseline(findings: list[Finding], known: Counter[str]) -> tuple[list[Finding], int]:
    """Drop findings already in the baseline; each baseline entry absorbs one finding."""
    remaining = Counter(known)
    kept: list[Finding] = []
    dropped = 0
    for finding in findings:
        if remaining[finding.fingerprint] > 0:
            remaining[finding.fingerprint] -= 1
            dropped += 1
        else:
            kept.append(finding)
    return kept, dropped
