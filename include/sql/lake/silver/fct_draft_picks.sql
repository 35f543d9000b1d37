-- One row per pick of a draft (bronze `draft_picks`; the draft year is the season partition).
SELECT
    CAST(overall AS INTEGER) AS overall,
    key_season(_key) AS season,
    CAST(round AS INTEGER) AS round,
    CAST(pick AS INTEGER) AS pick,
    CAST(athleteId AS INTEGER) AS athlete_id,
    name,
    CAST(draftTeamId AS INTEGER) AS draft_team_id,
    draftTeam AS draft_team,
    CAST(sourceTeamId AS INTEGER) AS source_team_id,
    sourceTeamLocation AS source_team_location,
    sourceTeamName AS source_team_name,
    sourceTeamLeagueAffiliation AS source_team_league_affiliation,
    CAST(sourceTeamCollegeId AS INTEGER) AS source_team_college_id,
    CAST(overallRank AS INTEGER) AS overall_rank,
    CAST(positionRank AS INTEGER) AS position_rank,
    height,
    CAST(weight AS INTEGER) AS weight,
    key_asof(_key) AS asof
FROM bronze_draft_picks
QUALIFY row_number() OVER (PARTITION BY overall ORDER BY "asof" DESC, _key DESC) = 1
