-- Simple Rating System per team per snapshot (bronze `ratings_srs`); every asof is kept for as-of joins.
SELECT
    key_season(_key) AS season,
    CAST(teamId AS INTEGER) AS team_id,
    team,
    conference,
    rating,
    key_asof(_key) AS asof
FROM bronze_ratings_srs
QUALIFY row_number() OVER (PARTITION BY team_id, "asof" ORDER BY _key DESC) = 1
