"""`hoops backfill | incremental | validate`: the CBBD DAGs run locally through Airflow.

Without a CBBD key (or with `--offline`) the DAGs talk to the replay server, so everything works on a
machine with no network; with `CBBD_API_KEY` set they call the real API.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from hoops import settings
from hoops.calendar import NEW_YORK

OFFLINE_KEY = "offline-replay-key"
OFFLINE_SCALE = 0.05  # a small season: ~18 teams' worth of games, minutes not hours


@contextlib.contextmanager
def cbbd_env(offline: bool, scale: float = OFFLINE_SCALE) -> Iterator[dict[str, str]]:
    """Airflow environment for the CBBD DAGs: the replay server on the offline profile when offline or
    keyless, else the real API on the live profile (devkit/profile.py keeps their state apart)."""
    from devkit import local, profile

    if offline or not settings.cbbd_api_key():
        from devkit.replay import ReplayServer

        with ReplayServer(cbbd_scale=scale, cbbd_api_key=OFFLINE_KEY, cbbd_plays_per_game=60) as server:
            print(f"CBBD: replay server (offline, {scale:.0%} of a season) at {server.base_url}")
            yield local.airflow_env(
                profile.OFFLINE,
                {
                    "CBBD_BASE_URL": server.base_url,
                    "CBBD_API_KEY": OFFLINE_KEY,
                    "HOOPS_CBBD_RPS": "0",
                    "HOOPS_BT_BASE_URL": server.base_url,
                },
            )
    else:
        print(f"CBBD: {settings.cbbd_base_url()} (key from the environment or connection cbbd_default)")
        yield local.airflow_env(profile.LIVE)


def _morning(day: dt.date, hour: int) -> str:
    local = dt.datetime.combine(day, dt.time(hour), ZoneInfo(NEW_YORK))
    return local.astimezone(dt.UTC).isoformat()


def run_dag(env: dict[str, str], dag_id: str, day: dt.date, conf: dict, hour: int = 5) -> int:
    from devkit import local

    args = ["dags", "test", dag_id, _morning(day, hour), "-c", json.dumps(conf)]
    print(f"\n$ airflow {' '.join(args[:4])} -c '{args[5]}'", flush=True)
    code = local.airflow(args, env, quiet=True).returncode
    print(f"  -> {'FAILED (see the summary below)' if code else 'done'}", flush=True)
    return code


def summary_report(dag_id: str) -> str:
    from hoops.cbbd import summary
    from hoops.lake import open_lake

    found = summary.latest(open_lake(), dag_id)
    if found is None:
        return f"{dag_id}: no summary in meta/latest/"
    lines = [
        f"{dag_id} run {found['run_id']}: {found['status']}",
        f"  calls planned {found['calls_planned']}, used {found['calls_used']}, "
        f"quota left {found['quota_remaining']}, deferred {found['calls_deferred']}",
        f"  failures {found['failures']}, deadletters {found['deadletter_count']}, "
        f"duplicates {found['duplicates']}",
        "  rows: " + ", ".join(f"{k} {v}" for k, v in sorted(found["rows_by_table"].items())),
    ]
    return "\n".join(lines + budget_lines(found))


def budget_lines(found: dict) -> list[str]:
    """The budget, why planned and used calls differ, and what is still owed (with the runs it needs)."""
    out = []
    if (budget := found.get("budget") or {}).get("calls") is not None:
        out.append(f"  budget {budget['calls']} calls ({budget.get('why')})")
    causes = {
        k: v for k, v in (found.get("calls_explained") or {}).items() if v and k not in ("planned", "used")
    }
    if causes:
        out.append("  planned vs used: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in causes.items()))
    if found.get("owed"):
        owed = ", ".join(
            f"{o['endpoint']} {'/'.join(map(str, o['seasons'][:3]))}{'…' if len(o['seasons']) > 3 else ''}"
            f" ({'~' if o.get('estimated') else ''}{o['calls']})"
            for o in found["owed"][:6]
        )
        more = f" and {len(found['owed']) - 6} more" if len(found["owed"]) > 6 else ""
        left = found.get("remaining") or {}
        out.append(f"  still owed: {owed}{more}")
        calls, runs, months = left.get("calls", found["calls_deferred"]), left.get("runs"), left.get("months")
        out.append(
            f"  remaining {calls} calls: about {runs} more runs at this budget, {months} months at the "
            "monthly quota; run it again to resume"
        )
    return out


def gold_report() -> str:
    """A short look at the gold tables through the local DuckDB catalog."""
    import duckdb

    from hoops import duckdb_catalog
    from hoops.lake import open_lake

    duckdb_catalog.refresh(open_lake())
    with duckdb.connect(str(settings.duckdb_catalog_path()), read_only=True) as con:
        names = [
            r[0]
            for r in con.sql(
                "SELECT view_name FROM duckdb_views() WHERE schema_name = 'gold' ORDER BY 1"
            ).fetchall()
        ]
        parts = [
            "Gold tables (rows): "
            + ", ".join(
                f"{n} {con.execute(f'SELECT count(*) FROM gold.{n}').fetchall()[0][0]}" for n in names
            )
        ]
        if "team_season_summary" in names:
            parts += [
                "",
                "Top team_season_summary rows by wins:",
                str(
                    con.sql(
                        "SELECT team, conference, wins, losses, round(elo) AS elo, "
                        "round(bt_barthag, 4) AS barthag, bt_rank "
                        "FROM gold.team_season_summary ORDER BY wins DESC, team LIMIT 5"
                    )
                ),
            ]
        if "team_quality_daily" in names:
            parts += [
                "team_quality_daily, days with BartTorvik metrics joined:",
                str(
                    con.sql(
                        "SELECT date, count(*) AS teams, count(barthag) AS with_barttorvik "
                        "FROM gold.team_quality_daily GROUP BY date HAVING count(barthag) > 0 "
                        "ORDER BY date DESC LIMIT 5"
                    )
                ),
            ]
    path = settings.duckdb_catalog_path()
    parts.append(
        "Query it yourself (views silver.*, gold.*, ref.* over the lake):\n"
        f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{path}', read_only=True)"
        ".sql('SELECT * FROM gold.game_features LIMIT 5'))\""
    )
    return "\n".join(parts)


def cmd_backfill(args: argparse.Namespace) -> int:
    from devkit import local

    # No season: the whole history, newest first, within the budget; the next run resumes.
    conf = {"seasons": args.season} if args.season else {"all_seasons": True}
    conf.update(max_calls=args.max_calls, oldest_first=args.oldest_first)
    with cbbd_env(args.offline) as env:
        local.migrate_metadata(env)
        code = run_dag(env, "cbbd_backfill", settings.today(), conf)
    print(summary_report("cbbd_backfill"))
    return code


def cmd_incremental(args: argparse.Namespace) -> int:
    from devkit import local

    day = dt.date.fromisoformat(args.date) if args.date else settings.today()
    with cbbd_env(args.offline) as env:
        local.migrate_metadata(env)
        code = run_dag(env, "cbbd_incremental", day, {"window_days": args.window_days})
    print(summary_report("cbbd_incremental"))
    return code


def cmd_validate(args: argparse.Namespace) -> int:
    """The latest run summary and the lake, checked by the configured catalog's engine."""
    from devkit import profile
    from hoops import checks
    from hoops.cbbd import summary, tables
    from hoops.checks.findings import report
    from hoops.checks.summary import check_summary
    from hoops.lake import open_lake

    profile.apply(profile.chosen(args.offline))
    lake = open_lake()
    found = summary.latest(lake, args.dag)
    findings = check_summary(found) + checks.checker()(lake, tables.declared(), seasons=args.season)
    print(report(findings))
    return 1 if any(f.level == "error" for f in findings) else 0


def register(sub: argparse._SubParsersAction) -> None:
    backfill = sub.add_parser("backfill", help="run cbbd_backfill through Airflow (replay server if offline)")
    backfill.add_argument(
        "--season", type=int, action="append", help="a season (spring year); repeatable; none: every season"
    )
    backfill.add_argument("--oldest-first", action="store_true", help="spend the budget on old seasons first")
    backfill.add_argument("--max-calls", type=int, help="call budget for the run")
    backfill.add_argument("--offline", action="store_true", help="use the replay server even with a key")
    backfill.set_defaults(func=cmd_backfill)
    incremental = sub.add_parser("incremental", help="run cbbd_incremental through Airflow for a date")
    incremental.add_argument("--date", help="logical date YYYY-MM-DD (default: today)")
    incremental.add_argument(
        "--window-days", type=int, help="days to re-read (default: HOOPS_CBBD_WINDOW_DAYS)"
    )
    incremental.add_argument("--offline", action="store_true", help="use the replay server even with a key")
    incremental.set_defaults(func=cmd_incremental)
    validate = sub.add_parser("validate", help="check the latest run summary and the lake; non-zero if off")
    validate.add_argument("--dag", help="only this DAG's latest summary (default: the newest of any)")
    validate.add_argument("--season", type=int, action="append", help="limit the lake checks to seasons")
    validate.add_argument("--offline", action="store_true", help="check the offline profile's lake")
    validate.set_defaults(func=cmd_validate)
