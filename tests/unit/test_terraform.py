"""infra/terraform read as HCL (python-hcl2, no terraform binary, no AWS): the AWS path's resources exist with
the names and settings the code expects, and the lake policy stays least-privilege.

The policy check resolves every statement's resources through the `locals` they name (concat, for
expressions over the Glue databases) down to ARN templates, then requires each template to be one of the
hoops ARNs and to belong to the same service as every action of the statement.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from hoops import aws_catalog
from hoops.cbbd import checkpoints

TF_DIR = Path(__file__).resolve().parents[2] / "infra" / "terraform"
EXPECTED_FILES = {"versions.tf", "variables.tf", "main.tf", "dynamodb.tf", "glue.tf", "athena.tf", "iam.tf",
                  "outputs.tf"}  # fmt: skip
LAYERS = set(aws_catalog.CRAWLED_LAYERS)  # the crawlers the DAGs start

_OPTIONS = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)


_ARN = "arn:${local.partition}"
_GLUE = f"{_ARN}:glue:${{var.region}}:${{local.account_id}}"
_LOGS = f"{_ARN}:logs:${{var.region}}:${{local.account_id}}:log-group:/aws-glue/crawlers*"
DB = "<database>"  # stands for each name of local.databases
# Every ARN template the lake policy may grant on, and the service it belongs to.
ALLOWED_RESOURCES = {
    f"{_ARN}:s3:::${{var.bucket_name}}": "s3-bucket",
    f"{_ARN}:s3:::${{var.bucket_name}}/*": "s3-object",
    "${aws_dynamodb_table.checkpoints.arn}": "dynamodb",
    f"{_GLUE}:catalog": "glue",
    f"{_GLUE}:database/{DB}": "glue",
    f"{_GLUE}:table/{DB}/*": "glue",
    f"{_GLUE}:crawler/{DB}": "glue",
    "${aws_athena_workgroup.hoops.arn}": "athena",
    _LOGS: "logs",
    f"{_LOGS}:log-stream:*": "logs",
}
S3_BUCKET_ACTIONS = {"s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"}


# --- reading the HCL -----------------------------------------------------------------------------------


def _load(path: Path) -> dict[str, Any]:
    return hcl2.loads(path.read_text(), serialization_options=_OPTIONS)


@pytest.fixture(scope="module")
def parsed() -> dict[str, dict[str, Any]]:
    return {p.name: _load(p) for p in sorted(TF_DIR.glob("*.tf"))}


def _blocks(parsed: dict[str, dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [block for doc in parsed.values() for block in doc.get(kind, [])]


def _typed(parsed: dict[str, dict[str, Any]], kind: str) -> dict[tuple[str, str], dict[str, Any]]:
    """`resource`/`data` blocks by (type, name); a duplicate would be a Terraform error too."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for block in _blocks(parsed, kind):
        for rtype, named in block.items():
            for name, body in named.items():
                assert (rtype, name) not in found, f"{kind} {rtype}.{name} defined twice"
                found[(rtype, name)] = body
    return found


def _named(parsed: dict[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """`variable`/`output` blocks by name."""
    return {name: body for block in _blocks(parsed, kind) for name, body in block.items()}


def _locals(parsed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for block in _blocks(parsed, "locals"):
        for name, value in block.items():
            assert name not in out, f"local.{name} defined twice"
            out[name] = value
    return out


def _one(blocks: Any) -> dict[str, Any]:
    assert isinstance(blocks, list) and len(blocks) == 1, f"expected exactly one block, got {blocks!r}"
    return blocks[0]


def _statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return list(doc.get("statement", []))


# --- resolving the policy's resources --------------------------------------------------------------------

_WHOLE_REF = re.compile(r"^\$\{([A-Za-z_][\w.\[\]\"-]*)\}$")
_FOR_DATABASES = re.compile(r'^\$\{\[for (\w+) in values\(local\.databases\) : "([^"]*)"\]\}$')
_CONCAT = re.compile(r"^\$\{concat\((.*)\)\}$", re.S)


def _split_args(text: str) -> list[str]:
    """Top-level comma split of a function's arguments."""
    args, depth, current = [], 0, ""
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            args.append(current.strip())
            current = ""
        else:
            current += char
    return [*args, current.strip()] if current.strip() else args


def _resolve(value: Any, local_values: dict[str, Any], depth: int = 0) -> list[str]:
    """ARN templates a `resources` value stands for; fails on any expression it does not understand."""
    assert depth < 10, f"resources nest too deep: {value!r}"
    if isinstance(value, list):
        return [arn for item in value for arn in _resolve(item, local_values, depth + 1)]
    assert isinstance(value, str), f"unexpected resources value {value!r}"
    value = value.strip()
    if m := _FOR_DATABASES.match(value):
        var, template = m.groups()
        return [template.replace(f"${{{var}}}", DB)]
    if m := _CONCAT.match(value):
        out = []
        for arg in _split_args(m.group(1)):
            if arg.startswith("[") and arg.endswith("]"):
                for item in _split_args(arg[1:-1]):
                    out += _resolve(f"${{{item}}}", local_values, depth + 1)
            else:
                out += _resolve(f"${{{arg}}}", local_values, depth + 1)
        return out
    if (m := _WHOLE_REF.match(value)) and m.group(1).startswith("local."):
        name = m.group(1).removeprefix("local.")
        assert name in local_values, f"resources name an undefined local.{name}"
        return _resolve(local_values[name], local_values, depth + 1)
    return [value]  # a literal or a resource attribute: checked against ALLOWED_RESOURCES


def _service(action: str) -> str:
    prefix = action.split(":", 1)[0]
    if prefix == "s3":
        return "s3-bucket" if action in S3_BUCKET_ACTIONS else "s3-object"
    return prefix


def _check_statement(stmt: dict[str, Any], local_values: dict[str, Any]) -> list[str]:
    """Everything wrong with one policy statement (empty when it is least-privilege)."""
    sid = stmt.get("sid", "<no sid>")
    problems = []
    if stmt.get("effect", "Allow") != "Allow":
        return problems  # a Deny can only narrow
    for key in ("not_actions", "not_resources", "not_principals"):
        if key in stmt:
            problems.append(f"{sid}: {key} grants everything else")
    actions = stmt.get("actions")
    if not isinstance(actions, list) or not actions:
        return [*problems, f"{sid}: actions must be a literal list, got {actions!r}"]
    for action in actions:
        if not re.fullmatch(r"[a-z0-9-]+:[A-Za-z]+", action):
            problems.append(f"{sid}: action {action!r} is a wildcard or not a literal service:Action")
    resources = _resolve(stmt.get("resources", []), local_values)
    if not resources:
        problems.append(f"{sid}: no resources")
    if "*" in resources:
        return [*problems, f"{sid}: Resource '*' for {sorted(actions)}"]
    for arn in resources:
        service = ALLOWED_RESOURCES.get(arn)
        if service is None:
            problems.append(f"{sid}: resource {arn!r} is not one of the hoops ARNs")
            continue
        for action in actions:
            if _service(action) != service:
                problems.append(f"{sid}: {action} granted on {arn} ({service})")
    return problems


# --- files and versions ------------------------------------------------------------------------------------


def test_every_file_parses(parsed):
    assert set(parsed) >= EXPECTED_FILES
    assert all(parsed.values())
    assert (TF_DIR / "README.md").is_file()


def test_versions_pinned(parsed):
    terraform = _one(_blocks(parsed, "terraform"))
    assert terraform["required_version"] == ">= 1.6"
    aws = _one(terraform["required_providers"])["aws"]
    assert aws["source"] == "hashicorp/aws"
    assert re.fullmatch(r"~> 5\.\d+(\.\d+)?", aws["version"]), aws["version"]


def test_variables_documented(parsed):
    variables = _named(parsed, "variable")
    assert set(variables) >= {
        "bucket_name", "region", "name_prefix", "checkpoint_table_name", "athena_workgroup_name",
        "worker_principal_arns", "tags",
    }  # fmt: skip
    for name, body in variables.items():
        assert body.get("description", "").strip(), f"variable {name} has no description"
        assert "type" in body, f"variable {name} has no type"
    assert variables["bucket_name"]["default"] == "hoops-edge"
    assert variables["checkpoint_table_name"]["default"] == checkpoints.DEFAULT_TABLE
    assert variables["athena_workgroup_name"]["default"] == "hoops"
    assert variables["name_prefix"]["default"] == "hoops"
    assert variables["checkpoint_table_deletion_protection"]["default"] is True
    assert set(variables["catalog_layers"]["default"]) == LAYERS


def test_outputs_exist(parsed):
    outputs = _named(parsed, "output")
    assert set(outputs) >= {
        "checkpoint_table_name", "checkpoint_table_arn", "glue_database_names", "glue_crawler_names",
        "athena_workgroup_name", "role_arn", "policy_json", "lake_uri", "airflow_env",
    }  # fmt: skip
    for name, body in outputs.items():
        assert body.get("description", "").strip(), f"output {name} has no description"
    assert outputs["policy_json"]["value"] == "${data.aws_iam_policy_document.lake_worker.json}"
    env = outputs["airflow_env"]["value"]
    assert env["HOOPS_CHECKPOINTS"] == "dynamodb"
    assert env["HOOPS_CATALOG"] == "glue"
    assert set(env) >= {"HOOPS_LAKE_URI", "CBBD_CHECKPOINT_TABLE", "HOOPS_GLUE_DATABASE_PREFIX",
                        "HOOPS_ATHENA_WORKGROUP"}  # fmt: skip


# --- the bucket is an input ----------------------------------------------------------------------------


def test_bucket_is_an_input_never_a_resource(parsed):
    resources = _typed(parsed, "resource")
    s3 = sorted(f"{t}.{n}" for t, n in resources if t.startswith("aws_s3_"))
    assert not s3, f"Terraform must not create or change the lake bucket: {s3}"
    assert _locals(parsed)["lake_uri"] == "s3://${var.bucket_name}"


# --- DynamoDB --------------------------------------------------------------------------------------------


class _FakeDynamo:
    """Just enough of a DynamoDB client to record the table `ensure_table` would create."""

    class exceptions:  # mirrors boto3's client.exceptions
        class ResourceNotFoundException(Exception):
            pass

    def __init__(self):
        self.created: dict[str, Any] = {}

    def describe_table(self, **_):
        raise self.exceptions.ResourceNotFoundException

    def create_table(self, **kwargs):
        self.created = kwargs

    def get_waiter(self, _name):
        return type("Waiter", (), {"wait": lambda *a, **k: None})()


def test_checkpoint_table_matches_dynamo_checkpoints(parsed):
    table = _typed(parsed, "resource")[("aws_dynamodb_table", "checkpoints")]
    fake = _FakeDynamo()
    checkpoints.ensure_table(fake)  # the code's own definition of the table
    keys = {k["KeyType"]: k["AttributeName"] for k in fake.created["KeySchema"]}
    assert table["name"] == "${var.checkpoint_table_name}"
    assert table["hash_key"] == keys["HASH"] == "pk"
    assert table.get("range_key") == keys.get("RANGE") == "sk"
    assert set(checkpoints._key("endpoint", "hash")) == {table["hash_key"], table["range_key"]}
    attributes = {a["name"]: a["type"] for a in table["attribute"]}
    defined = fake.created["AttributeDefinitions"]
    assert attributes == {a["AttributeName"]: a["AttributeType"] for a in defined}
    assert table["billing_mode"] == fake.created["BillingMode"] == "PAY_PER_REQUEST"
    assert _one(table["point_in_time_recovery"])["enabled"] is True
    assert _one(table["server_side_encryption"])["enabled"] is True
    assert table["deletion_protection_enabled"] == "${var.checkpoint_table_deletion_protection}"


# --- Glue -------------------------------------------------------------------------------------------------


def test_glue_database_and_crawler_per_layer(parsed):
    resources = _typed(parsed, "resource")
    local_values = _locals(parsed)
    assert local_values["databases"] == (
        '${{for layer in var.catalog_layers : layer => "${var.name_prefix}_${layer}"}}'
    )
    database = resources[("aws_glue_catalog_database", "layer")]
    crawler = resources[("aws_glue_crawler", "layer")]
    assert database["for_each"] == crawler["for_each"] == "${local.databases}"
    assert database["name"] == crawler["name"] == "${each.value}"
    assert crawler["database_name"] == "${aws_glue_catalog_database.layer[each.key].name}"
    assert crawler["role"] == "${aws_iam_role.lake_worker.arn}"
    assert _one(crawler["s3_target"])["path"] == "s3://${var.bucket_name}/${each.key}/"
    assert "schedule" not in crawler  # the DAGs start the crawlers


def test_crawlers_only_add_new_folders_with_the_table_schema(parsed):
    crawler = _typed(parsed, "resource")[("aws_glue_crawler", "layer")]
    assert _one(crawler["recrawl_policy"])["recrawl_behavior"] == "CRAWL_NEW_FOLDERS_ONLY"
    # AWS rejects CRAWL_NEW_FOLDERS_ONLY unless both behaviours are LOG
    assert _one(crawler["schema_change_policy"]) == {"update_behavior": "LOG", "delete_behavior": "LOG"}
    assert crawler["configuration"] == "${jsonencode(local.crawler_configuration)}"
    config = _locals(parsed)["crawler_configuration"]
    assert config["Version"] == 1.0
    assert config["CrawlerOutput"]["Partitions"] == {"AddOrUpdateBehavior": "InheritFromTable"}
    assert config["Grouping"]["TableGroupingPolicy"] == "CombineCompatibleSchemas"
    assert config["Grouping"]["TableLevelConfiguration"] == 2  # <layer>/<table>/ is a table


# --- Athena -----------------------------------------------------------------------------------------------


def test_athena_workgroup_results_under_athena_prefix(parsed):
    workgroup = _typed(parsed, "resource")[("aws_athena_workgroup", "hoops")]
    assert workgroup["name"] == "${var.athena_workgroup_name}"
    config = _one(workgroup["configuration"])
    assert config["enforce_workgroup_configuration"] is True
    assert _one(config["result_configuration"])["output_location"] == "s3://${var.bucket_name}/athena/"


# --- IAM ----------------------------------------------------------------------------------------------------


def test_lake_role_trusts_glue_and_the_workers(parsed):
    data = _typed(parsed, "data")
    role = _typed(parsed, "resource")[("aws_iam_role", "lake_worker")]
    assert role["assume_role_policy"] == "${data.aws_iam_policy_document.lake_worker_trust.json}"
    trust = data[("aws_iam_policy_document", "lake_worker_trust")]
    text = repr(trust)
    assert "glue.amazonaws.com" in text
    assert "var.worker_principal_arns" in text
    for stmt in _statements(trust):
        assert stmt["actions"] == ["sts:AssumeRole"]
    attachment = _typed(parsed, "resource")[("aws_iam_role_policy_attachment", "lake_worker")]
    assert attachment["role"] == "${aws_iam_role.lake_worker.name}"
    policy = _typed(parsed, "resource")[("aws_iam_policy", "lake_worker")]
    assert policy["policy"] == "${data.aws_iam_policy_document.lake_worker.json}"


def test_lake_policy_is_least_privilege(parsed):
    doc = _typed(parsed, "data")[("aws_iam_policy_document", "lake_worker")]
    assert "dynamic" not in doc and "source_policy_documents" not in doc  # nothing unchecked merged in
    assert "override_policy_documents" not in doc
    local_values = _locals(parsed)
    problems = [p for stmt in _statements(doc) for p in _check_statement(stmt, local_values)]
    assert not problems, "\n".join(problems)


def test_lake_policy_grants_what_the_pipeline_needs(parsed):
    doc = _typed(parsed, "data")[("aws_iam_policy_document", "lake_worker")]
    granted = {a for stmt in _statements(doc) for a in stmt["actions"]}
    needed = {
        "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetBucketLocation",
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:Scan",
        "dynamodb:BatchGetItem", "dynamodb:DescribeTable",
        "glue:GetDatabase", "glue:GetTable", "glue:CreateTable", "glue:UpdateTable", "glue:GetPartitions",
        "glue:BatchCreatePartition", "glue:StartCrawler", "glue:GetCrawler",
        "athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
        "athena:GetWorkGroup", "logs:CreateLogStream", "logs:PutLogEvents",
    }  # fmt: skip
    assert needed <= granted, sorted(needed - granted)
    resources = {arn for stmt in _statements(doc) for arn in _resolve(stmt["resources"], _locals(parsed))}
    assert resources == set(ALLOWED_RESOURCES)  # every hoops ARN is used, nothing else, never "*"


def _stmt(actions: list[str], resources: Any, **extra: Any) -> dict[str, Any]:
    return {"sid": "X", "actions": actions, "resources": resources, **extra}


OBJECTS = ["${local.lake_objects_arn}"]


@pytest.mark.parametrize(
    ("stmt", "fragment"),
    [
        (_stmt(["s3:*"], OBJECTS), "wildcard"),
        (_stmt(["*"], OBJECTS), "wildcard"),
        (_stmt(["dynamodb:Get*"], ["${aws_dynamodb_table.checkpoints.arn}"]), "wildcard"),
        (_stmt(["s3:GetObject"], ["*"]), "Resource '*'"),
        (_stmt(["glue:GetCrawlerMetrics"], ["*"]), "Resource '*'"),
        (_stmt(["s3:GetObject"], ["arn:aws:s3:::other-bucket/*"]), "not one of"),
        (_stmt(["s3:GetObject"], ["${local.lake_bucket_arn}"]), "granted on"),
        (_stmt(["s3:ListBucket"], OBJECTS), "granted on"),
        (_stmt(["dynamodb:GetItem"], OBJECTS), "granted on"),
        (_stmt(["glue:GetTable"], "${local.everything}"), "not one of"),
        (_stmt(["s3:GetObject"], OBJECTS, not_actions=["iam:*"]), "not_actions"),
    ],
)
def test_policy_checker_catches_broad_grants(parsed, stmt, fragment):
    local_values = {**_locals(parsed), "everything": ["arn:aws:glue:*:*:*"]}
    problems = _check_statement(stmt, local_values)
    assert any(fragment in p for p in problems), problems
