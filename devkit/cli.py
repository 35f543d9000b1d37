"""`hoops …`: the human entry points (demo, run, replay server, embedded database, ad-hoc SQL).

Results go to stdout and nothing else does (`hoops sql … > file` holds only the rows); progress notes and,
with --verbose, library logs and warnings go to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
import warnings
from zoneinfo import ZoneInfo

from devkit import cli_cbbd, profile
from hoops import settings, warehouse
from hoops.calendar import NEW_YORK, season_of

DEMO_DATES = ("2020-03-11", "2020-03-12", "2020-03-13")


def _logical_date(day: str) -> str:
    """06:30 New York time of `day`, as the schedule fires it, in ISO form for `airflow dags test`."""
    local = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(6, 30), ZoneInfo(NEW_YORK))
    return local.astimezone(dt.UTC).isoformat()


def _table(rows: list[tuple], headers: list[str]) -> str:
    cells = [[("" if v is None else f"{v:.4f}" if isinstance(v, float) else str(v)) for v in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = lambda vals: "  ".join(v.ljust(w) for v, w in zip(vals, widths, strict=True))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def report(dsn: str) -> str:
    """What the warehouse holds: runs, rows per snapshot, the top teams of the latest snapshot."""
    with warehouse.connect(dsn) as conn:
        runs = conn.execute(
            "SELECT snapshot_date, run_id, status, rows_loaded, rows_quarantined, left(reason, 60)"
            " FROM provider_ingestion_runs ORDER BY snapshot_date, started_at"
        ).fetchall()
        counts = conn.execute(
            "SELECT m.snapshot_date, count(*), a.source_kind, a.source_url FROM bt_team_metrics_daily m"
            " JOIN bt_raw_artifacts a USING (artifact_id) GROUP BY 1, 3, 4 ORDER BY 1"
        ).fetchall()
        latest = counts[-1][0] if counts else None
        top = conn.execute(
            "SELECT rank, team_name, conf, record, adjoe, adjde, barthag, wab, adj_tempo"
            " FROM bt_team_metrics_daily WHERE snapshot_date = %s ORDER BY rank LIMIT 10",
            (latest,),
        ).fetchall()
    parts = [
        "Runs (provider_ingestion_runs):",
        _table(runs, ["snapshot_date", "run_id", "status", "rows", "quarantined", "reason"]),
        "",
        "Rows per snapshot (bt_team_metrics_daily):",
        _table(counts, ["snapshot_date", "teams", "source", "source_url"]),
    ]
    if latest:
        parts += [
            "",
            f"Top 10 of the latest snapshot ({latest}):",
            _table(top, ["rank", "team", "conf", "record", "adjoe", "adjde", "barthag", "wab", "tempo"]),
        ]
    return "\n".join(parts)


def cmd_demo(args: argparse.Namespace) -> int:
    """Replay server + embedded PostgreSQL + Airflow: BartTorvik snapshots and a CBBD season offline,
    then a report of what landed in Postgres and in the lake's gold tables."""
    from devkit import local

    started = time.monotonic()
    with cli_cbbd.cbbd_env(offline=True) as env:  # one replay server answers BartTorvik and CBBD
        print(f"warehouse: {warehouse.describe(env['HOOPS_POSTGRES_DSN'])}   lake: {env['HOOPS_LAKE_URI']}")
        print("airflow db migrate (metadata in the embedded PostgreSQL) ...", flush=True)
        local.migrate_metadata(env)
        failed = []
        for day in args.dates:
            print(f"\n$ airflow dags test barttorvik_daily {_logical_date(day)}", flush=True)
            if local.airflow(
                ["dags", "test", "barttorvik_daily", _logical_date(day)], env, quiet=True
            ).returncode:
                failed.append(day)
            print(f"  -> {'FAILED' if day in failed else 'done'}", flush=True)
        again = _logical_date(args.dates[-1])
        print(f"\n$ airflow dags test barttorvik_daily {again}   # same date again: skipped")
        local.airflow(["dags", "test", "barttorvik_daily", again], env, quiet=True)
        season = season_of(dt.date.fromisoformat(args.dates[-1]))
        if cli_cbbd.run_dag(env, "cbbd_backfill", settings.today(), {"seasons": [season]}):
            failed.append("cbbd_backfill")
        if cli_cbbd.run_dag(
            env, "cbbd_incremental", dt.date.fromisoformat(args.dates[-1]), {"window_days": 3}
        ):
            failed.append("cbbd_incremental")
        print(f"\n{report(env['HOOPS_POSTGRES_DSN'])}")
        print(f"\n{cli_cbbd.gold_report()}")
        print(f"\n{_report_page(profile.OFFLINE)}")
    print(f"\ndemo finished in {time.monotonic() - started:.0f} s.")
    print(
        "Query the warehouse yourself (the demo's data lives in the offline profile):\n"
        "  .venv/bin/hoops sql --offline "
        '"SELECT team_name, barthag FROM bt_team_metrics_daily ORDER BY snapshot_date DESC, rank LIMIT 5"'
    )
    print(f'  or psql "{env["HOOPS_POSTGRES_DSN"]}"')
    print("Check the lake: make validate ARGS=--offline")
    print(f"The embedded PostgreSQL keeps running: {profile.STOP_HINT}")
    return 1 if failed else 0


def cmd_run(args: argparse.Namespace) -> int:
    """Today's snapshot from the real barttorvik.com through Airflow, on the embedded defaults."""
    import socket
    from urllib.parse import urlparse

    from devkit import local, profile

    url = urlparse(settings.barttorvik().base_url)
    try:
        socket.create_connection(
            (url.hostname, url.port or (443 if url.scheme == "https" else 80)), 10
        ).close()
    except OSError as exc:
        print(
            f"{url.hostname} cannot be reached from this machine ({exc.strerror or exc}).\n"
            "The DAG would fail, then retry with backoff for ~15 minutes. `make demo` runs it offline."
        )
        return 2
    env = local.airflow_env(profile.LIVE)
    local.migrate_metadata(env)
    day = args.date or settings.today().isoformat()
    code = local.airflow(["dags", "test", "barttorvik_daily", _logical_date(day)], env).returncode
    print(report(env["HOOPS_POSTGRES_DSN"]))
    return code


def cmd_plan(args: argparse.Namespace) -> int:
    """Print the plan a run would make first, its budget included, without calling the API (the same
    pipeline.preview the DAG's plan task runs)."""
    from hoops.cbbd import pipeline, planner

    params: dict = {"max_calls": args.max_calls}
    if args.endpoints != "all":
        params["endpoints"] = args.endpoints.split(",")
    if args.incremental:
        if not args.date:
            raise SystemExit("--incremental needs --date YYYY-MM-DD")
        kind, logical = "incremental", dt.date.fromisoformat(args.date)
        params.update(date=args.date, window_days=args.window_days)
    else:  # no --season: the whole history, as `make backfill` with no season
        kind, logical = "backfill", settings.today()
        params.update({"seasons": args.season} if args.season else {"all_seasons": True})
        params.update(oldest_first=args.oldest_first, include_fanout=args.include_fanout)
    try:
        spec = pipeline.validate_params(params, kind=kind, logical_date=logical, today=settings.today())
    except pipeline.InvalidRequest as exc:
        raise SystemExit(str(exc)) from None
    profile.apply(profile.chosen(args.offline))
    store = lake = None
    try:
        from hoops.cbbd.checkpoints import open_checkpoints
        from hoops.lake import open_lake

        store, lake = open_checkpoints(), open_lake()
        store.quota()  # reachable, and migrated
    except Exception as exc:  # no warehouse yet: plan as a first run, and say so
        store = lake = None
        print(
            f"(no checkpoints read from the {profile.chosen(args.offline)} warehouse ({type(exc).__name__}): "
            "planning as a first run)",
            file=sys.stderr,
        )
    print(planner.format_plan(pipeline.preview(spec, store=store, lake=lake), by_endpoint=args.by_endpoint))
    return 0


def cmd_one(args: argparse.Namespace) -> int:
    """Fetch one CBBD request (raw + bronze + checkpoint) and show what came back: for debugging."""
    import asyncio
    import json
    from contextlib import nullcontext

    from devkit.replay import ReplayServer
    from hoops.cbbd import planner
    from hoops.cbbd.checkpoints import PostgresCheckpoints, open_checkpoints
    from hoops.cbbd.client import ApiClient
    from hoops.cbbd.engine import Fetcher
    from hoops.cbbd.request import Request
    from hoops.lake import open_lake

    try:
        req = Request.of(args.endpoint, json.loads(args.params))
    except (KeyError, ValueError) as exc:
        raise SystemExit(f"cannot build the request: {exc}") from None
    asof = dt.date.fromisoformat(args.asof) if args.asof else settings.today()
    profile.apply(profile.chosen(args.replay))  # replay answers are offline data: never in the live state
    store = open_checkpoints()
    if isinstance(store, PostgresCheckpoints):
        with warehouse.connect() as conn:
            warehouse.migrate(conn)
    attempt = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

    def count_call(remaining: int | None) -> None:
        """The call counts against the month's quota like a DAG run's (and its `remaining` is kept)."""
        store.count_call("cli-one", attempt, remaining, asof)

    with ReplayServer(cbbd_scale=0.05) if args.replay else nullcontext() as replay:
        base_url, key = (replay.base_url, "replay") if replay else (None, None)

        async def go():
            async with ApiClient(base_url=base_url, api_key=key) as client:
                fetcher = Fetcher(
                    client,
                    open_lake(),
                    store,
                    asof=asof,
                    run_id="cli-one",
                    is_final=planner.is_final,
                    force=True,
                    count_call=count_call,
                )
                return await fetcher.run([req])

        stats = asyncio.run(go())
    print(json.dumps(stats.to_dict(), indent=1, default=str))
    return 0 if not stats.failed else 1


def cmd_replay(args: argparse.Namespace) -> int:
    from devkit.replay import serve

    serve(
        args.host,
        args.port,
        today=dt.date.fromisoformat(args.today) if args.today else None,
        cbbd_scale=args.cbbd_scale,
        cbbd_plays_per_game=args.cbbd_plays_per_game,
    )
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    """start/dsn: the profile's warehouse (started if needed); stop: the embedded PostgreSQL."""
    if args.action == "stop":
        print("stopped" if profile.stop_postgres() else "not running")
        return 0
    profile.apply(profile.chosen(args.offline))
    print(warehouse.describe(warehouse.dsn()))
    return 0


def _report_page(name: str) -> str:
    """devkit/report.py on a profile's warehouse and lake; the page goes beside the profile's state."""
    from devkit import report as report_page
    from hoops.lake import open_lake

    profile.apply(name)
    path = profile.Profile(name).root / "report.html"
    return report_page.produce(open_lake(), None, offline=name == profile.OFFLINE, path=path)


def cmd_report(args: argparse.Namespace) -> int:
    """What the runs loaded: sources (real or synthetic), what each run added, duplicates, charts."""
    print(_report_page(profile.chosen(args.offline)))
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    """One statement against the chosen profile's warehouse; a refused statement exits 1 with the reason."""
    import psycopg

    name = profile.chosen(args.offline)
    profile.apply(name)
    with warehouse.connect() as conn:
        try:
            cur = conn.execute(args.query)
        except psycopg.Error as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]  # psycopg adds a caret line
            hint = "" if name == profile.OFFLINE else "; the demo's data is in the offline profile: --offline"
            raise SystemExit(f"the {name} warehouse refused the query: {reason}{hint}") from None
        if cur.description:
            print(_table(cur.fetchall(), [c.name for c in cur.description]))
    return 0


VERBOSE_HELP = "show library logs and warnings (on stderr)"


def quiet_libraries(verbose: bool) -> None:
    """Library logs and warnings on stderr with --verbose, else nowhere: stdout is for results only."""
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO if verbose else logging.CRITICAL + 1,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    if not verbose:
        warnings.simplefilter("ignore")
        os.environ.setdefault("PYTHONWARNINGS", "ignore")  # the airflow commands we start, too


class _Command(argparse.ArgumentParser):
    """A subcommand's parser: takes --verbose after the command name too."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_argument(
            "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP
        )


def add_profile_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--offline",
        action="store_true",
        help="use the offline profile's state (the replay data of make demo); default: HOOPS_PROFILE or live",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hoops", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Command)
    demo = sub.add_parser("demo", help="run barttorvik_daily offline for a few dates and report")
    demo.add_argument("--dates", nargs="+", default=list(DEMO_DATES), metavar="YYYY-MM-DD")
    demo.set_defaults(func=cmd_demo)
    run = sub.add_parser("run", help="run barttorvik_daily against the real source")
    run.add_argument("--date", help="snapshot date (default: today in New York)")
    run.set_defaults(func=cmd_run)
    plan = sub.add_parser("plan", help="print the CBBD request plan and its call count (no API call)")
    plan.add_argument(
        "--season", type=int, action="append", help="a season (spring year); repeatable; none: every season"
    )
    plan.add_argument("--oldest-first", action="store_true", help="backfill the oldest seasons first")
    plan.add_argument("--by-endpoint", action="store_true", help="also the calls of each endpoint")
    plan.add_argument("--incremental", action="store_true", help="plan the daily run for --date")
    plan.add_argument("--date", help="logical date of the incremental run (YYYY-MM-DD)")
    plan.add_argument("--window-days", type=int, help="rolling window (default: HOOPS_CBBD_WINDOW_DAYS, 7)")
    plan.add_argument("--endpoints", default="all", help="comma-separated catalog names, or all")
    plan.add_argument("--include-fanout", action="store_true", help="plan per-game / per-player endpoints")
    plan.add_argument(
        "--max-calls", type=int, help="call budget (default: the run's share of the quota); cut at a boundary"
    )
    plan.set_defaults(func=cmd_plan)
    one = sub.add_parser("one", help="fetch one CBBD endpoint (raw, bronze, checkpoint) for debugging")
    one.add_argument("--endpoint", required=True, help="catalog name, e.g. games, plays_date")
    one.add_argument("--params", default="{}", help="JSON parameters, e.g. '{\"season\": 2024}'")
    one.add_argument("--asof", help="the asof partition (default: today)")
    one.add_argument("--replay", action="store_true", help="ask the offline replay server instead of the API")
    one.set_defaults(func=cmd_one)
    replay = sub.add_parser("replay", help="serve the offline replay of the sources")
    replay.add_argument("--host", default="127.0.0.1")
    replay.add_argument("--port", type=int, default=8765)
    replay.add_argument("--today", help="the replay's 'today' for live files (YYYY-MM-DD)")
    replay.add_argument("--cbbd-scale", type=float, default=1.0, help="fraction of a real CBBD season")
    replay.add_argument("--cbbd-plays-per-game", type=int, help="plays per game (default: real volume)")
    replay.set_defaults(func=cmd_replay)
    db = sub.add_parser("db", help="the embedded PostgreSQL: start, stop, or show the warehouse DSN")
    db.add_argument("action", choices=["start", "stop", "dsn"])
    db.set_defaults(func=cmd_db)
    sql = sub.add_parser("sql", help="run one SQL statement against the warehouse and print the result")
    sql.add_argument("query")
    sql.set_defaults(func=cmd_sql)
    report_cmd = sub.add_parser("report", help="summary of what the runs loaded, and an HTML page of charts")
    report_cmd.set_defaults(func=cmd_report)
    for command in (plan, db, sql, report_cmd):
        add_profile_flag(command)
    cli_cbbd.register(sub)
    args = parser.parse_args(argv)
    quiet_libraries(args.verbose)
    return args.func(args)
