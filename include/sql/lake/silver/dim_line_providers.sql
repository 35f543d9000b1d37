-- One row per betting-line provider (bronze `lines_providers`).
SELECT
    CAST(id AS INTEGER) AS provider_id,
    name,
    key_asof(_key) AS asof
FROM bronze_lines_providers
QUALIFY row_number() OVER (PARTITION BY provider_id ORDER BY "asof" DESC, _key DESC) = 1
