-- BartTorvik daily metrics keyed by the CBBD team id as well (through the team mapping), to join silver.
SELECT m.cbbd_team_id, b.*
FROM bt_daily b
JOIN team_map m USING (team_id)
