-- One row per game with its broadcasts (bronze `games_media`; the list is the grain's attribute, kept).
SELECT
    CAST(gameId AS INTEGER) AS game_id,
    key_season(_key) AS season,
    seasonType AS season_type,
    startDate AS start_date,
    CAST(timezone('America/New_York', startDate) AS DATE) AS game_date,
    CAST(homeTeamId AS INTEGER) AS home_team_id,
    homeTeam AS home_team,
    CAST(awayTeamId AS INTEGER) AS away_team_id,
    awayTeam AS away_team,
    neutralSite AS neutral_site,
    conferenceGame AS conference_game,
    gameType AS game_type,
    tournament,
    broadcasts,
    key_asof(_key) AS asof
FROM bronze_games_media
QUALIFY row_number() OVER (PARTITION BY game_id ORDER BY "asof" DESC, _key DESC) = 1
