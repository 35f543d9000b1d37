-- One row per team per game (bronze `games_teams`), with the box score kept as structs and the points
-- pulled out for joins.
SELECT
    CAST(gameId AS INTEGER) AS game_id,
    key_season(_key) AS season,
    seasonType AS season_type,
    startDate AS start_date,
    CAST(timezone('America/New_York', startDate) AS DATE) AS game_date,
    CAST(teamId AS INTEGER) AS team_id,
    team,
    conference,
    CAST(opponentId AS INTEGER) AS opponent_id,
    opponent,
    opponentConference AS opponent_conference,
    isHome AS is_home,
    neutralSite AS neutral_site,
    conferenceGame AS conference_game,
    gameType AS game_type,
    tournament,
    pace,
    gameMinutes AS game_minutes,
    CAST(teamStats.points.total AS INTEGER) AS points,
    CAST(opponentStats.points.total AS INTEGER) AS opponent_points,
    teamStats AS team_stats,
    opponentStats AS opponent_stats,
    key_asof(_key) AS asof
FROM bronze_games_teams
QUALIFY row_number() OVER (PARTITION BY game_id, team_id ORDER BY "asof" DESC, _key DESC) = 1
