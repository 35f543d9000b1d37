-- One row per stint on the floor: a player's substitution in, and out (bronze `substitutions_*`, fetched
-- per team, game and player, so one stint can arrive from several sources).
WITH subs AS (
    SELECT * FROM bronze_substitutions_team
    UNION ALL BY NAME SELECT * FROM bronze_substitutions_game
    UNION ALL BY NAME SELECT * FROM bronze_substitutions_player
)
SELECT
    CAST(gameId AS INTEGER) AS game_id,
    key_season(_key) AS season,
    startDate AS start_date,
    CAST(timezone('America/New_York', startDate) AS DATE) AS game_date,
    CAST(teamId AS INTEGER) AS team_id,
    team,
    CAST(opponentId AS INTEGER) AS opponent_id,
    opponent,
    CAST(athleteId AS INTEGER) AS athlete_id,
    athlete,
    position,
    CAST(subIn.period AS INTEGER) AS sub_in_period,
    CAST(subIn.secondsRemaining AS INTEGER) AS sub_in_seconds_remaining,
    CAST(subIn.teamPoints AS INTEGER) AS sub_in_team_points,
    CAST(subIn.opponentPoints AS INTEGER) AS sub_in_opponent_points,
    CAST(subOut.period AS INTEGER) AS sub_out_period,
    CAST(subOut.secondsRemaining AS INTEGER) AS sub_out_seconds_remaining,
    CAST(subOut.teamPoints AS INTEGER) AS sub_out_team_points,
    CAST(subOut.opponentPoints AS INTEGER) AS sub_out_opponent_points,
    key_asof(_key) AS asof
FROM subs
QUALIFY row_number() OVER (
    PARTITION BY game_id, athlete_id, sub_in_period, sub_in_seconds_remaining ORDER BY "asof" DESC, _key DESC
) = 1
