resource "aws_athena_workgroup" "hoops" {
  name          = var.athena_workgroup_name
  description   = "hoops lake queries; results under s3://${var.bucket_name}/athena/"
  state         = "ENABLED"
  force_destroy = false

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.athena_bytes_scanned_cutoff

    result_configuration {
      output_location = "s3://${var.bucket_name}/athena/"

      encryption_configuration {
        encryption_option = "SSE_S3"
      }
    }
  }
}
