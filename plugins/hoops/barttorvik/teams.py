"""BartTorvik team names -> one canonical team, so BartTorvik snapshots join CollegeBasketballData (CBBD).

BartTorvik renames schools retroactively in its season files but its time-machine snapshots keep the name
of their day (`North Carolina St.` vs `N.C. State`, `IUPUI` vs `IU Indy`), so one team has several
spellings over time. The mapping lives in `include/data/team_mapping.json`, generated and verified by
`scripts/build_team_mapping.py` (edit the script, not the JSON):

    {"version": 1,
     "teams": [{"team_id": "nc-state",            # stable slug of the current BartTorvik name
                "name": "N.C. State",             # current BartTorvik spelling
                "cbbd_team_id": 185,              # CBBD /teams `id`; null (with "note") if CBBD lacks it
                "cbbd_school": "NC State",        # CBBD `school`, for people reading the file
                "aliases": ["N.C. State", "North Carolina St."]},   # every BartTorvik spelling
               ...]}

Resolution is an exact match on an alias (surrounding whitespace stripped), never fuzzy: an unknown name
returns None so the pipeline quarantines the row instead of guessing a look-alike school
(`St. Francis PA` vs `St. Francis NY`, `Miami FL` vs `Miami OH`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hoops import settings

MAPPING_FILE = "team_mapping.json"


@dataclass(frozen=True)
class Team:
    team_id: str
    name: str
    cbbd_team_id: int | None
    cbbd_school: str | None
    aliases: tuple[str, ...]


class TeamMapping:
    """An immutable alias -> Team index, validated on construction."""

    def __init__(self, teams: list[Team]) -> None:
        by_id: dict[str, Team] = {}
        by_alias: dict[str, Team] = {}
        for team in teams:
            if team.team_id in by_id:
                raise ValueError(f"team mapping: team_id {team.team_id!r} appears twice")
            by_id[team.team_id] = team
            if team.name not in team.aliases:
                raise ValueError(
                    f"team mapping: {team.team_id!r} does not list its name {team.name!r} as alias"
                )
            for alias in team.aliases:
                key = alias.strip()
                if key in by_alias:
                    raise ValueError(
                        f"team mapping: alias {key!r} appears twice "
                        f"({by_alias[key].team_id!r} and {team.team_id!r})"
                    )
                by_alias[key] = team
        self._teams = list(teams)
        self._by_alias = by_alias
        self._by_id = by_id

    @classmethod
    def load(cls, path: str | Path | None = None) -> TeamMapping:
        """Load the mapping; the default file is read once per process (it only changes with a deploy)."""
        if path is None:
            return _load_default()
        return cls.from_file(Path(path))

    @classmethod
    def from_file(cls, path: Path) -> TeamMapping:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("teams"), list):
            raise ValueError(f"team mapping {path}: expected {{'version': 1, 'teams': [...]}}")
        try:
            teams = [
                Team(
                    team_id=t["team_id"],
                    name=t["name"],
                    cbbd_team_id=t["cbbd_team_id"],
                    cbbd_school=t["cbbd_school"],
                    aliases=tuple(t["aliases"]),
                )
                for t in doc["teams"]
            ]
        except (KeyError, TypeError) as exc:
            raise ValueError(f"team mapping {path}: malformed team entry ({exc!r})") from exc
        return cls(teams)

    def resolve(self, name: str) -> Team | None:
        """The team for an exact BartTorvik spelling, or None (caller quarantines unknown names)."""
        return self._by_alias.get(name.strip())

    def by_team_id(self, team_id: str) -> Team | None:
        return self._by_id.get(team_id)

    @property
    def teams(self) -> list[Team]:
        return list(self._teams)

    def __len__(self) -> int:
        return len(self._teams)

    def __iter__(self) -> Iterator[Team]:
        return iter(self._teams)


@functools.lru_cache(maxsize=1)
def _load_default() -> TeamMapping:
    return TeamMapping.from_file(settings.data_dir() / MAPPING_FILE)
