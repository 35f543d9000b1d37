-- One row per player on a team's season roster (bronze `teams_roster`, its `players` list unnested).
WITH roster AS (
    SELECT * EXCLUDE (players), unnest(players) AS p
    FROM bronze_teams_roster
)
SELECT
    CAST(teamId AS INTEGER) AS team_id,
    key_season(_key) AS season,
    teamSourceId AS team_source_id,
    team,
    conference,
    CAST(p.id AS INTEGER) AS athlete_id,
    p.sourceId AS athlete_source_id,
    p.name AS name,
    p.firstName AS first_name,
    p.lastName AS last_name,
    p.jersey AS jersey,
    p.position AS position,
    p.height AS height,
    p.weight AS weight,
    p.hometown AS hometown,
    p.dateOfBirth AS date_of_birth,
    CAST(p.startSeason AS INTEGER) AS start_season,
    CAST(p.endSeason AS INTEGER) AS end_season,
    key_asof(_key) AS asof
FROM roster
QUALIFY row_number() OVER (PARTITION BY team_id, athlete_id ORDER BY "asof" DESC, _key DESC) = 1
