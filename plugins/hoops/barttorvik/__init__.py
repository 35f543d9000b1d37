"""BartTorvik daily team-metrics snapshots: source calendar, fetch, parse, team mapping, ingest."""
