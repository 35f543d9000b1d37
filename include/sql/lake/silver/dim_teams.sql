-- One row per team (bronze `teams`, the all-seasons directory); the latest snapshot wins.
SELECT
    CAST(id AS INTEGER) AS team_id,
    sourceId AS source_id,
    school,
    mascot,
    abbreviation,
    displayName AS display_name,
    shortDisplayName AS short_display_name,
    CAST(conferenceId AS INTEGER) AS conference_id,
    conference,
    CAST(currentVenueId AS BIGINT) AS current_venue_id,
    currentVenue AS current_venue,
    currentCity AS current_city,
    currentState AS current_state,
    primaryColor AS primary_color,
    secondaryColor AS secondary_color,
    logos,
    key_asof(_key) AS asof
FROM bronze_teams
QUALIFY row_number() OVER (PARTITION BY team_id ORDER BY "asof" DESC, _key DESC) = 1
