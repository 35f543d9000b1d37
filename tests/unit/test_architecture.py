"""The architecture is checked: the import contracts in pyproject.toml hold, they catch what they name,
and the DAG files import only the task-level modules of the package."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# What a DAG file may import from hoops: the task code, the asset definitions, settings and calendar, and
# the Glue crawler names (gold_refresh starts the gold crawler).
DAG_IMPORTS = {
    "hoops.assets",
    "hoops.aws_catalog",
    "hoops.barttorvik.ingest",
    "hoops.calendar",
    "hoops.cbbd.dagflow",
    "hoops.cbbd.pipeline",
    "hoops.settings",
}


def lint_imports(project: Path, *python_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in python_path)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(project / "pyproject.toml")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_hold():
    done = lint_imports(ROOT, ROOT / "plugins", ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("hoops/leak.py", "import devkit.cli\n", "The deployable package never imports the dev kit"),
        ("hoops/settings.py", "import hoops.lake\n", "Task code -> CBBD run steps"),
        ("hoops/cbbd/engine.py", "import hoops.cbbd.dagflow\n", "Task code -> CBBD run steps"),
        ("hoops/ref.py", "import hoops.cbbd.raw\n", "never import a source's code"),
        ("hoops/paths.py", "import hoops.calendar\n", None),  # allowed: same layer, no cycle yet
        ("hoops/checks/tables.py", "import hoops.cbbd.tables\n", "No import cycles"),
    ],
    ids=[
        "hoops-imports-devkit",
        "settings-imports-lake",
        "engine-imports-task-code",
        "shared-imports-cbbd",
        "allowed",
        "cycle",
    ],
)
def test_a_copy_of_hoops_with_one_bad_import_breaks_the_contract_that_names_it(
    tmp_path, module, line, broken
):
    """The contracts run on a copy of the package with one import added, so they are seen to bite."""
    plugins = tmp_path / "plugins"
    shutil.copytree(
        ROOT / "plugins" / "hoops", plugins / "hoops", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = plugins / module
    target.write_text((target.read_text() if target.exists() else "") + line)
    done = lint_imports(tmp_path, plugins, ROOT)
    if broken is None:
        assert done.returncode == 0, done.stdout + done.stderr
        return
    assert done.returncode == 1, done.stdout + done.stderr
    report = " ".join(done.stdout.split())  # the report wraps long contract names
    assert f"{broken}" in report and "BROKEN" in report


def _hoops_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "hoops"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "hoops":
            found |= {_module_of(node.module, a.name) for a in node.names}
    return found


def _module_of(package: str, name: str) -> str:
    """`from hoops.cbbd import pipeline` imports the module hoops.cbbd.pipeline; `from hoops.lake import
    LakeError` imports from hoops.lake."""
    path = ROOT / "plugins" / Path(*package.split("."), name)
    return f"{package}.{name}" if path.with_suffix(".py").exists() or path.is_dir() else package


@pytest.mark.parametrize("dag_file", sorted(p.name for p in (ROOT / "dags").glob("*.py")))
def test_dag_files_import_only_task_level_modules(dag_file):
    imported = _hoops_imports(ROOT / "dags" / dag_file)
    assert imported, f"{dag_file} uses nothing from hoops: is it a DAG file?"
    assert imported <= DAG_IMPORTS, f"{dag_file} reaches past the task code: {sorted(imported - DAG_IMPORTS)}"


def test_the_dag_import_check_sees_a_reach_into_the_engine(tmp_path):
    dag = tmp_path / "bad_dag.py"
    dag.write_text("from hoops.cbbd.engine import Fetcher\nfrom hoops import settings\n")
    assert _hoops_imports(dag) - DAG_IMPORTS == {"hoops.cbbd.engine"}
