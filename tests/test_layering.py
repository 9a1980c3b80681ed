"""The dependency rules, checked over the source rather than hoped for.

The rules themselves are import-linter contracts in pyproject.toml (`make lint` runs
`lint-imports`; the first test here runs them too): the core imports nothing of the project,
a carrier's wire only the core, the apps stack one way (mcp_server → calls → tools → agents),
no app imports another's admin. What a contract cannot say is checked here over the AST:
the core and the wires use nothing outside the standard library (and orjson) at all, and
every app of the project is under the contracts.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = {
    "agents",
    "calls",
    "tools",
    "sms",
    "outbound",
    "mcp_server",
    "dashboard",
    "recordings",
    "costs",
    "voiceagent",
    "bench",
    "tests",
}
FRAMEWORKS = {"django", "channels", "daphne", "websockets", "twilio", "plivo", "celery", "redis", "requests"}
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


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


def test_the_import_contracts_are_kept():
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_every_app_is_under_the_contracts():
    """A new app (a package with apps.py) is in root_packages, the layers and the admin rule."""
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps >= {"agents", "calls", "tools", "mcp_server"}
    assert apps <= set(CONTRACTS["root_packages"])
    (layers,) = [c for c in CONTRACTS["contracts"] if c["type"] == "layers"]
    layered = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    assert apps == layered
    (admins,) = [c for c in CONTRACTS["contracts"] if c["type"] == "independence"]
    assert {f"{app}.admin" for app in apps if (ROOT / app / "admin.py").exists()} <= set(admins["modules"])
