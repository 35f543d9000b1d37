-- One row per venue (bronze `venues`; the API types the id as a number, silver as an integer).
SELECT
    CAST(id AS BIGINT) AS venue_id,
    sourceId AS source_id,
    name,
    city,
    state,
    country,
    key_asof(_key) AS asof
FROM bronze_venues
QUALIFY row_number() OVER (PARTITION BY venue_id ORDER BY "asof" DESC, _key DESC) = 1
