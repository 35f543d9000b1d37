-- One row per team's recruiting class (bronze `recruiting_teams`; the class year is the season partition).
SELECT
    key_season(_key) AS season,
    CAST(teamId AS INTEGER) AS team_id,
    team,
    conference,
    CAST(ranking AS INTEGER) AS ranking,
    rating,
    key_asof(_key) AS asof
FROM bronze_recruiting_teams
QUALIFY row_number() OVER (PARTITION BY team_id ORDER BY "asof" DESC, _key DESC) = 1
