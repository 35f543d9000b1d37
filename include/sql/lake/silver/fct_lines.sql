-- One row per game per line provider (bronze `lines`, its `lines` list unnested).
WITH quotes AS (
    SELECT * EXCLUDE (lines), unnest(lines) AS l
    FROM bronze_lines
)
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
    CAST(homeScore AS INTEGER) AS home_score,
    CAST(awayScore AS INTEGER) AS away_score,
    l.provider AS provider,
    l.spread AS spread,
    l.overUnder AS over_under,
    CAST(l.homeMoneyline AS INTEGER) AS home_moneyline,
    CAST(l.awayMoneyline AS INTEGER) AS away_moneyline,
    l.spreadOpen AS spread_open,
    l.overUnderOpen AS over_under_open,
    key_asof(_key) AS asof
FROM quotes
QUALIFY row_number() OVER (PARTITION BY game_id, provider ORDER BY "asof" DESC, _key DESC) = 1
