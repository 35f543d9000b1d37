-- One row per transfer-portal entry (bronze `recruiting_portal`), origin and destination flattened.
SELECT
    CAST(id AS INTEGER) AS portal_id,
    sourceId AS source_id,
    key_season(_key) AS season,
    firstName AS first_name,
    lastName AS last_name,
    position,
    CAST(origin.id AS INTEGER) AS origin_team_id,
    origin.name AS origin_team,
    origin.conference AS origin_conference,
    CAST(destination.id AS INTEGER) AS destination_team_id,
    destination.name AS destination_team,
    destination.conference AS destination_conference,
    eligibility,
    CAST(yearsRemaining AS INTEGER) AS years_remaining,
    CAST(stars AS INTEGER) AS stars,
    rating,
    key_asof(_key) AS asof
FROM bronze_recruiting_portal
QUALIFY row_number() OVER (PARTITION BY portal_id ORDER BY "asof" DESC, _key DESC) = 1
