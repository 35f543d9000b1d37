-- Season totals per team (bronze `stats_team_season`), the box score kept as structs.
SELECT
    key_season(_key) AS season,
    CAST(teamId AS INTEGER) AS team_id,
    team,
    conference,
    CAST(games AS INTEGER) AS games,
    CAST(wins AS INTEGER) AS wins,
    CAST(losses AS INTEGER) AS losses,
    totalMinutes AS total_minutes,
    pace,
    teamStats AS team_stats,
    opponentStats AS opponent_stats,
    key_asof(_key) AS asof
FROM bronze_stats_team_season
QUALIFY row_number() OVER (PARTITION BY team_id ORDER BY "asof" DESC, _key DESC) = 1
