-- Adjusted efficiency per team per snapshot (bronze `ratings_adjusted`). Every asof is kept: the ratings
-- change through the season and gold joins each game to the ratings as known before it.
SELECT
    key_season(_key) AS season,
    CAST(teamId AS INTEGER) AS team_id,
    team,
    conference,
    offensiveRating AS offensive_rating,
    defensiveRating AS defensive_rating,
    netRating AS net_rating,
    CAST(rankings.offense AS INTEGER) AS rank_offense,
    CAST(rankings.defense AS INTEGER) AS rank_defense,
    CAST(rankings.net AS INTEGER) AS rank_net,
    key_asof(_key) AS asof
FROM bronze_ratings_adjusted
QUALIFY row_number() OVER (PARTITION BY team_id, "asof" ORDER BY _key DESC) = 1
