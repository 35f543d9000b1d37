-- One row per stint of a team in a conference (bronze `conferences_history`, its `teams` list unnested).
WITH stints AS (
    SELECT id, name, abbreviation, _key, unnest(teams) AS t
    FROM bronze_conferences_history
)
SELECT
    CAST(id AS INTEGER) AS conference_id,
    name AS conference,
    abbreviation AS conference_abbreviation,
    CAST(t.id AS INTEGER) AS team_id,
    t.sourceId AS team_source_id,
    t.school AS school,
    t.mascot AS mascot,
    CAST(t.startSeason AS INTEGER) AS start_season,
    CAST(t.endSeason AS INTEGER) AS end_season,
    key_asof(_key) AS asof
FROM stints
QUALIFY row_number() OVER (
    PARTITION BY conference_id, team_id, start_season ORDER BY "asof" DESC, _key DESC
) = 1
