-- One row per play type (bronze `plays_types`).
SELECT
    CAST(id AS INTEGER) AS play_type_id,
    name,
    key_asof(_key) AS asof
FROM bronze_plays_types
QUALIFY row_number() OVER (PARTITION BY play_type_id ORDER BY "asof" DESC, _key DESC) = 1
