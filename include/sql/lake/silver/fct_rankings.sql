-- One row per team per poll per week (bronze `rankings`).
SELECT
    key_season(_key) AS season,
    seasonType AS season_type,
    CAST(week AS INTEGER) AS week,
    pollDate AS poll_date,
    pollType AS poll_type,
    CAST(teamId AS INTEGER) AS team_id,
    team,
    conference,
    CAST(ranking AS INTEGER) AS ranking,
    points,
    CAST(firstPlaceVotes AS INTEGER) AS first_place_votes,
    key_asof(_key) AS asof
FROM bronze_rankings
QUALIFY row_number() OVER (
    PARTITION BY season_type, week, poll_type, team_id ORDER BY "asof" DESC, _key DESC
) = 1
