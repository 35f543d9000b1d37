-- One row per play. Plays are fetched by date window, game, team, tournament and player, and the windows
-- overlap, so the same play arrives several times: union every source by name, keep one per play id.
WITH plays AS (
    SELECT * FROM bronze_plays_date
    UNION ALL BY NAME SELECT * FROM bronze_plays_game
    UNION ALL BY NAME SELECT * FROM bronze_plays_team
    UNION ALL BY NAME SELECT * FROM bronze_plays_tournament
    UNION ALL BY NAME SELECT * FROM bronze_plays_player
)
SELECT
    CAST(id AS BIGINT) AS play_id,
    sourceId AS source_id,
    CAST(gameId AS INTEGER) AS game_id,
    key_season(_key) AS season,
    seasonType AS season_type,
    gameStartDate AS game_start_date,
    CAST(timezone('America/New_York', gameStartDate) AS DATE) AS game_date,
    playType AS play_type,
    isHomeTeam AS is_home_team,
    CAST(teamId AS INTEGER) AS team_id,
    CAST(opponentId AS INTEGER) AS opponent_id,
    CAST(period AS INTEGER) AS period,
    clock,
    CAST(secondsRemaining AS INTEGER) AS seconds_remaining,
    CAST(homeScore AS INTEGER) AS home_score,
    CAST(awayScore AS INTEGER) AS away_score,
    homeWinProbability AS home_win_probability,
    scoringPlay AS scoring_play,
    shootingPlay AS shooting_play,
    CAST(scoreValue AS INTEGER) AS score_value,
    wallclock,
    playText AS play_text,
    participants,
    onFloor AS on_floor,
    shotInfo AS shot_info,
    key_asof(_key) AS asof
FROM plays
QUALIFY row_number() OVER (PARTITION BY play_id ORDER BY "asof" DESC, _key DESC) = 1
