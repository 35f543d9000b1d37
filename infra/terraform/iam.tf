# One role for the Airflow workers and the Glue crawlers, with one least-privilege policy.
#
# Every statement names the lake bucket, the checkpoint table, the hoops Glue databases/tables/crawlers,
# the hoops Athena workgroup or the crawler log groups; no statement has Resource "*". (The DAGs wait for
# crawls with GlueCrawlerSensor, which needs only GetCrawler: the operator's own wait would also call
# glue:GetCrawlerMetrics, grantable only on "*".) tests/unit/test_terraform.py enforces all this.

data "aws_iam_policy_document" "lake_worker_trust" {
  statement {
    sid     = "GlueAndWorkerServices"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = concat(["glue.amazonaws.com"], var.worker_service_principals)
    }
  }

  dynamic "statement" {
    for_each = length(var.worker_principal_arns) > 0 ? [var.worker_principal_arns] : []

    content {
      sid     = "AirflowWorkers"
      effect  = "Allow"
      actions = ["sts:AssumeRole"]

      principals {
        type        = "AWS"
        identifiers = statement.value
      }
    }
  }
}

data "aws_iam_policy_document" "lake_worker" {
  statement {
    sid    = "LakeBucket"
    effect = "Allow"
    actions = [
      "s3:ListBucket",
      "s3:GetBucketLocation",
      "s3:ListBucketMultipartUploads", # Athena result writes
    ]
    resources = [local.lake_bucket_arn]
  }

  statement {
    sid    = "LakeObjects"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",     # large Parquet uploads, Athena results
      "s3:ListMultipartUploadParts", # Athena result writes
    ]
    resources = [local.lake_objects_arn]
  }

  statement {
    sid    = "CheckpointTable"
    effect = "Allow"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:Query",
      "dynamodb:Scan",
      "dynamodb:BatchGetItem",
      "dynamodb:DescribeTable",
    ]
    resources = [aws_dynamodb_table.checkpoints.arn]
  }

  # What the crawlers write and what Athena reads. Databases are Terraform's: no Create/DeleteDatabase.
  # With delete_behavior = "LOG" the crawlers never delete tables or partitions either.
  statement {
    sid    = "GlueCatalog"
    effect = "Allow"
    actions = [
      "glue:GetDatabase",
      "glue:GetDatabases",
      "glue:GetTable",
      "glue:GetTables",
      "glue:CreateTable",
      "glue:UpdateTable",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:CreatePartition",
      "glue:UpdatePartition",
      "glue:BatchCreatePartition",
      "glue:BatchGetPartition",
      "glue:BatchUpdatePartition",
    ]
    resources = local.glue_catalog_resource_arns
  }

  statement {
    sid    = "GlueCrawlers"
    effect = "Allow"
    actions = [
      "glue:StartCrawler",
      "glue:GetCrawler",
    ]
    resources = local.glue_crawler_arns
  }

  statement {
    sid    = "AthenaWorkgroup"
    effect = "Allow"
    actions = [
      "athena:StartQueryExecution",
      "athena:GetQueryExecution",
      "athena:GetQueryResults",
      "athena:StopQueryExecution",
      "athena:GetWorkGroup",
    ]
    resources = [aws_athena_workgroup.hoops.arn]
  }

  statement {
    sid    = "CrawlerLogs"
    effect = "Allow"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = [local.crawler_log_group_arn, local.crawler_log_stream_arn]
  }
}

resource "aws_iam_role" "lake_worker" {
  name               = "${var.name_prefix}-lake-worker"
  description        = "hoops Airflow workers and Glue crawlers: the lake bucket, checkpoints, Glue catalog, Athena."
  assume_role_policy = data.aws_iam_policy_document.lake_worker_trust.json
}

resource "aws_iam_policy" "lake_worker" {
  name        = "${var.name_prefix}-lake-worker"
  description = "Least privilege for the hoops lake (s3://${var.bucket_name}), checkpoints, Glue and Athena."
  policy      = data.aws_iam_policy_document.lake_worker.json
}

resource "aws_iam_role_policy_attachment" "lake_worker" {
  role       = aws_iam_role.lake_worker.name
  policy_arn = aws_iam_policy.lake_worker.arn
}
