-- One row per player per game (bronze `games_players`, its `players` list unnested).
WITH box AS (
    SELECT * EXCLUDE (players), unnest(players) AS p
    FROM bronze_games_players
)
SELECT
    CAST(gameId AS INTEGER) AS game_id,
    key_season(_key) AS season,
    seasonType AS season_type,
    CAST(timezone('America/New_York', startDate) AS DATE) AS game_date,
    CAST(teamId AS INTEGER) AS team_id,
    team,
    CAST(opponentId AS INTEGER) AS opponent_id,
    isHome AS is_home,
    CAST(p.athleteId AS INTEGER) AS athlete_id,
    p.athleteSourceId AS athlete_source_id,
    p.name AS name,
    p.position AS position,
    p.starter AS starter,
    p.ejected AS ejected,
    p.minutes AS minutes,
    CAST(p.points AS INTEGER) AS points,
    CAST(p.rebounds.total AS INTEGER) AS rebounds,
    CAST(p.rebounds.offensive AS INTEGER) AS offensive_rebounds,
    CAST(p.rebounds.defensive AS INTEGER) AS defensive_rebounds,
    CAST(p.assists AS INTEGER) AS assists,
    CAST(p.steals AS INTEGER) AS steals,
    CAST(p.blocks AS INTEGER) AS blocks,
    CAST(p.turnovers AS INTEGER) AS turnovers,
    CAST(p.fouls AS INTEGER) AS fouls,
    p.usage AS usage,
    p.offensiveRating AS offensive_rating,
    p.defensiveRating AS defensive_rating,
    p.netRating AS net_rating,
    p.gameScore AS game_score,
    p.effectiveFieldGoalPct AS effective_field_goal_pct,
    p.trueShootingPct AS true_shooting_pct,
    CAST(p.fieldGoals.made AS INTEGER) AS field_goals_made,
    CAST(p.fieldGoals.attempted AS INTEGER) AS field_goals_attempted,
    CAST(p.threePointFieldGoals.made AS INTEGER) AS three_point_made,
    CAST(p.threePointFieldGoals.attempted AS INTEGER) AS three_point_attempted,
    CAST(p.freeThrows.made AS INTEGER) AS free_throws_made,
    CAST(p.freeThrows.attempted AS INTEGER) AS free_throws_attempted,
    key_asof(_key) AS asof
FROM box
QUALIFY row_number() OVER (PARTITION BY game_id, team_id, athlete_id ORDER BY "asof" DESC, _key DESC) = 1
