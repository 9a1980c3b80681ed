"""The dependency rules, checked over the source rather than hoped for.

- The call's core (`calls/bridge/`) imports nothing of the project outside itself, and no
  Django, Channels or socket library: it is plain Python fed events (see also the subprocess
  check in test_bridge_session.py).
- A carrier's wire codec (`calls/carriers/<name>/wire.py`) is part of that core's world: it may
  import the core and nothing else of the project.
- No app imports another app's admin module, except the agent page's inlines listed below,
  which are the known remainder (issue #13): the list may only shrink.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = {"agents", "calls", "tools", "mcp_server", "outbound", "voiceagent", "bench", "tests"}
FRAMEWORKS = {"django", "channels", "daphne", "websockets", "twilio", "plivo", "celery", "redis", "requests"}
KNOWN_ADMIN_IMPORTS = {
    ("agents/admin.py", "calls.postcall.admin"),
    ("agents/admin.py", "tools.admin"),
    ("calls/admin.py", "tools.admin"),
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            package = ".".join(path.relative_to(ROOT).with_suffix("").parts[: -node.level])
            names.add(f"{package}.{node.module}" if node.module else package)
    return names


def sources(*parts: str) -> list[Path]:
    return sorted(ROOT.joinpath(*parts).rglob("*.py"))


def test_the_core_imports_nothing_of_the_project_or_the_frameworks():
    offending = {
        (str(path.relative_to(ROOT)), name)
        for path in sources("calls", "bridge")
        for name in imports(path)
        if (name.split(".")[0] in PROJECT and not name.startswith("calls.bridge")) or name.split(".")[0] in FRAMEWORKS
    }
    assert offending == set()


def test_carrier_wires_import_only_the_core():
    wires = sorted(ROOT.glob("calls/carriers/*/wire.py"))
    assert {path.parent.name for path in wires} >= {"twilio", "plivo"}
    offending = {
        (str(path.relative_to(ROOT)), name)
        for path in wires
        for name in imports(path)
        if (name.split(".")[0] in PROJECT and not name.startswith("calls.bridge"))
        or name.split(".")[0] in FRAMEWORKS
        or name.split(".")[0] not in sys.stdlib_module_names | PROJECT | {"orjson"}
    }
    assert offending == set()


def test_no_app_imports_another_apps_admin_beyond_the_known_remainder():
    found = set()
    for app in ("agents", "calls", "tools", "mcp_server", "outbound"):
        for path in sources(app):
            for name in imports(path):
                owner = name.split(".")[0]
                if owner in PROJECT and owner != app and (name.endswith(".admin") or ".admin." in name):
                    found.add((str(path.relative_to(ROOT)), name))
    assert found <= KNOWN_ADMIN_IMPORTS, found - KNOWN_ADMIN_IMPORTS
