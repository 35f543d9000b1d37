"""A deployment names its warehouse and lake; nothing is guessed, and a failing lookup is reported."""

from __future__ import annotations

import pytest

from hoops import settings, warehouse
from hoops.lake import LakeError, open_lake


class RefusingSecrets:
    """A secrets backend that refuses every lookup, as a misconfigured Vault or Secrets Manager does."""

    def get_connection(self, conn_id):
        from airflow.sdk.exceptions import AirflowSecretsBackendAccessDenied

        raise AirflowSecretsBackendAccessDenied(f"role hoops-worker may not read {conn_id}")

    def _set_connection_class(self, cls):
        pass

    def get_variable(self, key):
        return None

    def get_config(self, key):
        return None


@pytest.fixture
def refusing_secrets(monkeypatch):
    """Airflow's own secrets lookup, configured with `RefusingSecrets` (real resolution, real error)."""
    from airflow.sdk.configuration import clear_secrets_backends_cache

    path = f"{__name__}.RefusingSecrets"
    monkeypatch.setenv("AIRFLOW__SECRETS__BACKEND", path)
    monkeypatch.setenv("AIRFLOW__WORKERS__SECRETS_BACKEND", path)
    clear_secrets_backends_cache()
    yield
    monkeypatch.delenv("AIRFLOW__SECRETS__BACKEND")
    monkeypatch.delenv("AIRFLOW__WORKERS__SECRETS_BACKEND")
    clear_secrets_backends_cache()


@pytest.fixture
def unconfigured(monkeypatch):
    for name in ("HOOPS_POSTGRES_DSN", "HOOPS_LAKE_URI", "AIRFLOW_CONN_HOOPS_POSTGRES"):
        monkeypatch.delenv(name, raising=False)


def test_no_lake_configured_names_the_variable(unconfigured):
    with pytest.raises(LakeError, match="no lake configured: set HOOPS_LAKE_URI"):
        open_lake()


def test_no_warehouse_configured_names_the_connection_and_the_variable(unconfigured):
    with pytest.raises(warehouse.WarehouseError) as info:
        warehouse.dsn()
    assert "'hoops_postgres'" in str(info.value) and "HOOPS_POSTGRES_DSN" in str(info.value)


def test_a_refused_connection_lookup_is_reported_and_chained_not_taken_for_absent(
    unconfigured, refusing_secrets
):
    with pytest.raises(warehouse.WarehouseError) as info:
        warehouse.dsn()
    assert "looking up the Airflow connection 'hoops_postgres' failed" in str(info.value)
    assert "AirflowSecretsBackendAccessDenied" in str(info.value)
    assert "hoops-worker may not read hoops_postgres" in str(info.value.__cause__)
    with pytest.raises(settings.ConfigError, match="'cbbd_default' failed") as key_info:
        settings.cbbd_api_key()
    assert key_info.value.__cause__ is not None


def test_the_environment_wins_over_the_connection(monkeypatch):
    monkeypatch.setenv("HOOPS_POSTGRES_DSN", "host=env.example dbname=wh")
    monkeypatch.setenv("AIRFLOW_CONN_HOOPS_POSTGRES", "postgresql://bob:pw@conn.example:5433/wh")
    assert warehouse.dsn() == "host=env.example dbname=wh"


@pytest.fixture
def aws_connection(monkeypatch):
    """Credentials and region only in the Airflow connection aws_default, none in the environment."""
    import json
    from urllib.parse import quote

    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(var, raising=False)
    extra = quote(json.dumps({"region_name": "eu-west-3"}))
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", f"aws://conn-key-id:conn-secret@/?__extra__={extra}")


def test_s3_and_dynamodb_take_their_credentials_from_the_aws_connection(aws_connection):
    """As Glue and Athena do: the provider's hooks with aws_conn_id, so a worker's connection applies."""
    from moto import mock_aws

    from hoops.cbbd.checkpoints import Checkpoint, DynamoCheckpoints, ensure_table

    with mock_aws():
        lake = open_lake("s3://hoops-edge/prefix")
        store = DynamoCheckpoints(table_name="cbbd_checkpoints")
        for client in (lake.client, store.client):
            assert client.meta.region_name == "eu-west-3"
            assert client._request_signer._credentials.access_key == "conn-key-id"
        lake.client.create_bucket(
            Bucket="hoops-edge", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
        )
        lake.put("x/y.txt", b"abc")
        assert lake.get("x/y.txt") == b"abc"
        ensure_table(store.client)
        stored = store.put(Checkpoint("games", "a1b2", {"season": 2024}, 2024, final=True), None)
        assert store.get("games", "a1b2") == stored and store.done_keys() == {("games", "a1b2")}
