-- One row per conference (bronze `conferences`); the latest snapshot wins.
SELECT
    CAST(id AS INTEGER) AS conference_id,
    sourceId AS source_id,
    name,
    abbreviation,
    shortName AS short_name,
    key_asof(_key) AS asof
FROM bronze_conferences
QUALIFY row_number() OVER (PARTITION BY conference_id ORDER BY "asof" DESC, _key DESC) = 1
