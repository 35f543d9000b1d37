-- Each provider's line against the result, completed games only. Spreads are in the home team's terms
-- (home -5.5 = home favoured by 5.5), so the home side covers when margin + spread > 0 and
-- spread_error = margin + spread is how far the result beat the line. `vs_non_d1` flags a game with a side
-- outside Division I (its conference is null that season).
WITH results AS (
    SELECT l.game_id, l.provider, g.season, g.game_date, g.home_team_id, g.away_team_id,
           l.spread, l.spread_open, l.over_under, l.over_under_open, l.home_moneyline, l.away_moneyline,
           g.home_points - g.away_points AS home_margin,
           g.home_points + g.away_points AS total_points,
           g.home_conference IS NULL OR g.away_conference IS NULL AS vs_non_d1
    FROM silver_fct_lines l
    JOIN silver_fct_games g USING (game_id)
    WHERE g.home_points IS NOT NULL AND g.away_points IS NOT NULL
)
SELECT season, game_id, game_date, provider, home_team_id, away_team_id, vs_non_d1,
       spread, spread_open, over_under, over_under_open, home_moneyline, away_moneyline,
       home_margin, total_points,
       CASE WHEN home_margin + spread <> 0 THEN home_margin + spread > 0 END AS home_cover,
       CASE WHEN home_margin + spread > 0 THEN 'home' WHEN home_margin + spread < 0 THEN 'away'
            WHEN home_margin + spread = 0 THEN 'push' END AS ats_result,
       CASE WHEN total_points > over_under THEN 'over' WHEN total_points < over_under THEN 'under'
            WHEN total_points = over_under THEN 'push' END AS total_result,
       home_margin + spread AS spread_error,
       total_points - over_under AS total_error
FROM results
