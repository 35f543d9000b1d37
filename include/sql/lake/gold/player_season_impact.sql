-- A player's season line with what it means for the team: share of the team's player-minutes (a team's
-- shares sum to 1), scoring per 40 minutes, and games actually played in the box scores. The season's
-- D1 teams only (views/season_teams.sql), like every season-level table.
WITH played AS (
    SELECT team_id, athlete_id, count(*) FILTER (WHERE minutes > 0) AS games_played
    FROM silver_fct_game_players
    GROUP BY team_id, athlete_id
)
SELECT s.season, s.team_id, s.athlete_id, s.name, s.position, s.games, s.starts,
       coalesce(p.games_played, 0)::INTEGER AS games_played,
       s.minutes, s.points, s.usage, s.offensive_rating, s.defensive_rating, s.net_rating,
       s.porpag, s.win_shares_total,
       s.minutes / nullif(sum(s.minutes) OVER team, 0) AS minutes_share,
       40 * s.points / nullif(s.minutes, 0) AS points_per_40
FROM silver_fct_player_season_stats s
LEFT JOIN played p ON p.team_id = s.team_id AND p.athlete_id = s.athlete_id
WHERE s.team_id IN (SELECT cbbd_team_id FROM season_teams)
-- The whole team in a fixed order, so the floating-point sum (and the file's bytes) never vary between runs.
WINDOW team AS (PARTITION BY s.team_id ORDER BY s.athlete_id
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
