-- One row per draft position (bronze `draft_positions`, keyed by its name).
SELECT
    name,
    abbreviation,
    key_asof(_key) AS asof
FROM bronze_draft_positions
QUALIFY row_number() OVER (PARTITION BY name ORDER BY "asof" DESC, _key DESC) = 1
