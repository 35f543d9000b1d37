-- One row per professional team that drafts (bronze `draft_teams`).
SELECT
    CAST(id AS INTEGER) AS draft_team_id,
    CAST(sourceId AS BIGINT) AS source_id,
    location,
    name,
    displayName AS display_name,
    abbreviation,
    key_asof(_key) AS asof
FROM bronze_draft_teams
QUALIFY row_number() OVER (PARTITION BY draft_team_id ORDER BY "asof" DESC, _key DESC) = 1
