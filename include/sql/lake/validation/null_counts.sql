-- Rows and non-null values per column and season, for null-rate checks against neighbouring seasons.
-- {relation} and {counts} are filled from the table's own column list.
SELECT {season} AS season, count(*) AS rows, {counts}
FROM {relation}
GROUP BY ALL
