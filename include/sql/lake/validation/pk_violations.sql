-- Primary-key violations in one table, per season: keys that occur more than once, and rows whose key
-- has a NULL part. {relation}, {season}, {key}, {key_null} and {groups} (the ordinals 1..n of season and
-- key) are filled from the table declarations, never from user input. Portable SQL: the same text runs in
-- DuckDB locally and in Athena (Trino) over the Glue tables.
SELECT season,
       count(*) FILTER (WHERE n > 1)                  AS duplicate_keys,
       coalesce(sum(n) FILTER (WHERE {key_null}), 0)  AS null_key_rows
FROM (
    SELECT {season} AS season, {key}, count(*) AS n
    FROM {relation}
    GROUP BY {groups}
) AS keyed
GROUP BY season
HAVING count(*) FILTER (WHERE n > 1) > 0 OR coalesce(sum(n) FILTER (WHERE {key_null}), 0) > 0
ORDER BY season
