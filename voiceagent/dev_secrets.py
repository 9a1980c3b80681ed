"""Secrets of a development checkout: made once, kept in a private file, never written in the code.

With nothing configured, the settings use these for SECRET_KEY and the development
TWILIO_AUTH_TOKEN (the simulator signs its webhooks with the same one). The file sits beside
the demo login (`.demo/`, ignored by git) and is readable by its owner only.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path


def development_secrets(path: Path, names: tuple[str, ...]) -> dict[str, str]:
    """The secrets in `path`, made (0600, all at once) when the file does not exist yet.

    Two processes starting together (the demo's server and its simulator) must agree: the
    file is written complete under another name, then linked into place, which fails if
    another process got there first; that process's file is the one read.
    """
    kept = _read(path)
    if kept is not None and all(kept.get(name) for name in names):
        return kept
    made = (kept or {}) | {name: secrets.token_urlsafe(48) for name in names if not (kept or {}).get(name)}
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    publish(path, made, replace=kept is not None)
    return _read(path) or made


def _read(path: Path) -> dict[str, str] | None:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    pairs = (line.partition("=") for line in text.splitlines() if "=" in line and not line.startswith("#"))
    return {name.strip(): value.strip() for name, _, value in pairs}


def publish(path: Path, values: dict[str, str], *, replace: bool) -> bool:
    """Write `values` to `path` (0600) whole, never half; False when another process made it first.

    Without `replace` an existing file is never overwritten, so every process reads one set.
    """
    text = "# Made for this checkout by voiceagent/dev_secrets.py (development only; not for production).\n"
    text += "".join(f"{name}={value}\n" for name, value in values.items())
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secrets-")  # mode 0600
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
        if replace:  # an older file that lacks a name: the names it has keep their values
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)  # fails if the name exists: an atomic create-if-absent
        except FileExistsError:
            return False
        return True
    finally:
        Path(temporary).unlink(missing_ok=True)
