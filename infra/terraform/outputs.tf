output "lake_uri" {
  description = "HOOPS_LAKE_URI for the Airflow workers."
  value       = local.lake_uri
}

output "checkpoint_table_name" {
  description = "CBBD_CHECKPOINT_TABLE for the Airflow workers (with HOOPS_CHECKPOINTS=dynamodb)."
  value       = aws_dynamodb_table.checkpoints.name
}

output "checkpoint_table_arn" {
  description = "ARN of the checkpoint table."
  value       = aws_dynamodb_table.checkpoints.arn
}

output "glue_database_prefix" {
  description = "HOOPS_GLUE_DATABASE_PREFIX: databases are <prefix>_<layer>."
  value       = var.name_prefix
}

output "glue_database_names" {
  description = "Glue database per lake layer (layer => database)."
  value       = { for layer, db in aws_glue_catalog_database.layer : layer => db.name }
}

output "glue_crawler_names" {
  description = "Glue crawler per lake layer (layer => crawler); the DAGs start them after writing a layer."
  value       = { for layer, crawler in aws_glue_crawler.layer : layer => crawler.name }
}

output "athena_workgroup_name" {
  description = "HOOPS_ATHENA_WORKGROUP for the Airflow workers."
  value       = aws_athena_workgroup.hoops.name
}

output "athena_output_location" {
  description = "Where the workgroup writes query results (enforced)."
  value       = aws_athena_workgroup.hoops.configuration[0].result_configuration[0].output_location
}

output "role_arn" {
  description = "IAM role of the Airflow workers and the Glue crawlers."
  value       = aws_iam_role.lake_worker.arn
}

output "policy_arn" {
  description = "The least-privilege lake policy; attach it to an existing worker role instead of assuming role_arn if you prefer."
  value       = aws_iam_policy.lake_worker.arn
}

output "policy_json" {
  description = "The lake policy document, for review."
  value       = data.aws_iam_policy_document.lake_worker.json
}

output "airflow_env" {
  description = "Environment variables that point the Airflow workers at these resources."
  value = {
    HOOPS_LAKE_URI             = local.lake_uri
    HOOPS_CHECKPOINTS          = "dynamodb"
    CBBD_CHECKPOINT_TABLE      = aws_dynamodb_table.checkpoints.name
    HOOPS_CATALOG              = "glue"
    HOOPS_GLUE_DATABASE_PREFIX = var.name_prefix
    HOOPS_ATHENA_WORKGROUP     = aws_athena_workgroup.hoops.name
    AWS_REGION                 = var.region
  }
}
