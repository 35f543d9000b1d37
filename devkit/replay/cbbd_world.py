"""What every CBBD handler reads: the reference data, the server's knobs and a few built seasons.

Seasons are built on first use and kept in a small LRU (a full season is ~6,000 games, ~0.15 s to
build), so a sweep across 25 seasons never holds them all.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from devkit.replay.cbbd_data import FIRST_SEASON, LAST_SEASON, Reference, Team, reference, teams_at_scale
from devkit.replay.cbbd_schedule import Universe, build_universe

SEASONS_KEPT = 3


def season_of(day: dt.date) -> int:
    """Seasons are named by the year they end in: November 2023 is season 2024."""
    return day.year + 1 if day.month >= 8 else day.year


@dataclass
class World:
    samples_dir: Path
    scale: float = 1.0
    plays_per_game: int | None = None
    today: Callable[[], dt.date] = dt.date.today
    _seasons: OrderedDict[int, Universe] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def ref(self) -> Reference:
        return reference(self.samples_dir)

    @cached_property
    def teams(self) -> tuple[Team, ...]:
        return teams_at_scale(self.ref, self.scale)

    @cached_property
    def team_by_name(self) -> dict[str, Team]:
        return {t.school.casefold(): t for t in self.teams}

    @cached_property
    def team_by_id(self) -> dict[int, Team]:
        return {t.id: t for t in self.teams}

    def current_season(self) -> int:
        return min(LAST_SEASON, max(FIRST_SEASON, season_of(self.today())))

    def universe(self, season: int) -> Universe | None:
        """The season's games, or None outside the seasons the replay covers."""
        if not FIRST_SEASON <= season <= LAST_SEASON:
            return None
        with self._lock:
            built = self._seasons.get(season)
            if built is None:
                built = build_universe(self.ref, season, self.scale)
                self._seasons[season] = built
                while len(self._seasons) > SEASONS_KEPT:
                    self._seasons.popitem(last=False)
            else:
                self._seasons.move_to_end(season)
            return built
