-- The season's Division I teams: every team whose side of a game of the season carries a conference.
-- Why games: the API gives each side the conference the team belonged to that season and null outside
-- D1 (the same membership `/teams?season=S` lists: 364 teams in 2023, while `/stats/team/season` also has
-- 343 non-D1 rows), so the set is right for every season gold builds, with no extra request.
-- A team that switched conferences gets the one it played in: the conference on most of its conference
-- games, then on most games, then on its latest game, then by name, so every rebuild decides alike.
WITH labels AS (
    SELECT team_id, conference,
           count(*) FILTER (WHERE conference_game) AS conference_games,
           count(*) AS games,
           max(start_date) AS last_start
    FROM team_games
    WHERE conference IS NOT NULL
    GROUP BY team_id, conference
)
SELECT l.team_id AS cbbd_team_id,
       (SELECT any_value(season) FROM team_games) AS season,
       n.team,
       l.conference
FROM labels l
JOIN (SELECT team_id, arg_max(team, start_date) AS team FROM team_games GROUP BY team_id) n USING (team_id)
QUALIFY row_number() OVER (
    PARTITION BY l.team_id ORDER BY l.conference_games DESC, l.games DESC, l.last_start DESC, l.conference
) = 1
