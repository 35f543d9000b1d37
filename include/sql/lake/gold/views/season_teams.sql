-- The season's D1 teams: every team with a game in fct_game_teams, named as in its latest game.
SELECT team_id AS cbbd_team_id,
       any_value(season) AS season,
       arg_max(team, game_date) AS team,
       arg_max(conference, game_date) AS conference
FROM silver_fct_game_teams
GROUP BY team_id
