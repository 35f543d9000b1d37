-- Season shot profile per player per team (bronze `stats_player_shooting_season`).
SELECT
    key_season(_key) AS season,
    CAST(teamId AS INTEGER) AS team_id,
    team,
    conference,
    CAST(athleteId AS INTEGER) AS athlete_id,
    athleteName AS athlete_name,
    CAST(trackedShots AS INTEGER) AS tracked_shots,
    assistedPct AS assisted_pct,
    freeThrowRate AS free_throw_rate,
    dunks,
    layups,
    tipIns AS tip_ins,
    twoPointJumpers AS two_point_jumpers,
    threePointJumpers AS three_point_jumpers,
    freeThrows AS free_throws,
    attemptsBreakdown AS attempts_breakdown,
    key_asof(_key) AS asof
FROM bronze_stats_player_shooting_season
QUALIFY row_number() OVER (PARTITION BY team_id, athlete_id ORDER BY "asof" DESC, _key DESC) = 1
