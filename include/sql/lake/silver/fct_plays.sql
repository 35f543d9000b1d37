-- One row per play. Plays are fetched by date window, game, team, tournament and player, and the windows
-- overlap, so the same play arrives several times: keep one per play id, the one from the latest object
-- (asof, then key). Bronze also keeps a play twice in one response when the two copies differ (the API
-- disagreeing with itself): the copy with the larger row hash is kept, a fixed rule.
--
-- The choice is made on narrow columns (play id, object rank) and the wide rows are only filtered, then
-- sorted once for the output: a window over the wide rows sorted and spilled a season's plays twice.
-- Each use of the sources names them again, narrow where it can: a CTE used twice is materialised, and
-- for the wide rows that held (and spilled) a season's plays once more. Joining every play to its
-- winner needs a season-sized hash table beside the wide scan, which did not fit DuckDB's memory
-- limit; only the plays that arrived more than once are joined.
WITH objects AS (
    SELECT _key, row_number() OVER (ORDER BY key_asof(_key), _key) AS object_rank
    FROM (
        SELECT DISTINCT _key FROM (
            SELECT _key FROM bronze_plays_date
            UNION ALL SELECT _key FROM bronze_plays_game
            UNION ALL SELECT _key FROM bronze_plays_team
            UNION ALL SELECT _key FROM bronze_plays_tournament
            UNION ALL SELECT _key FROM bronze_plays_player
        )
    )
),
copies AS (
    SELECT CAST(id AS BIGINT) AS play_id, object_rank, count(*) AS copies
    FROM (
        SELECT id, _key FROM bronze_plays_date
        UNION ALL SELECT id, _key FROM bronze_plays_game
        UNION ALL SELECT id, _key FROM bronze_plays_team
        UNION ALL SELECT id, _key FROM bronze_plays_tournament
        UNION ALL SELECT id, _key FROM bronze_plays_player
    ) JOIN objects USING (_key)
    GROUP BY ALL
),
repeated AS (
    SELECT play_id, max(object_rank) AS object_rank, arg_max(copies, object_rank) AS copies
    FROM copies
    GROUP BY play_id
    HAVING sum(copies) > 1
),
conflicts AS (
    SELECT CAST(plays.id AS BIGINT) AS play_id, max(hash(plays)) AS row_hash
    FROM (
        SELECT * FROM bronze_plays_date
        UNION ALL BY NAME SELECT * FROM bronze_plays_game
        UNION ALL BY NAME SELECT * FROM bronze_plays_team
        UNION ALL BY NAME SELECT * FROM bronze_plays_tournament
        UNION ALL BY NAME SELECT * FROM bronze_plays_player
    ) AS plays JOIN objects USING (_key)
    SEMI JOIN repeated
        ON CAST(plays.id AS BIGINT) = repeated.play_id AND objects.object_rank = repeated.object_rank
        AND repeated.copies > 1
    GROUP BY ALL
),
plays AS (
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
FROM plays JOIN objects USING (_key)
LEFT JOIN repeated ON CAST(plays.id AS BIGINT) = repeated.play_id
LEFT JOIN conflicts ON CAST(plays.id AS BIGINT) = conflicts.play_id
WHERE repeated.play_id IS NULL
    OR objects.object_rank = repeated.object_rank AND (conflicts.play_id IS NULL OR hash(plays) = conflicts.row_hash)
