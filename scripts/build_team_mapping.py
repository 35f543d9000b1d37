"""Build include/data/team_mapping.json: every BartTorvik team spelling -> canonical team_id + CBBD id.

Run from the project root:  .venv/bin/python scripts/build_team_mapping.py [--check]

Why a script and not hand edits: the mapping is derived from the saved samples, and every match is
re-verified on each run instead of trusted once:

1. Old BartTorvik spellings are folded onto the current name through ``RENAMES`` (hand-written, from the
   reference note). Each rename is checked: the old and new name never occur in the same file, the 2015
   season copies (2024-03 vs ~2026-03 downloads) pair up row by row on the same ratings, and the renamed
   2015 time machine / 2024 season name sets equal the current 2015 / 2025 sets.
2. Each current name is matched to CBBD by normalised name ("St." -> "State", punctuation dropped), with
   ``CBBD_OVERRIDES`` for the names where BartTorvik and CBBD spell the school differently. Independent
   evidence must agree: the ESPN id crosswalk (CBBD ``sourceId`` is the ESPN id; the entries listed in
   ``ESPN_CROSSWALK_ERRATA`` are known wrong in that file) and, for every 2025 team, BartTorvik's
   conference equal to CBBD's 2025 conference. The 2025 BartTorvik teams must map one-to-one onto the
   364 CBBD 2025 D1 teams.

3. A name left without a CBBD id must be in ``NO_CBBD_TEAM`` with the reason; the script also writes those
   known gaps, with the seasons whose BartTorvik files list the team, to include/data/team_mapping_gaps.json
   (BartTorvik rows of such a team load into Postgres but cannot join CBBD in gold).

Any failed check stops the script with a message; nothing is written then. ``--check`` compares the
results with the committed files instead of writing them.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

from devkit.samples import read_rows, samples_dir
from hoops import settings

# Old BartTorvik spelling -> current BartTorvik spelling (same program). Source: reference note section 4.
RENAMES: dict[str, str] = {
    "Arkansas Little Rock": "Little Rock",
    "College of Charleston": "Charleston",
    "Detroit": "Detroit Mercy",
    "Fort Wayne": "Purdue Fort Wayne",
    "Houston Baptist": "Houston Christian",
    "IPFW": "Purdue Fort Wayne",
    "IUPUI": "IU Indy",
    "LIU Brooklyn": "LIU",
    "Louisiana Lafayette": "Louisiana",
    "North Carolina St.": "N.C. State",
    "St. Francis PA": "Saint Francis",
    "Texas A&M Commerce": "East Texas A&M",
}

# Current BartTorvik name -> CBBD `school` where the normalised names differ. Each one is still checked
# against the ESPN crosswalk and the 2025 conference.
CBBD_OVERRIDES: dict[str, str] = {
    "Albany": "UAlbany",
    "American": "American University",
    "Appalachian St.": "App State",
    "Arkansas Pine Bluff": "Arkansas-Pine Bluff",
    "Bethune Cookman": "Bethune-Cookman",
    "Cal Baptist": "California Baptist",
    "Cal St. Bakersfield": "Cal State Bakersfield",
    "Cal St. Fullerton": "Cal State Fullerton",
    "Cal St. Northridge": "Cal State Northridge",
    "Connecticut": "UConn",
    "FIU": "Florida International",
    "Gardner Webb": "Gardner-Webb",
    "Grambling St.": "Grambling",
    "Hawaii": "Hawai'i",
    "IU Indy": "IU Indianapolis",
    "Illinois Chicago": "UIC",
    "LIU": "Long Island University",
    "Louisiana Monroe": "UL Monroe",
    "Loyola MD": "Loyola Maryland",
    "McNeese St.": "McNeese",
    "Miami FL": "Miami",
    "Miami OH": "Miami (OH)",
    "Mississippi": "Ole Miss",
    "Nebraska Omaha": "Omaha",
    "Nicholls St.": "Nicholls",
    "Penn": "Pennsylvania",
    "Queens": "Queens University",
    "Saint Francis": "St. Francis (PA)",
    "Sam Houston St.": "Sam Houston",
    "San Jose St.": "San José State",
    "Seattle": "Seattle U",
    "Southeastern Louisiana": "SE Louisiana",
    "St. Francis NY": "St. Francis Brooklyn",
    "St. Thomas": "St. Thomas-Minnesota",
    "Tennessee Martin": "UT Martin",
    "Texas A&M Corpus Chris": "Texas A&M-Corpus Christi",
    "UMKC": "Kansas City",
    "USC Upstate": "South Carolina Upstate",
}

# Entries of torvik_name_to_espn_id__llimllib.json that point at the wrong ESPN team (checked by school name,
# conference and the CBBD sourceId of the right school). Listed so that any *new* disagreement still fails.
ESPN_CROSSWALK_ERRATA: dict[str, str] = {
    "Fairleigh Dickinson": "2218 is Faith Baptist Bible in CBBD; FDU is sourceId 161",
    "Mercyhurst": "2783 is not in CBBD; Mercyhurst is sourceId 2385",
    "Tarleton St.": "2867 is not in CBBD; Tarleton State is sourceId 2627",
    "West Georgia": "2696 is not in CBBD; West Georgia is sourceId 2698",
}

# Current names with no CBBD team in either sample, and why.
NO_CBBD_TEAM: dict[str, str] = {
    "New Haven": (
        "New Haven (NEC, D1 from 2025-26) is not in the CBBD samples captured 2025-03 (no /teams row "
        "under any spelling); fill in from a fresh GET /teams."
    ),
}

# Notes kept on a team for people reading the file.
TEAM_NOTES: dict[str, str] = {
    "LIU": (
        "CBBD also lists a non-D1 'LIU Brooklyn' (id 1243, sourceId 6446, no conference); the D1 program, "
        "including the LIU Brooklyn seasons, is 'Long Island University'."
    ),
}

BT_TO_CBBD_CONF: dict[str, str] = {
    "A10": "A-10", "ACC": "ACC", "AE": "Am. East", "ASun": "ASUN", "Amer": "American", "B10": "Big Ten",
    "B12": "Big 12", "BE": "Big East", "BSky": "Big Sky", "BSth": "Big South", "BW": "Big West", "CAA": "CAA",
    "CUSA": "CUSA", "Horz": "Horizon", "Ivy": "Ivy", "MAAC": "MAAC", "MAC": "MAC", "MEAC": "MEAC",
    "MVC": "MVC", "MWC": "Mountain West", "NEC": "NEC", "OVC": "OVC", "Pat": "Patriot", "SB": "Sun Belt",
    "SC": "SoCon", "SEC": "SEC", "SWAC": "SWAC", "Slnd": "Southland", "Sum": "Summit", "WAC": "WAC",
    "WCC": "WCC",
}  # fmt: skip


class BuildError(Exception):
    pass


def slug(name: str) -> str:
    """Stable team_id from the current BartTorvik name.

    A trailing 'St.' (and 'Cal St.') is spelled 'state'; a leading 'St.' is Saint and stays 'st'; ascii,
    lowercase, '.', "'" and '&' dropped: 'N.C. State' -> 'nc-state', 'Michigan St.' -> 'michigan-state',
    'Cal St. Fullerton' -> 'cal-state-fullerton', "St. John's" -> 'st-johns', 'Texas A&M' -> 'texas-am'.
    """
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"^cal st\. ", "cal state ", re.sub(r" st\.$", " state", s))
    s = re.sub(r"[.'&]", "", s)
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


def norm(name: str) -> str:
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"\bst\.?$", "state", s)
    s = re.sub(r"[.'()]", "", s).replace("-", " ")
    return re.sub(r"\s+", " ", s).strip()


# ---- reading the samples --------------------------------------------------------------------------------


def read_barttorvik(bt_dir: Path) -> dict[str, dict[str, str | None]]:
    """{file label: {team name: conf or None}} for every sample file."""
    files: dict[str, dict[str, str | None]] = {}
    for p in sorted((bt_dir / "timemachine").iterdir()):
        files[f"timemachine/{p.name}"] = {r[1]: r[2] for r in read_rows(p)}
    for p in sorted((bt_dir / "season_csv").glob("*.csv")):
        files[f"season_csv/{p.name}"] = {r[1]: r[2] for r in read_rows(p)}
    espn = bt_dir / "crosswalks" / "torvik_name_to_espn_id__llimllib.json"
    files[f"crosswalks/{espn.name}"] = dict.fromkeys(json.loads(espn.read_text(encoding="utf-8")))
    kaggle = bt_dir / "crosswalks" / "kaggle_teamid_to_torvik__nolanmartzke.csv"
    with open(kaggle, newline="", encoding="utf-8") as f:
        files[f"crosswalks/{kaggle.name}"] = {row["team"]: None for row in csv.DictReader(f)}
    return files


def _one(files: dict[str, dict], prefix: str) -> dict:
    hits = [v for k, v in files.items() if k.startswith(prefix)]
    if len(hits) != 1:
        raise BuildError(f"expected one sample file starting {prefix!r}, found {len(hits)}")
    return hits[0]


# ---- checks ---------------------------------------------------------------------------------------------


def check_renames(files: dict[str, dict], bt_dir: Path) -> None:
    for old, new in RENAMES.items():
        if new in RENAMES:
            raise BuildError(f"rename target {new!r} is itself renamed")
        if not any(old in names for names in files.values()):
            raise BuildError(f"rename {old!r} does not occur in the samples")
        both = [k for k, names in files.items() if old in names and new in names]
        if both:
            raise BuildError(f"{old!r} and {new!r} both occur in {both}: not the same team")

    # 2015, downloaded twice: pair rows on the ratings, names must agree after renaming.
    old = read_rows(bt_dir / "season_csv" / "2015_team_results__jbrijs_20240301.csv")
    new = read_rows(bt_dir / "season_csv" / "2015_team_results__nolanmartzke_2026.csv")
    by_rating = {(round(float(r[4]), 6), round(float(r[6]), 6)): r for r in new}
    for r in old:
        twin = by_rating.get((round(float(r[4]), 6), round(float(r[6]), 6)))
        if twin is None or RENAMES.get(r[1], r[1]) != twin[1] or (r[2], r[3]) != (twin[2], twin[3]):
            raise BuildError(f"2015 copies disagree for {r[1]!r}: {twin and twin[1:4]}")

    # Renamed old name sets must equal the current-name sets of the same/next season.
    def renamed(names: dict) -> set[str]:
        return {RENAMES.get(n, n) for n in names}

    tm15 = renamed(_one(files, "timemachine/20150314"))
    cur15 = set(_one(files, "season_csv/2015_team_results__nolanmartzke"))
    if tm15 != cur15:
        raise BuildError(f"2015 time machine vs 2015 season: {sorted(tm15 ^ cur15)}")
    s24 = renamed(_one(files, "season_csv/2024_"))
    s25 = set(_one(files, "season_csv/2025_"))
    if s25 - s24 != {"Mercyhurst", "West Georgia"} or s24 - s25:
        raise BuildError(f"2024 (renamed) vs 2025 season: {sorted(s24 ^ s25)}")
    # Conferences of an old name and its current name agree in the same snapshot year (2015).
    tm15_conf = {RENAMES.get(n, n): c for n, c in _one(files, "timemachine/20150314").items()}
    for n, c in _one(files, "season_csv/2015_team_results__nolanmartzke").items():
        if tm15_conf[n] != c:
            raise BuildError(f"2015 conference differs for {n!r}: {tm15_conf[n]} vs {c}")


def match_cbbd(
    current: list[str],
    files: dict[str, dict],
    all_teams: list[dict],
    d1_2025: list[dict],
    espn: dict[str, int],
) -> dict[str, dict | None]:
    d1_ids = {t["id"] for t in d1_2025}
    by_source = {t["sourceId"]: t for t in all_teams}
    by_key: dict[str, list[dict]] = defaultdict(list)
    for t in all_teams:
        for k in {norm(t["school"]), norm(t["shortDisplayName"] or t["school"])}:
            by_key[k].append(t)
    conf25 = _one(files, "season_csv/2025_")

    result: dict[str, dict | None] = {}
    problems: list[str] = []
    for name in current:
        if name in NO_CBBD_TEAM:
            result[name] = None
            continue
        if name in CBBD_OVERRIDES:
            cands = [t for t in all_teams if t["school"] == CBBD_OVERRIDES[name]]
        else:
            cands = by_key.get(norm(name), [])
        # Prefer 2025 D1 teams (e.g. 'Holy Cross' is also a non-D1 school name in CBBD).
        d1 = [t for t in cands if t["id"] in d1_ids]
        cands = d1 or cands
        if len(cands) != 1:
            problems.append(f"{name!r}: {len(cands)} CBBD candidates {[t['school'] for t in cands]}")
            continue
        team = cands[0]
        espn_team = by_source.get(str(espn[name])) if name in espn else None
        if name in ESPN_CROSSWALK_ERRATA:
            if espn_team is not None and espn_team["id"] == team["id"]:
                problems.append(f"{name!r}: listed in ESPN_CROSSWALK_ERRATA but the crosswalk agrees now")
        elif name in espn and (espn_team is None or espn_team["id"] != team["id"]):
            problems.append(
                f"{name!r}: name match {team['school']!r} but ESPN id {espn[name]} -> "
                f"{espn_team and espn_team['school']!r}"
            )
        if name in conf25:
            want = BT_TO_CBBD_CONF.get(conf25[name])
            if team["id"] not in d1_ids or team["conference"] != want:
                problems.append(
                    f"{name!r}: 2025 conf {conf25[name]} but CBBD {team['school']!r} is "
                    f"{team['conference']} (2025 D1: {team['id'] in d1_ids})"
                )
        result[name] = team
    if problems:
        raise BuildError("CBBD matching failed:\n  " + "\n  ".join(problems))

    ids = [t["id"] for t in result.values() if t]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise BuildError(f"CBBD ids used twice: {sorted(dupes)}")
    mapped_2025 = {result[n]["id"] for n in conf25}
    if mapped_2025 != d1_ids:
        raise BuildError(f"2025 BartTorvik teams do not cover CBBD 2025 D1: {sorted(d1_ids ^ mapped_2025)}")
    return result


# ---- build ----------------------------------------------------------------------------------------------


def build(samples: Path) -> dict:
    bt_dir = samples / "barttorvik"
    files = read_barttorvik(bt_dir)
    all_teams = json.loads((samples / "cbbd" / "teams__no-params.json").read_text(encoding="utf-8"))
    d1_2025 = json.loads((samples / "cbbd" / "teams__season-2025.json").read_text(encoding="utf-8"))
    espn = json.loads((bt_dir / "crosswalks" / "torvik_name_to_espn_id__llimllib.json").read_text("utf-8"))

    names = {n.strip() for f in files.values() for n in f}
    if any(n != n.strip() for f in files.values() for n in f):
        raise BuildError("a sample name carries surrounding whitespace")
    check_renames(files, bt_dir)
    unknown_overrides = (set(CBBD_OVERRIDES) | set(NO_CBBD_TEAM) | set(TEAM_NOTES)) - names
    if unknown_overrides:
        raise BuildError(f"overrides for names not in the samples: {sorted(unknown_overrides)}")

    current = sorted({RENAMES.get(n, n) for n in names})
    cbbd = match_cbbd(current, files, all_teams, d1_2025, espn)

    aliases: dict[str, set[str]] = defaultdict(set)
    for n in names:
        aliases[RENAMES.get(n, n)].add(n)
    teams = []
    for name in current:
        team = cbbd[name]
        entry: dict = {
            "team_id": slug(name),
            "name": name,
            "cbbd_team_id": team["id"] if team else None,
            "cbbd_school": team["school"] if team else None,
            "aliases": [name, *sorted(aliases[name] - {name})],
        }
        note = NO_CBBD_TEAM.get(name) or TEAM_NOTES.get(name)
        if note:
            entry["note"] = note
        teams.append(entry)
    teams.sort(key=lambda t: t["team_id"])
    ids = [t["team_id"] for t in teams]
    if len(set(ids)) != len(ids):
        raise BuildError("team_id slugs collide")
    return {
        "version": 1,
        "description": (
            "BartTorvik team spellings (aliases, current name first) -> canonical team_id and CBBD team id. "
            "Generated by scripts/build_team_mapping.py from ../shared/samples; "
            "edit the script, not this file."
        ),
        "teams": teams,
    }


SEASON_OF_FILE = re.compile(r"^(?:timemachine/(\d{4})(\d{2})\d{2}_|season_csv/(\d{4})_)")


def file_season(label: str) -> int | None:
    """The season a sample file holds (a time-machine date's spring year, a season CSV's year)."""
    found = SEASON_OF_FILE.match(label)
    if found is None:
        return None
    if found.group(3):
        return int(found.group(3))
    year, month = int(found.group(1)), int(found.group(2))
    return year + 1 if month >= 8 else year


def gaps(samples: Path, mapping: dict) -> dict:
    """The known gaps: current names with no CBBD id, the reason, and the seasons that list them."""
    files = read_barttorvik(samples / "barttorvik")
    missing = {t["name"]: t for t in mapping["teams"] if t["cbbd_team_id"] is None}
    if set(missing) != set(NO_CBBD_TEAM):
        raise BuildError(
            f"NO_CBBD_TEAM {sorted(NO_CBBD_TEAM)} must be the teams with no CBBD id: {sorted(missing)}"
        )
    seasons: dict[str, set[int]] = defaultdict(set)
    for label, names in files.items():
        season = file_season(label)
        for name in names:
            if season is not None and RENAMES.get(name, name) in missing:
                seasons[RENAMES.get(name, name)].add(season)
    return {
        "version": 1,
        "description": (
            "BartTorvik teams with no CBBD team id, why, and the seasons whose sample files list them. "
            "Their BartTorvik rows load; they cannot join CBBD in gold. Generated by "
            "scripts/build_team_mapping.py (NO_CBBD_TEAM)."
        ),
        "gaps": [
            {
                "name": name,
                "team_id": missing[name]["team_id"],
                "seasons": sorted(seasons[name]),
                "reason": NO_CBBD_TEAM[name],
            }
            for name in sorted(missing)
        ],
    }


def render(mapping: dict) -> str:
    return json.dumps(mapping, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed file differs")
    args = parser.parse_args(argv)
    try:
        built = build(samples_dir())
        texts = {
            settings.data_dir() / "team_mapping.json": render(built),
            settings.data_dir() / "team_mapping_gaps.json": render(gaps(samples_dir(), built)),
        }
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.check:
        stale = [out for out, text in texts.items() if not out.exists() or out.read_text("utf-8") != text]
        print("\n".join(f"{out} is stale: rerun without --check" for out in stale) or "up to date")
        return 1 if stale else 0
    for out, text in texts.items():
        out.write_text(text, encoding="utf-8")
    out, mapping = settings.data_dir() / "team_mapping.json", built
    n_alias = sum(len(t["aliases"]) for t in mapping["teams"])
    print(f"wrote {out}: {len(mapping['teams'])} teams, {n_alias} aliases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
