-- Season totals per team (bronze `stats_team_season`), the box score kept as structs. A team that switched
-- conferences is listed twice by the API with the same numbers (Stephen F. Austin 2023: WAC and Southland);
-- the row kept is chosen by conference name only so that every rebuild keeps the same one. The conference it
-- played in is gold's decision, from its games (gold/views/season_teams.sql).
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
QUALIFY row_number() OVER (PARTITION BY team_id ORDER BY "asof" DESC, _key DESC, conference) = 1
