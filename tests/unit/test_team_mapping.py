"""The BartTorvik -> canonical team mapping covers every saved sample and joins CBBD correctly.

The samples are read independently of scripts/build_team_mapping.py, so a wrong hand edit of the JSON
(or a wrong rule in the script) fails here: ratings pair the two 2015 downloads row by row, BartTorvik's
2025 conferences must equal CBBD's, and the ESPN crosswalk must agree with CBBD's sourceId.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from devkit.samples import read_rows, samples_dir
from hoops import settings
from hoops.barttorvik.teams import Team, TeamMapping

BT_TO_CBBD_CONF = {
    "A10": "A-10", "ACC": "ACC", "AE": "Am. East", "ASun": "ASUN", "Amer": "American", "B10": "Big Ten",
    "B12": "Big 12", "BE": "Big East", "BSky": "Big Sky", "BSth": "Big South", "BW": "Big West", "CAA": "CAA",
    "CUSA": "CUSA", "Horz": "Horizon", "Ivy": "Ivy", "MAAC": "MAAC", "MAC": "MAC", "MEAC": "MEAC",
    "MVC": "MVC", "MWC": "Mountain West", "NEC": "NEC", "OVC": "OVC", "Pat": "Patriot", "SB": "Sun Belt",
    "SC": "SoCon", "SEC": "SEC", "SWAC": "SWAC", "Slnd": "Southland", "Sum": "Summit", "WAC": "WAC",
    "WCC": "WCC",
}  # fmt: skip

# Entries of the llimllib ESPN crosswalk that are wrong upstream (see scripts/build_team_mapping.py).
ESPN_CROSSWALK_ERRATA = {"Fairleigh Dickinson", "Mercyhurst", "Tarleton St.", "West Georgia"}


# ---- sample readers (positional, header ignored) ---------------------------------------------------------


def _samples() -> Path:
    path = samples_dir()
    assert (path / "barttorvik").is_dir(), f"BartTorvik samples not found at {path} (set HOOPS_SAMPLES_DIR)"
    return path


def _sample_names() -> dict[str, set[str]]:
    """{file: team names} for every file under samples/barttorvik."""
    bt = _samples() / "barttorvik"
    out: dict[str, set[str]] = {}
    for p in sorted((bt / "timemachine").iterdir()):
        out[p.name] = {row[1] for row in read_rows(p)}
    for p in sorted((bt / "season_csv").iterdir()):
        out[p.name] = {row[1] for row in read_rows(p)}
    espn = bt / "crosswalks" / "torvik_name_to_espn_id__llimllib.json"
    out[espn.name] = set(json.loads(espn.read_text(encoding="utf-8")))
    kaggle = bt / "crosswalks" / "kaggle_teamid_to_torvik__nolanmartzke.csv"
    with open(kaggle, newline="", encoding="utf-8") as f:
        out[kaggle.name] = {row["team"] for row in csv.DictReader(f)}
    return out


def _season_file(prefix: str) -> Path:
    (path,) = (_samples() / "barttorvik" / "season_csv").glob(f"{prefix}*.csv")
    return path


def _cbbd(name: str) -> list[dict]:
    return json.loads((_samples() / "cbbd" / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mapping() -> TeamMapping:
    return TeamMapping.load()


@pytest.fixture(scope="module")
def cbbd_all() -> dict[int, dict]:
    return {t["id"]: t for t in _cbbd("teams__no-params.json")}


@pytest.fixture(scope="module")
def cbbd_2025() -> dict[int, dict]:
    return {t["id"]: t for t in _cbbd("teams__season-2025.json")}


# ---- coverage ---------------------------------------------------------------------------------------------


def test_samples_are_all_read() -> None:
    """Guard against a vacuous pass: every sample file is seen and holds the expected number of teams."""
    names = _sample_names()
    assert len(names) == 7 + 5 + 2, sorted(names)
    assert all(len(v) >= 350 for v in names.values()), {k: len(v) for k, v in names.items()}
    assert len(set().union(*names.values())) == 380


def test_every_sample_name_resolves(mapping: TeamMapping) -> None:
    unmapped = {
        f"{file}: {name!r}" for file, names in _sample_names().items() for name in names
        if mapping.resolve(name) is None
    }  # fmt: skip
    assert not unmapped, "unmapped BartTorvik names:\n" + "\n".join(sorted(unmapped))


def test_each_file_maps_to_distinct_teams(mapping: TeamMapping) -> None:
    """Two names in one snapshot are two teams: a shared team_id would merge their rows."""
    for file, names in _sample_names().items():
        ids = [mapping.resolve(n).team_id for n in names]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        assert not dupes, f"{file}: several names map to {dupes}"


# ---- renames ----------------------------------------------------------------------------------------------

RENAMES = [
    ("North Carolina St.", "N.C. State", "nc-state"),
    ("IUPUI", "IU Indy", "iu-indy"),
    ("IPFW", "Purdue Fort Wayne", "purdue-fort-wayne"),
    ("Fort Wayne", "Purdue Fort Wayne", "purdue-fort-wayne"),
    ("Arkansas Little Rock", "Little Rock", "little-rock"),
    ("Houston Baptist", "Houston Christian", "houston-christian"),
    ("Texas A&M Commerce", "East Texas A&M", "east-texas-am"),
    ("College of Charleston", "Charleston", "charleston"),
    ("Detroit", "Detroit Mercy", "detroit-mercy"),
    ("LIU Brooklyn", "LIU", "liu"),
    ("Louisiana Lafayette", "Louisiana", "louisiana"),
    ("St. Francis PA", "Saint Francis", "saint-francis"),
]


@pytest.mark.parametrize(("old", "new", "team_id"), RENAMES)
def test_renames_resolve_to_the_current_team(mapping: TeamMapping, old: str, new: str, team_id: str) -> None:
    old_team, new_team = mapping.resolve(old), mapping.resolve(new)
    assert old_team is not None and new_team is not None
    assert old_team.team_id == new_team.team_id == team_id
    assert new_team.name == new


def test_2015_downloads_pair_row_by_row(mapping: TeamMapping) -> None:
    """The 2015 season saved in 2024 (old names) and ~2026 (new names): same ratings => same team_id."""
    old = read_rows(_season_file("2015_team_results__jbrijs"))
    new = read_rows(_season_file("2015_team_results__nolanmartzke"))
    by_rating = {(round(float(r[4]), 6), round(float(r[6]), 6)): r[1] for r in new}
    assert len(old) == len(new) == len(by_rating) == 351
    wrong = []
    for r in old:
        twin = by_rating[(round(float(r[4]), 6), round(float(r[6]), 6))]
        if mapping.resolve(r[1]).team_id != mapping.resolve(twin).team_id:
            wrong.append((r[1], twin))
    assert not wrong


def test_old_snapshots_cover_the_same_teams(mapping: TeamMapping) -> None:
    """2015 time machine (old names) = 2015 season (new names); 2024 (old names) + 2 newcomers = 2025."""
    tm = _samples() / "barttorvik" / "timemachine" / "20150314_team_results.json.gz"
    tm15 = {mapping.resolve(r[1]).team_id for r in read_rows(tm)}
    s15 = {mapping.resolve(r[1]).team_id for r in read_rows(_season_file("2015_team_results__nolanmartzke"))}
    assert tm15 == s15
    s24 = {mapping.resolve(r[1]).team_id for r in read_rows(_season_file("2024_"))}
    s25 = {mapping.resolve(r[1]).team_id for r in read_rows(_season_file("2025_"))}
    assert s25 - s24 == {"mercyhurst", "west-georgia"} and not s24 - s25


# ---- CBBD -------------------------------------------------------------------------------------------------


def test_cbbd_ids_exist_and_are_unique(mapping: TeamMapping, cbbd_all: dict[int, dict]) -> None:
    ids = [t.cbbd_team_id for t in mapping.teams if t.cbbd_team_id is not None]
    assert len(ids) == len(set(ids))
    for team in mapping.teams:
        if team.cbbd_team_id is None:
            continue
        assert team.cbbd_team_id in cbbd_all, team
        assert cbbd_all[team.cbbd_team_id]["school"] == team.cbbd_school, team


def _season_files() -> dict[int, set[str]]:
    """{season: team names} from the time-machine files (date's spring year) and season CSVs (their year)."""
    out: dict[int, set[str]] = {}
    bt = _samples() / "barttorvik"
    for p in (bt / "timemachine").iterdir():
        day = p.name[:8]
        season = int(day[:4]) + (int(day[4:6]) >= 8)
        out.setdefault(season, set()).update(row[1] for row in read_rows(p))
    for p in (bt / "season_csv").glob("*.csv"):
        out.setdefault(int(p.name[:4]), set()).update(row[1] for row in read_rows(p))
    return out


def test_every_name_of_a_season_maps_to_cbbd_or_is_a_documented_gap(mapping: TeamMapping) -> None:
    """Per season, a BartTorvik name has a CBBD id or is in include/data/team_mapping_gaps.json with its
    reason and season. Today that is one team: New Haven, D1 from 2025-26, has no CBBD id in the samples."""
    doc = json.loads((settings.data_dir() / "team_mapping_gaps.json").read_text(encoding="utf-8"))
    listed = {(g["name"], season) for g in doc["gaps"] for season in g["seasons"]}
    unmapped = {
        (mapping.resolve(name).name, season)
        for season, names in _season_files().items()
        for name in names
        if mapping.resolve(name).cbbd_team_id is None
    }
    assert unmapped == listed == {("New Haven", 2026)}
    assert all(g["reason"] for g in doc["gaps"]) and "D1 from 2025-26" in doc["gaps"][0]["reason"]
    assert set(_season_files()) == {2015, 2016, 2017, 2018, 2019, 2020, 2024, 2025, 2026}  # not vacuous


def test_every_2025_d1_team_is_mapped(mapping: TeamMapping, cbbd_2025: dict[int, dict]) -> None:
    mapped = {
        mapping.resolve(r[1]).cbbd_team_id
        for prefix in ("2025_", "2026_") for r in read_rows(_season_file(prefix))
    }  # fmt: skip
    missing = sorted(cbbd_2025[i]["school"] for i in set(cbbd_2025) - mapped)
    assert not missing, f"CBBD 2025 D1 teams no BartTorvik name maps to: {missing}"


def test_2025_conferences_agree(mapping: TeamMapping, cbbd_2025: dict[int, dict]) -> None:
    """Independent check of every D1 match: BartTorvik's 2025 conference equals CBBD's 2025 conference."""
    wrong = []
    for r in read_rows(_season_file("2025_")):
        team = mapping.resolve(r[1])
        cbbd = cbbd_2025.get(team.cbbd_team_id)
        if cbbd is None or cbbd["conference"] != BT_TO_CBBD_CONF[r[2]]:
            wrong.append((r[1], r[2], cbbd and (cbbd["school"], cbbd["conference"])))
    assert not wrong


def test_espn_crosswalk_agrees_with_cbbd_source_id(mapping: TeamMapping, cbbd_all: dict[int, dict]) -> None:
    path = _samples() / "barttorvik" / "crosswalks" / "torvik_name_to_espn_id__llimllib.json"
    espn = json.loads(path.read_text(encoding="utf-8"))
    disagree = {
        name for name, espn_id in espn.items()
        if cbbd_all[mapping.resolve(name).cbbd_team_id]["sourceId"] != str(espn_id)
    }  # fmt: skip
    assert disagree == ESPN_CROSSWALK_ERRATA


@pytest.mark.parametrize(
    ("name", "school"),
    [
        ("Connecticut", "UConn"),
        ("Mississippi", "Ole Miss"),
        ("Miami FL", "Miami"),
        ("Miami OH", "Miami (OH)"),
        ("N.C. State", "NC State"),
        ("USC", "USC"),
        ("South Carolina", "South Carolina"),
        ("USC Upstate", "South Carolina Upstate"),
        ("Loyola Chicago", "Loyola Chicago"),
        ("Loyola MD", "Loyola Maryland"),
        ("Loyola Marymount", "Loyola Marymount"),
        ("Saint Francis", "St. Francis (PA)"),
        ("St. Francis NY", "St. Francis Brooklyn"),
        ("Texas A&M Corpus Chris", "Texas A&M-Corpus Christi"),
        ("Gardner Webb", "Gardner-Webb"),
        ("LIU Brooklyn", "Long Island University"),
        ("Hartford", "Hartford"),
        ("Savannah St.", "Savannah State"),
        ("Holy Cross", "Holy Cross"),
    ],
)
def test_known_cbbd_matches(mapping: TeamMapping, cbbd_all: dict[int, dict], name: str, school: str) -> None:
    team = mapping.resolve(name)
    assert team is not None and team.cbbd_school == school
    # 'Holy Cross' is also a non-D1 school in CBBD: the D1 one (Patriot League) is meant.
    if name == "Holy Cross":
        assert cbbd_all[team.cbbd_team_id]["conference"] == "Patriot"


@pytest.mark.parametrize(
    "names",
    [
        ("St. Francis PA", "Saint Francis", "St. Francis NY"),
        ("Miami FL", "Miami OH"),
        ("Loyola Chicago", "Loyola MD", "Loyola Marymount"),
        ("USC", "South Carolina", "USC Upstate"),
        ("Charleston", "Charleston Southern"),
        ("Houston", "Houston Christian", "Sam Houston St."),
        ("Texas A&M", "Texas A&M Corpus Chris", "East Texas A&M"),
        ("Indiana", "IU Indy", "Purdue Fort Wayne", "Purdue"),
    ],
)
def test_look_alikes_are_different_teams(mapping: TeamMapping, names: tuple[str, ...]) -> None:
    teams = [mapping.resolve(n) for n in names]
    # 'St. Francis PA' and 'Saint Francis' are one school: compare schools, not spellings.
    distinct = {t.team_id for t in teams}
    expected = len({mapping.resolve(n).name for n in names})
    assert len(distinct) == expected
    assert len({t.cbbd_team_id for t in teams}) == expected
    if names[0] == "St. Francis PA":
        assert teams[0] == teams[1] != teams[2]


# ---- the module -------------------------------------------------------------------------------------------


def test_unknown_names_return_none(mapping: TeamMapping) -> None:
    for name in ("Not A Team", "", "UConn", "Ole Miss", "duke", "North Carolina State", "St Francis PA"):
        assert mapping.resolve(name) is None, name
    assert mapping.resolve("  Duke\n") == mapping.resolve("Duke")


def test_shape_and_stable_output(mapping: TeamMapping) -> None:
    path = settings.data_dir() / "team_mapping.json"
    text = path.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert text == json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    ids = [t["team_id"] for t in doc["teams"]]
    assert ids == sorted(ids)
    assert len(mapping) == len(ids) == 368
    assert sum(len(t.aliases) for t in mapping.teams) == 380
    for team in mapping.teams:
        assert isinstance(team, Team)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", team.team_id), team.team_id
        assert team.aliases[0] == team.name


def test_default_load_is_cached() -> None:
    assert TeamMapping.load() is TeamMapping.load()


def _write(tmp_path: Path, teams: list[dict]) -> Path:
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps({"version": 1, "teams": teams}), encoding="utf-8")
    return path


def _entry(team_id: str, *aliases: str) -> dict:
    return {"team_id": team_id, "name": aliases[0], "cbbd_team_id": None, "cbbd_school": None,
            "aliases": list(aliases)}  # fmt: skip


def test_load_from_path(tmp_path: Path) -> None:
    m = TeamMapping.load(_write(tmp_path, [_entry("a", "A", "Old A"), _entry("b", "B")]))
    assert len(m) == 2 and m.resolve("Old A") == m.resolve("A") == m.by_team_id("a")
    assert m.resolve("C") is None


def test_duplicated_alias_raises(tmp_path: Path) -> None:
    path = _write(
        tmp_path, [_entry("miami-fl", "Miami FL", "Miami"), _entry("miami-oh", "Miami OH", "Miami")]
    )
    with pytest.raises(ValueError, match="alias 'Miami' appears twice"):
        TeamMapping.load(path)


def test_duplicated_team_id_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="team_id 'a' appears twice"):
        TeamMapping.load(_write(tmp_path, [_entry("a", "A"), _entry("a", "B")]))


def test_malformed_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"teams": [{"team_id": "a"}]}), encoding="utf-8")
    with pytest.raises(ValueError):
        TeamMapping.load(path)
    path.write_text(json.dumps({"version": 1, "teams": [{"team_id": "a"}]}), encoding="utf-8")
    with pytest.raises(ValueError, match="malformed"):
        TeamMapping.load(path)


def test_committed_file_matches_the_build_script() -> None:
    """The JSON is generated: rerunning the verified build must reproduce it byte for byte."""
    root = settings.PROJECT_ROOT
    script = root / "scripts" / "build_team_mapping.py"
    env = {**os.environ, "PYTHONPATH": str(root / "plugins"), "HOOPS_SAMPLES_DIR": str(_samples())}
    proc = subprocess.run(
        [sys.executable, str(script), "--check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
