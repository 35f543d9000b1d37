-- One row per recruit in a class (bronze `recruiting_players`; the class year is the season partition).
SELECT
    CAST(id AS INTEGER) AS recruit_id,
    sourceId AS source_id,
    key_season(_key) AS season,
    CAST(athleteId AS INTEGER) AS athlete_id,
    name,
    position,
    CAST(schoolId AS INTEGER) AS school_id,
    school,
    hometown,
    CAST(committedTo.id AS INTEGER) AS committed_to_id,
    committedTo.name AS committed_to,
    committedTo.conference AS committed_to_conference,
    heightInches AS height_inches,
    CAST(weightPounds AS INTEGER) AS weight_pounds,
    CAST(stars AS INTEGER) AS stars,
    rating,
    CAST(ranking AS INTEGER) AS ranking,
    key_asof(_key) AS asof
FROM bronze_recruiting_players
QUALIFY row_number() OVER (PARTITION BY recruit_id ORDER BY "asof" DESC, _key DESC) = 1
