-- One row per team lineup over the season (bronze `lineups_team`, keyed by the API's hash of the five
-- athlete ids); the season comes from the partition, the rows carry none.
SELECT
    CAST(teamId AS INTEGER) AS team_id,
    key_season(_key) AS season,
    team,
    conference,
    idHash AS id_hash,
    athletes,
    totalSeconds AS total_seconds,
    pace,
    offenseRating AS offense_rating,
    defenseRating AS defense_rating,
    netRating AS net_rating,
    teamStats AS team_stats,
    opponentStats AS opponent_stats,
    key_asof(_key) AS asof
FROM bronze_lineups_team
QUALIFY row_number() OVER (PARTITION BY team_id, id_hash ORDER BY "asof" DESC, _key DESC) = 1
