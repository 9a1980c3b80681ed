"""Every third-party package the project imports is pinned in requirements.txt.

A fresh clone installs only what requirements.txt names (`make`, `.ci/run`); an import that
works here only because the package happens to be in this venv would fail there.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

from .servers import ROOT

SKIPPED_DIRS = {".venv", ".git", "node_modules", "__pycache__", "artifacts", "media", "staticfiles", ".demo"}


def project_files() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts[:-1]) and not path.name.startswith(".")
    ]


def top_level_imports(path: Path) -> set[str]:
    """Absolute imports only: a relative one (`from . import x`) is the project's own."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned() -> set[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return {normalized(re.split(r"[\s=<>!~\[;]", line.strip(), maxsplit=1)[0]) for line in lines if line[:1].isalnum()}


def test_every_imported_package_is_in_requirements_txt():
    own = {path.name for path in ROOT.iterdir() if (path / "__init__.py").exists() or path.suffix == ".py"}
    own |= {path.stem for path in ROOT.iterdir() if path.suffix == ".py"}
    distributions = packages_distributions()
    missing: dict[str, set[str]] = {}
    for path in project_files():
        for module in top_level_imports(path) - own - set(sys.stdlib_module_names):
            names = distributions.get(module)
            assert names, f"{path.relative_to(ROOT)} imports {module!r}, which no installed distribution provides"
            if not {normalized(name) for name in names} & pinned():
                missing.setdefault(" or ".join(sorted(set(names))), set()).add(str(path.relative_to(ROOT)))
    assert not missing, f"imported but not in requirements.txt: {missing}"


def test_the_walk_sees_the_project_s_third_party_imports():
    """Guards the test above against walking nothing: these imports are known to be there."""
    seen = set().union(*(top_level_imports(path) for path in project_files()))
    assert {"django", "channels", "twilio", "websockets", "environ", "celery", "hypothesis"} <= seen
    assert ROOT / "voiceagent" / "settings.py" in project_files()
    assert not any(".venv" in path.parts for path in project_files())
