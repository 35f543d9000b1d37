# CBBD checkpoints (hoops.cbbd.checkpoints.DynamoCheckpoints): partition key pk = endpoint, sort key
# sk = param_hash, both strings, so one endpoint's checkpoints are a single Query. The other attributes
# (params, season, status, final, rows, raw_key, calls, updated_at, version) are schemaless.

resource "aws_dynamodb_table" "checkpoints" {
  name                        = var.checkpoint_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.checkpoint_table_deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true # KMS, AWS-managed key aws/dynamodb
  }
}
