# One Glue database and one crawler per Parquet layer of the lake: crawler <prefix>_<layer> reads
# s3://<bucket>/<layer>/ into database <prefix>_<layer>, one table per folder under the layer
# (silver/fct_games/season=2024/... becomes table hoops_silver.fct_games, partitioned by season; the
# files leave `season` out, so the table has it once).

locals {
  crawler_configuration = {
    Version = 1.0
    Grouping = {
      # Level 1 is the layer folder, so level 2 (<layer>/<table>/) is where tables start.
      TableLevelConfiguration = 2
      TableGroupingPolicy     = "CombineCompatibleSchemas"
    }
    CrawlerOutput = {
      # New partitions take the table's schema instead of getting one of their own.
      Partitions = { AddOrUpdateBehavior = "InheritFromTable" }
    }
  }

  # ref/team_mapping/ keeps the JSON source next to its Parquet: only Parquet makes tables.
  crawler_exclusions = ["**.json"]
}

resource "aws_glue_catalog_database" "layer" {
  for_each = local.databases

  name         = each.value
  description  = "hoops lake, ${each.key} layer: tables crawled from s3://${var.bucket_name}/${each.key}/"
  location_uri = "s3://${var.bucket_name}/${each.key}/"
}

resource "aws_glue_crawler" "layer" {
  for_each = local.databases

  name          = each.value
  description   = "Adds new tables and partitions under s3://${var.bucket_name}/${each.key}/ to ${each.value}; run by the Airflow DAGs, no schedule."
  database_name = aws_glue_catalog_database.layer[each.key].name
  role          = aws_iam_role.lake_worker.arn
  configuration = jsonencode(local.crawler_configuration)

  s3_target {
    path       = "s3://${var.bucket_name}/${each.key}/"
    exclusions = local.crawler_exclusions
  }

  # Only folders added since the last crawl are read: cheap incremental runs. AWS requires LOG/LOG
  # with this recrawl behaviour, so a column added to an existing table needs a one-off full crawl.
  recrawl_policy {
    recrawl_behavior = "CRAWL_NEW_FOLDERS_ONLY"
  }

  schema_change_policy {
    update_behavior = "LOG"
    delete_behavior = "LOG"
  }

  # The crawler's first run needs the role's permissions in place.
  depends_on = [aws_iam_role_policy_attachment.lake_worker]
}
