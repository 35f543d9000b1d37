# Shared names and ARNs. The lake bucket is an input: there is deliberately no aws_s3_bucket here.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id

  lake_uri = "s3://${var.bucket_name}"

  # layer => Glue database name (also the crawler name), e.g. silver => hoops_silver
  databases = { for layer in var.catalog_layers : layer => "${var.name_prefix}_${layer}" }

  # Every ARN the lake policy may name (iam.tf); tests/unit/test_terraform.py checks each one.
  lake_bucket_arn  = "arn:${local.partition}:s3:::${var.bucket_name}"
  lake_objects_arn = "arn:${local.partition}:s3:::${var.bucket_name}/*"
  glue_catalog_arn = "arn:${local.partition}:glue:${var.region}:${local.account_id}:catalog"
  glue_database_arns = [
    for name in values(local.databases) : "arn:${local.partition}:glue:${var.region}:${local.account_id}:database/${name}"
  ]
  glue_table_arns = [
    for name in values(local.databases) : "arn:${local.partition}:glue:${var.region}:${local.account_id}:table/${name}/*"
  ]
  glue_crawler_arns = [
    for name in values(local.databases) : "arn:${local.partition}:glue:${var.region}:${local.account_id}:crawler/${name}"
  ]
  glue_catalog_resource_arns = concat([local.glue_catalog_arn], local.glue_database_arns, local.glue_table_arns)

  crawler_log_group_arn  = "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/aws-glue/crawlers*"
  crawler_log_stream_arn = "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/aws-glue/crawlers*:log-stream:*"
}
