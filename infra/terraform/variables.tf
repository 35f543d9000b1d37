variable "bucket_name" {
  description = "Name of the EXISTING S3 bucket that holds the lake (raw/ bronze/ silver/ gold/ ref/ meta/ deadletter/ tmp/ athena/). Terraform never creates, changes or deletes it."
  type        = string
  default     = "hoops-edge"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a bare S3 bucket name (no s3:// and no prefix)."
  }
}

variable "region" {
  description = "AWS region of the lake bucket; everything here is created in it."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every name created here: Glue databases and crawlers are <name_prefix>_<layer>, the IAM role and policy <name_prefix>-lake-worker. Becomes HOOPS_GLUE_DATABASE_PREFIX."
  type        = string
  default     = "hoops"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,40}$", var.name_prefix))
    error_message = "name_prefix must be lowercase letters, digits and underscores (Glue and Athena names), starting with a letter."
  }
}

variable "catalog_layers" {
  description = "Lake layers that get a Glue database and a crawler (the DAGs start hoops_silver, hoops_gold, hoops_ref). Bronze is not crawled: its files keep the API's own season field beside the season= folder, which Athena refuses as a duplicate column. raw/, meta/, deadletter/, tmp/ and athena/ are never crawled."
  type        = list(string)
  default     = ["silver", "gold", "ref"]

  validation {
    condition     = length(var.catalog_layers) > 0 && alltrue([for layer in var.catalog_layers : contains(["silver", "gold", "ref"], layer)])
    error_message = "catalog_layers may only hold silver, gold and ref (the Parquet layers whose files leave the partition column to the folder)."
  }
}

variable "checkpoint_table_name" {
  description = "DynamoDB table of CBBD request checkpoints (CBBD_CHECKPOINT_TABLE); the key schema matches hoops.cbbd.checkpoints.DynamoCheckpoints."
  type        = string
  default     = "cbbd_checkpoints"
}

variable "checkpoint_table_deletion_protection" {
  description = "DynamoDB deletion protection on the checkpoint table: losing it means re-spending the CBBD call quota, so keep it on outside throwaway accounts."
  type        = bool
  default     = true
}

variable "athena_workgroup_name" {
  description = "Athena workgroup (HOOPS_ATHENA_WORKGROUP); its results go to s3://<bucket_name>/athena/ and its settings are enforced on every query."
  type        = string
  default     = "hoops"
}

variable "athena_bytes_scanned_cutoff" {
  description = "Per-query scan limit of the Athena workgroup, in bytes (minimum 10 MB); a runaway query is cancelled instead of billed."
  type        = number
  default     = 10737418240 # 10 GiB
}

variable "worker_principal_arns" {
  description = "Extra IAM principal ARNs (e.g. the Airflow worker role or an account root) allowed to assume the lake role; glue.amazonaws.com can always assume it."
  type        = list(string)
  default     = []
}

variable "worker_service_principals" {
  description = "Extra AWS service principals allowed to assume the lake role, e.g. [\"airflow.amazonaws.com\", \"airflow-env.amazonaws.com\"] for MWAA or [\"ec2.amazonaws.com\"] for EC2 workers."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags applied to every resource created here (provider default_tags)."
  type        = map(string)
  default = {
    project    = "hoops"
    managed_by = "terraform"
  }
}
