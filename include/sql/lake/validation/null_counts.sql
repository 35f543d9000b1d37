-- Rows and non-null values per column and season, for row-count and null-rate checks against
-- neighbouring seasons. {counts} is `, count("col") AS "col"` for each of the table's own columns (empty
-- for a row count alone). Portable SQL: runs in DuckDB locally and in Athena (Trino).
SELECT {season} AS season, count(*) AS row_count{counts}
FROM {relation}
GROUP BY 1
ORDER BY 1
