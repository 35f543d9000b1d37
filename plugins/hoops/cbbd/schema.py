"""Arrow types of every CBBD response model, declared once in a compact text form.

Why a mini-language: the 40 endpoints return 111 models (about 1,600 fields, many shared such as
`PlayInfo` for five endpoints), and a line like `"id:int, startDate:datetime, tournament:str?"` reads
the same as the cbbd client docs and `reference/cbbd.md`. The text is parsed at import; an unknown
type name raises there, so the catalog cannot drift silently. `tests/unit/test_cbbd_catalog.py`
checks every field against `reference/cbbd_endpoints.json` (the package never reads that file).

Grammar: `name:type` separated by commas; a trailing `?` means nullable (the API may send null or
omit the key). Types: `int` (int64), `num` (float64), `str`, `bool`, `datetime` (ISO-8601 text,
stored as UTC milliseconds), `date` (`YYYY-MM-DD`, date32), an enum name from `ENUMS` (stored as
string), a model declared earlier (struct) and `[type]` (list). Fitting JSON values to these types is
`coerce`'s job.
"""

from __future__ import annotations

import re

import pyarrow as pa

TIMESTAMP = pa.timestamp("ms", tz="UTC")
DATE = pa.date32()

PRIMITIVES: dict[str, pa.DataType] = {
    "int": pa.int64(),
    "num": pa.float64(),
    "str": pa.string(),
    "bool": pa.bool_(),
    "datetime": TIMESTAMP,
    "date": DATE,
}

# Named string types. Stored as plain strings: a new value from the API must not break a load.
ENUMS: dict[str, tuple[str, ...]] = {
    "SeasonType": ("postseason", "preseason", "regular"),
    "GameStatus": ("scheduled", "in_progress", "final", "postponed", "cancelled"),
    "TransferEligibility": ("Withdrawn", "TBD", "PendingAppeal", "SittingOne", "Immediate"),
    "Availability": ("available", "partial", "unavailable"),
    "Reason": (
        "no_games",
        "no_source_rows",
        "incomplete_inputs",
        "zero_denominator",
        "unclassified_games",
        "unclassified_shots",
    ),
}

MODELS: dict[str, pa.StructType] = {}
"""Every response model by its cbbd client name, in declaration order (dependencies first)."""

_FIELD = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*):(?P<type>\[?[A-Za-z_][A-Za-z0-9_]*\]?)(?P<null>\??)$")


class SchemaError(ValueError):
    """A declaration the catalog cannot turn into Arrow (unknown type, bad syntax, duplicate name)."""


def arrow_type(token: str) -> pa.DataType:
    """The Arrow type of one type token (`int`, `[PlayInfoOnFloorInner]`, `SeasonType`, ...)."""
    if token.startswith("[") and token.endswith("]"):
        return pa.list_(arrow_type(token[1:-1]))
    if token in PRIMITIVES:
        return PRIMITIVES[token]
    if token in ENUMS:
        return pa.string()
    if token in MODELS:
        return MODELS[token]
    raise SchemaError(f"unknown type {token!r}: not a primitive, an enum in ENUMS or a model declared above")


def parse_fields(spec: str) -> list[pa.Field]:
    """`"id:int, name:str?"` -> Arrow fields, in order."""
    fields: list[pa.Field] = []
    for item in (part.strip() for part in spec.split(",")):
        match = _FIELD.match(item)
        if not match:
            raise SchemaError(f"cannot parse field {item!r} (expected name:type or name:type?)")
        fields.append(pa.field(match["name"], arrow_type(match["type"]), nullable=bool(match["null"])))
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise SchemaError(f"duplicate field names in {spec!r}")
    return fields


def _model(name: str, spec: str) -> None:
    if name in MODELS or name in ENUMS or name in PRIMITIVES:
        raise SchemaError(f"model {name!r} declared twice")
    MODELS[name] = pa.struct(parse_fields(spec))


# --- Models, grouped under the first endpoint that returns them. ---

# /conferences/history
_model(
    "ConferenceHistoryTeamsInner",
    "endSeason:int?, startSeason:int, mascot:str?, school:str, sourceId:str, id:int",
)
_model(
    "ConferenceHistory",
    "id:int, sourceId:str, name:str, abbreviation:str, shortName:str, teams:[ConferenceHistoryTeamsInner]",
)

# /conferences
_model("ConferenceInfo", "id:int, sourceId:str, name:str, abbreviation:str, shortName:str")

# /draft/picks
_model(
    "DraftPick",
    "athleteId:int?, sourceTeamId:int?, sourceTeamLocation:str?, sourceTeamName:str?, "
    "sourceTeamLeagueAffiliation:str?, sourceTeamCollegeId:num?, draftTeamId:num, draftTeam:str, "
    "year:int, overall:int, round:int, pick:int, name:str, overallRank:int?, positionRank:int?, "
    "height:num?, weight:int?",
)

# /draft/positions
_model("DraftPosition", "name:str, abbreviation:str")

# /draft/teams
_model("DraftTeam", "id:int, sourceId:num, location:str, name:str, displayName:str, abbreviation:str")

# /games/media
_model("GameMediaInfoBroadcastsInner", "broadcastName:str, broadcastType:str")
_model(
    "GameMediaInfo",
    "gameId:int, season:int, seasonLabel:str, seasonType:SeasonType, tournament:str?, "
    "startDate:datetime, startTimeTbd:bool, homeTeamId:int, homeTeam:str, homeConference:str?, "
    "awayTeamId:int, awayTeam:str, awayConference:str?, neutralSite:bool, conferenceGame:bool, "
    "gameType:str?, notes:str?, broadcasts:[GameMediaInfoBroadcastsInner]",
)

# /games/players
_model("TeamBoxScoreRebounds", "total:num?, defensive:num?, offensive:num?")
_model("TeamSeasonUnitStatsFieldGoals", "pct:num?, attempted:num?, made:num?")
_model(
    "GameBoxScorePlayersPlayersInner",
    "rebounds:TeamBoxScoreRebounds, freeThrows:TeamSeasonUnitStatsFieldGoals, "
    "threePointFieldGoals:TeamSeasonUnitStatsFieldGoals, "
    "twoPointFieldGoals:TeamSeasonUnitStatsFieldGoals, fieldGoals:TeamSeasonUnitStatsFieldGoals, "
    "offensiveReboundPct:num?, freeThrowRate:num?, assistsTurnoverRatio:num?, gameScore:num?, "
    "trueShootingPct:num?, effectiveFieldGoalPct:num?, netRating:num?, defensiveRating:num?, "
    "offensiveRating:num?, usage:num?, blocks:num?, steals:num?, assists:num?, fouls:num?, "
    "turnovers:num?, points:num?, minutes:num?, ejected:bool?, starter:bool?, position:str, name:str, "
    "athleteSourceId:str, athleteId:int",
)
_model(
    "GameBoxScorePlayers",
    "gameId:int, season:int, seasonLabel:str, seasonType:SeasonType, tournament:str?, "
    "startDate:datetime, startTimeTbd:bool, teamId:int, team:str, conference:str?, teamSeed:int?, "
    "opponentId:int, opponent:str, opponentConference:str?, opponentSeed:int?, neutralSite:bool, "
    "isHome:bool, conferenceGame:bool, gameType:str?, notes:str?, gameMinutes:num?, gamePace:num?, "
    "players:[GameBoxScorePlayersPlayersInner]",
)

# /games/teams
_model("TeamSeasonUnitStatsTurnovers", "teamTotal:num?, total:num?")
_model("TeamSeasonUnitStatsFouls", "flagrant:num?, technical:num?, total:num?")
_model(
    "GameBoxScoreTeamStatsPoints",
    "fastBreak:num?, offTurnovers:num?, inPaint:num?, byPeriod:[num]?, largestLead:num?, total:num?",
)
_model(
    "TeamSeasonUnitStatsFourFactors",
    "freeThrowRate:num?, offensiveReboundPct:num?, turnoverRatio:num?, effectiveFieldGoalPct:num?",
)
_model(
    "GameBoxScoreTeamStats",
    "fieldGoals:TeamSeasonUnitStatsFieldGoals, twoPointFieldGoals:TeamSeasonUnitStatsFieldGoals, "
    "threePointFieldGoals:TeamSeasonUnitStatsFieldGoals, freeThrows:TeamSeasonUnitStatsFieldGoals, "
    "rebounds:TeamBoxScoreRebounds, turnovers:TeamSeasonUnitStatsTurnovers, "
    "fouls:TeamSeasonUnitStatsFouls, points:GameBoxScoreTeamStatsPoints, "
    "fourFactors:TeamSeasonUnitStatsFourFactors, assists:num?, blocks:num?, steals:num?, "
    "possessions:num?, rating:num?, trueShooting:num?, gameScore:num?",
)
_model(
    "GameBoxScoreTeam",
    "gameId:int, season:int, seasonLabel:str, seasonType:SeasonType, tournament:str?, "
    "startDate:datetime, startTimeTbd:bool, teamId:int, team:str, conference:str?, teamSeed:int?, "
    "opponentId:int, opponent:str, opponentConference:str?, opponentSeed:int?, neutralSite:bool, "
    "isHome:bool, conferenceGame:bool, gameType:str?, notes:str?, gameMinutes:num?, pace:num?, "
    "teamStats:GameBoxScoreTeamStats, opponentStats:GameBoxScoreTeamStats",
)

# /games
_model(
    "GameInfo",
    "id:int, sourceId:str, seasonLabel:str, season:int, seasonType:SeasonType, startDate:datetime, "
    "startTimeTbd:bool, neutralSite:bool, conferenceGame:bool, gameType:str?, tournament:str?, "
    "gameNotes:str?, status:GameStatus, attendance:int?, homeTeamId:int, homeTeam:str, "
    "homeConferenceId:int?, homeConference:str?, homeSeed:int?, homePoints:int?, "
    "homePeriodPoints:[int]?, homeWinner:bool?, homeTeamEloStart:int?, homeTeamEloEnd:int?, "
    "awayTeamId:int, awayTeam:str, awayConferenceId:int?, awayConference:str?, awaySeed:int?, "
    "awayPoints:int?, awayPeriodPoints:[int]?, awayWinner:bool?, awayTeamEloStart:int?, "
    "awayTeamEloEnd:int?, excitement:num?, venueId:int?, venue:str?, city:str?, state:str?",
)

# /scoreboard
_model(
    "ScoreboardGameHomeTeam",
    "lineScores:[int]?, points:int?, conferenceAbbreviation:str?, conference:str?, location:str?, "
    "name:str, id:int",
)
_model("ScoreboardGameBetting", "awayMoneyline:num?, homeMoneyline:num?, overUnder:num?, spread:num?")
_model(
    "ScoreboardGame",
    "id:int, startDate:datetime, startTimeTbd:bool, tv:str?, neutralSite:bool, conferenceGame:bool, "
    "status:GameStatus, period:int?, clock:str?, venue:str?, city:str?, state:str?, "
    "homeTeam:ScoreboardGameHomeTeam, awayTeam:ScoreboardGameHomeTeam, betting:ScoreboardGameBetting",
)

# /lines
_model(
    "GameLineInfo",
    "provider:str, spread:num?, overUnder:num?, homeMoneyline:num?, awayMoneyline:num?, "
    "spreadOpen:num?, overUnderOpen:num?",
)
_model(
    "GameLines",
    "gameId:int, season:int, seasonType:SeasonType, startDate:datetime, homeTeamId:int, homeTeam:str, "
    "homeConference:str?, homeScore:num?, awayTeamId:int, awayTeam:str, awayConference:str?, "
    "awayScore:num?, lines:[GameLineInfo]",
)

# /lines/providers
_model("LineProviderInfo", "id:int, name:str")

# /lineups/game/{gameId}
_model("PlayInfoParticipantsInner", "name:str, id:int")
_model("ShootingStats", "made:int, attempted:int, pct:num")
_model(
    "LineupUnitStatsTwoPointers",
    "made:int, attempted:int, pct:num, jumpers:ShootingStats, layups:ShootingStats, "
    "dunks:ShootingStats, tipIns:ShootingStats",
)
_model(
    "LineupUnitStatsFourFactors",
    "freeThrowRate:num, offensiveReboundPct:num, turnoverRatio:num, effectiveFieldGoalPct:num",
)
_model(
    "LineupUnitStats",
    "possessions:int, points:int, blocks:int, assists:int, steals:int, turnovers:int, "
    "defensiveRebounds:int, offensiveRebounds:int, trueShooting:num, fieldGoals:ShootingStats, "
    "twoPointers:LineupUnitStatsTwoPointers, threePointers:ShootingStats, freeThrows:ShootingStats, "
    "fourFactors:LineupUnitStatsFourFactors",
)
_model(
    "LineupStats",
    "teamId:int, team:str, conference:str, idHash:str, athletes:[PlayInfoParticipantsInner], "
    "totalSeconds:num, pace:num, offenseRating:num, defenseRating:num, netRating:num, "
    "teamStats:LineupUnitStats, opponentStats:LineupUnitStats",
)

# /plays/types
_model("PlayTypeInfo", "id:int, name:str")

# /plays/game/{gameId}
_model("PlayInfoOnFloorInner", "team:str, name:str, id:int")
_model("ShotInfoShooter", "name:str?, id:int?")
_model("ShotInfoLocation", "y:num?, x:num?")
_model(
    "ShotInfo",
    "shooter:ShotInfoShooter, made:bool, range:str, assisted:bool, assistedBy:ShotInfoShooter, "
    "location:ShotInfoLocation",
)
_model(
    "PlayInfo",
    "id:int, sourceId:str, gameId:int, gameSourceId:str, gameStartDate:datetime, season:num, "
    "seasonType:SeasonType, gameType:str, tournament:str?, playType:str, isHomeTeam:bool?, "
    "teamId:int?, team:str?, conference:str?, teamSeed:num?, opponentId:int?, opponent:str?, "
    "opponentConference:str?, opponentSeed:num?, period:int, clock:str, secondsRemaining:int, "
    "homeScore:int, awayScore:int, homeWinProbability:num?, scoringPlay:bool?, shootingPlay:bool?, "
    "scoreValue:num?, wallclock:datetime?, playText:str?, participants:[PlayInfoParticipantsInner], "
    "onFloor:[PlayInfoOnFloorInner], shotInfo:ShotInfo?",
)

# /substitutions/game/{gameId}
_model("PlayerSubsititutionSubIn", "opponentPoints:int, teamPoints:int, secondsRemaining:int, period:int")
_model(
    "PlayerSubsititution",
    "gameId:int, startDate:datetime, teamId:int, team:str, conference:str?, athleteId:int, "
    "athlete:str, position:str?, opponentId:int, opponent:str, opponentConference:str?, "
    "subIn:PlayerSubsititutionSubIn, subOut:PlayerSubsititutionSubIn",
)

# /rankings
_model(
    "PollTeamInfo",
    "season:int, seasonType:SeasonType, week:int, pollDate:datetime?, pollType:str, teamId:num, "
    "team:str, conference:str?, ranking:num?, points:num?, firstPlaceVotes:num?",
)

# /ratings/adjusted
_model("AdjustedEfficiencyInfoRankings", "net:num, defense:num, offense:num")
_model(
    "AdjustedEfficiencyInfo",
    "season:int, teamId:int, team:str, conference:str, offensiveRating:num, defensiveRating:num, "
    "netRating:num, rankings:AdjustedEfficiencyInfoRankings",
)

# /ratings/elo
_model("TeamElo", "season:int, teamId:int, team:str, conference:str, elo:int?")

# /ratings/srs
_model("SrsInfo", "season:int, teamId:int, team:str, conference:str, rating:num")

# /recruiting/portal
_model("TransferOrigin", "conference:str?, name:str?, id:int?")
_model("RecruitCommittedTo", "conference:str?, name:str?, id:int?")
_model(
    "Transfer",
    "id:int, sourceId:str, year:int, firstName:str, lastName:str, position:str, "
    "origin:TransferOrigin?, destination:RecruitCommittedTo?, eligibility:TransferEligibility?, "
    "yearsRemaining:int?, stars:int?, rating:num?",
)

# /recruiting/players
_model(
    "RecruitHometown",
    "countyFips:str?, longitude:num?, latitude:num?, country:str?, state:str?, city:str?",
)
_model(
    "Recruit",
    "id:int, sourceId:str?, position:str?, schoolId:int?, school:str?, hometown:RecruitHometown?, "
    "committedTo:RecruitCommittedTo?, athleteId:int?, year:int, name:str, heightInches:num?, "
    "weightPounds:int?, stars:int, rating:num, ranking:int?",
)

# /recruiting/teams
_model("TeamRecruitingRanking", "teamId:int, team:str, conference:str?, year:int, ranking:int, rating:num")

# /stats/player/shooting/season
_model("SeasonShootingStatsDunks", "made:int, attempted:int, pct:num, assistedPct:num, assisted:int")
_model("ShotTypeBreakdown", "made:int, attempted:int, pct:num")
_model(
    "SeasonShootingStatsAttemptsBreakdown",
    "threePointJumpers:num, twoPointJumpers:num, tipIns:num, layups:num, dunks:num",
)
_model(
    "PlayerSeasonShootingStats",
    "season:int, teamId:int, team:str, conference:str?, trackedShots:int, assistedPct:num, "
    "freeThrowRate:num, dunks:SeasonShootingStatsDunks, layups:SeasonShootingStatsDunks, "
    "tipIns:ShotTypeBreakdown, twoPointJumpers:SeasonShootingStatsDunks, "
    "threePointJumpers:SeasonShootingStatsDunks, freeThrows:ShotTypeBreakdown, "
    "attemptsBreakdown:SeasonShootingStatsAttemptsBreakdown, athleteId:int, athleteName:str",
)

# /stats/player/season
_model("PlayerSeasonStatsWinShares", "totalPer40:num?, total:num?, defensive:num?, offensive:num?")
_model(
    "PlayerSeasonStats",
    "season:int, seasonLabel:str, teamId:int, team:str, conference:str?, athleteId:int, "
    "athleteSourceId:str, name:str, position:str, games:num, starts:num, minutes:num, points:num?, "
    "turnovers:num?, fouls:num?, assists:num?, steals:num?, blocks:num?, usage:num?, "
    "offensiveRating:num?, defensiveRating:num?, netRating:num?, PORPAG:num?, "
    "effectiveFieldGoalPct:num?, trueShootingPct:num?, assistsTurnoverRatio:num?, freeThrowRate:num?, "
    "offensiveReboundPct:num?, fieldGoals:TeamSeasonUnitStatsFieldGoals, "
    "twoPointFieldGoals:TeamSeasonUnitStatsFieldGoals, "
    "threePointFieldGoals:TeamSeasonUnitStatsFieldGoals, freeThrows:TeamSeasonUnitStatsFieldGoals, "
    "rebounds:TeamBoxScoreRebounds, winShares:PlayerSeasonStatsWinShares",
)

# /stats/team/leaderboard
_model("TeamStatsLeaderboardConference", "id:num?, abbreviation:str?")
_model("TeamStatsLeaderboardRecordSummary", "games:num, wins:num, losses:num")
_model("TeamStatsLeaderboardSummary", "totalMinutes:num, trackedShots:num, pace:num?, rawNetRating:num?")
_model("TeamStatsLeaderboardUnitStatsPoints", "fastBreak:num, offTurnovers:num, inPaint:num, total:num")
_model("TeamStatsLeaderboardUnitStatsFieldGoals", "attempted:num, made:num")
_model("TeamStatsLeaderboardUnitStatsRebounds", "total:num, defensive:num, offensive:num")
_model("TeamStatsLeaderboardUnitStatsTurnovers", "technical:num, team:num, total:num")
_model("TeamStatsLeaderboardUnitStatsFouls", "flagrant:num, technical:num, total:num")
_model(
    "TeamStatsLeaderboardUnitStats",
    "points:TeamStatsLeaderboardUnitStatsPoints, possessions:num, rawOffensiveRating:num?, "
    "trueShootingPct:num?, effectiveFieldGoalPct:num?, turnoverRatio:num?, offensiveReboundPct:num?, "
    "freeThrowRate:num?, fieldGoals:TeamStatsLeaderboardUnitStatsFieldGoals, "
    "twoPointFieldGoals:TeamStatsLeaderboardUnitStatsFieldGoals, "
    "threePointFieldGoals:TeamStatsLeaderboardUnitStatsFieldGoals, "
    "freeThrows:TeamStatsLeaderboardUnitStatsFieldGoals, "
    "rebounds:TeamStatsLeaderboardUnitStatsRebounds, turnovers:TeamStatsLeaderboardUnitStatsTurnovers, "
    "fouls:TeamStatsLeaderboardUnitStatsFouls, assists:num, blocks:num, steals:num",
)
_model("TeamStatsLeaderboardShotProfileAtRim", "assistedPct:num?, pct:num?, rate:num?")
_model("TeamStatsLeaderboardShotProfileDunk", "rate:num?, assisted:num, made:num, attempts:num")
_model("TeamStatsLeaderboardShotProfileTipIn", "rate:num?, made:num, attempts:num")
_model(
    "TeamStatsLeaderboardShotProfileTwoPointJumper",
    "assistedPct:num?, pct:num?, rate:num?, assisted:num, made:num, attempts:num",
)
_model("TeamStatsLeaderboardShotProfileFreeThrows", "rate:num, made:num, attempts:num")
_model("TeamStatsLeaderboardShotProfileDistribution", "threeRate:num?, jumperRate:num?, midrangeRate:num?")
_model(
    "TeamStatsLeaderboardShotProfile",
    "assistedPct:num, atRim:TeamStatsLeaderboardShotProfileAtRim, "
    "dunk:TeamStatsLeaderboardShotProfileDunk, layup:TeamStatsLeaderboardShotProfileDunk, "
    "tipIn:TeamStatsLeaderboardShotProfileTipIn, "
    "twoPointJumper:TeamStatsLeaderboardShotProfileTwoPointJumper, "
    "threePointJumper:TeamStatsLeaderboardShotProfileTwoPointJumper, "
    "freeThrows:TeamStatsLeaderboardShotProfileFreeThrows, "
    "distribution:TeamStatsLeaderboardShotProfileDistribution",
)
_model("TeamLeaderboardAdjustedEfficiencyRankings", "net:num?, defense:num?, offense:num?")
_model(
    "TeamLeaderboardAdjustedEfficiency",
    "offensiveRating:num?, defensiveRating:num?, netRating:num?, "
    "rankings:TeamLeaderboardAdjustedEfficiencyRankings",
)
_model(
    "TeamStatsLeaderboardRecord",
    "season:int, teamId:int, team:str, conference:TeamStatsLeaderboardConference, "
    "record:TeamStatsLeaderboardRecordSummary, summary:TeamStatsLeaderboardSummary, "
    "teamStats:TeamStatsLeaderboardUnitStats, opponentStats:TeamStatsLeaderboardUnitStats, "
    "shotProfile:TeamStatsLeaderboardShotProfile, "
    "adjustedEfficiency:TeamLeaderboardAdjustedEfficiency?",
)

# /stats/team/shooting/season
_model(
    "SeasonShootingStats",
    "season:int, teamId:int, team:str, conference:str?, trackedShots:int, assistedPct:num, "
    "freeThrowRate:num, dunks:SeasonShootingStatsDunks, layups:SeasonShootingStatsDunks, "
    "tipIns:ShotTypeBreakdown, twoPointJumpers:SeasonShootingStatsDunks, "
    "threePointJumpers:SeasonShootingStatsDunks, freeThrows:ShotTypeBreakdown, "
    "attemptsBreakdown:SeasonShootingStatsAttemptsBreakdown",
)

# /stats/team/season
_model("TeamSeasonUnitStatsPoints", "fastBreak:num?, offTurnovers:num?, inPaint:num?, total:num?")
_model(
    "TeamSeasonUnitStats",
    "fieldGoals:TeamSeasonUnitStatsFieldGoals, twoPointFieldGoals:TeamSeasonUnitStatsFieldGoals, "
    "threePointFieldGoals:TeamSeasonUnitStatsFieldGoals, freeThrows:TeamSeasonUnitStatsFieldGoals, "
    "rebounds:TeamBoxScoreRebounds, turnovers:TeamSeasonUnitStatsTurnovers, "
    "fouls:TeamSeasonUnitStatsFouls, points:TeamSeasonUnitStatsPoints, "
    "fourFactors:TeamSeasonUnitStatsFourFactors, assists:num?, blocks:num?, steals:num?, "
    "possessions:num?, rating:num?, trueShooting:num?",
)
_model(
    "TeamSeasonStats",
    "season:int, seasonLabel:str, teamId:int, team:str, conference:str?, games:int, wins:num, "
    "losses:num, totalMinutes:num?, pace:num?, teamStats:TeamSeasonUnitStats, "
    "opponentStats:TeamSeasonUnitStats",
)

# /teams/directory
_model(
    "DirectoryTeam",
    "id:num, sourceId:str?, school:str, mascot:str?, abbreviation:str?, displayName:str?, "
    "shortDisplayName:str?, conferenceId:num",
)
_model("Conference", "id:num, name:str, abbreviation:str")
_model("TeamDirectory", "season:num, seasonLabel:str, teams:[DirectoryTeam], conferences:[Conference]")

# /teams/{teamId}/season/{season}/overview
_model("TeamSeasonOverviewTeam", "conference:Conference, sourceId:str?, mascot:str?, school:str")
_model("CountRecord", "games:num, wins:num, losses:num, unresolved:num")
_model(
    "TeamSeasonOverviewRecord",
    "unknownConferenceGames:num, unknownEligibilityGames:num, complete:bool, conference:CountRecord, "
    "overall:CountRecord",
)
_model("PollStanding", "state:str, date:str?, week:num?, seasonType:str?, rank:num?")
_model("TeamSeasonOverviewRatingsPolls", "coaches:PollStanding, ap:PollStanding")
_model("RatedValue", "value:num, rank:num")
_model("AdjustedRatings", "offense:RatedValue, defense:RatedValue, net:RatedValue, population:num")
_model(
    "TeamSeasonOverviewRatings",
    "polls:TeamSeasonOverviewRatingsPolls, srs:num?, elo:num?, adjusted:AdjustedRatings?",
)
_model("ShootingLine", "made:num?, attempted:num?, pct:num?")
_model(
    "TeamBoxScore",
    "fieldGoals:ShootingLine, twoPointFieldGoals:ShootingLine, threePointFieldGoals:ShootingLine, "
    "freeThrows:ShootingLine, rebounds:TeamBoxScoreRebounds, assists:num?, steals:num?, blocks:num?, "
    "turnovers:num?, fouls:num?, minutes:num?, teamTurnovers:num?, technicalFouls:num?, "
    "flagrantFouls:num?, pointsInPaint:num?, pointsOffTurnovers:num?, fastBreakPoints:num?, "
    "trueShootingPct:num?",
)
_model(
    "UnitMetrics",
    "boxScore:TeamBoxScore?, points:num?, possessions:num?, rawRating:num?, "
    "effectiveFieldGoalPct:num?, turnoverPct:num?, offensiveReboundPct:num?, freeThrowRate:num?",
)
_model("Coverage", "state:Availability, reason:Reason?, eligibleGames:num, coveredGames:num")
_model(
    "TeamSeasonOverviewEfficiency",
    "defense:UnitMetrics, offense:UnitMetrics, paceGames:num, pace:num?, coverage:Coverage",
)
_model("ShotBucket", "key:str, attempts:num, made:num, attemptPct:num?, fieldGoalPct:num?")
_model("TeamSeasonOverviewShooting", "buckets:[ShotBucket], trackedAttempts:num, coverage:Coverage")
_model("PlayerSeasonDetailsAdvancedWinShares", "per40:num?, total:num?, defensive:num?, offensive:num?")
_model(
    "PlayerSeasonDetailsAdvanced",
    "winShares:PlayerSeasonDetailsAdvancedWinShares, porpag:num?, netRating:num?, "
    "defensiveRating:num?, offensiveRating:num?, games:num",
)
_model(
    "PlayerSeasonDetails",
    "fieldGoals:ShootingLine, twoPointFieldGoals:ShootingLine, threePointFieldGoals:ShootingLine, "
    "freeThrows:ShootingLine, rebounds:TeamBoxScoreRebounds, assists:num?, steals:num?, blocks:num?, "
    "turnovers:num?, fouls:num?, starts:num?, assistTurnoverRatio:num?, freeThrowRate:num?, "
    "offensiveReboundPct:num?, advanced:PlayerSeasonDetailsAdvanced",
)
_model(
    "ProfilePlayer",
    "seasonStats:PlayerSeasonDetails?, athleteId:num, name:str, position:str?, onRoster:bool, "
    "hasStats:bool, games:num?, minutes:num?, points:num?, rebounds:num?, assists:num?, "
    "minutesPerGame:num?, pointsPerGame:num?, usagePct:num?, trueShootingPct:num?, "
    "effectiveFieldGoalPct:num?, usageGames:num, complete:bool",
)
_model("TeamSeasonOverviewPlayers", "rows:[ProfilePlayer], coverage:Coverage")
_model(
    "ProfileGame",
    "id:num, opponentId:num, opponent:str, opponentHasProfile:bool, startDate:str, calendarDate:str, "
    "startTimeTbd:bool, location:str, status:str, seasonType:str, gameType:str?, eligibility:str, "
    "conferenceGame:bool?, teamPoints:num?, opponentPoints:num?, result:str?, venue:str?",
)
_model("TeamSeasonOverviewSchedule", "games:[ProfileGame]")
_model("TeamSeasonOverviewSources", "notes:[str], latestFinalStartDate:str?, leaderboardUpdatedAt:str?")
_model(
    "TeamSeasonOverview",
    "formatVersion:num, teamId:num, season:num, seasonLabel:str, generatedAt:str, "
    "team:TeamSeasonOverviewTeam, record:TeamSeasonOverviewRecord, ratings:TeamSeasonOverviewRatings, "
    "efficiency:TeamSeasonOverviewEfficiency, shooting:TeamSeasonOverviewShooting, "
    "players:TeamSeasonOverviewPlayers, schedule:TeamSeasonOverviewSchedule, "
    "sources:TeamSeasonOverviewSources",
)

# /teams/roster
_model(
    "TeamRosterPlayerHometown",
    "countyFips:str?, longitude:num?, latitude:num?, country:str?, state:str?, city:str?",
)
_model(
    "TeamRosterPlayer",
    "id:int, sourceId:str, name:str, firstName:str?, lastName:str?, jersey:str?, position:str?, "
    "height:num?, weight:num?, hometown:TeamRosterPlayerHometown, dateOfBirth:date?, startSeason:num, "
    "endSeason:num",
)
_model(
    "TeamRoster",
    "teamId:int, teamSourceId:str, team:str, conference:str?, season:num, players:[TeamRosterPlayer]",
)

# /teams
_model(
    "TeamInfo",
    "id:int, sourceId:str, school:str, mascot:str?, abbreviation:str?, displayName:str?, "
    "shortDisplayName:str?, primaryColor:str?, secondaryColor:str?, currentVenueId:int?, "
    "currentVenue:str?, currentCity:str?, currentState:str?, conferenceId:int?, conference:str?, "
    "logos:[str]?",
)

# /venues
_model("VenueInfo", "id:num, sourceId:str?, name:str, city:str?, state:str?, country:str?")
