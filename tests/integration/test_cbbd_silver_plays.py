"""fct_plays keeps one row per play: the copy from the latest object, and one fixed copy when a response
holds a play twice with different content."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hoops.cbbd import silver
from hoops.lake import LocalLake


def _plays(root) -> pa.Table:
    return pq.read_table(root / "silver/fct_plays/season=2024/part-0000.parquet")


def test_the_latest_object_wins_and_a_play_twice_in_one_response_is_kept_once_the_same_way(bronze_lake):
    lake = LocalLake(bronze_lake)
    source = sorted((bronze_lake / "bronze/plays_date/season=2024").rglob("*.parquet"))[0]
    table = pq.read_table(source)
    play_id = table["id"][0].as_py()
    first = table.slice(0, 1)
    column = first.schema.get_field_index("playText")
    texts = ("an older snapshot", "the API says this", "and also this")
    older = source.parent.parent / "asof=2000-01-01" / source.name
    older.parent.mkdir()
    pq.write_table(first.set_column(column, "playText", [[texts[0]]]), older)
    disagreeing = pa.concat_tables([first.set_column(column, "playText", [[t]]) for t in texts[1:]])
    pq.write_table(pa.concat_tables([table, disagreeing]), source)

    built = silver.build(lake, tables=["fct_plays"])["fct_plays"]
    out = _plays(bronze_lake)
    kept = out.filter(pc.equal(out["play_id"], play_id))["play_text"].to_pylist()
    bytes_once = (bronze_lake / "silver/fct_plays/season=2024/part-0000.parquet").read_bytes()
    silver.build(lake, tables=["fct_plays"])

    assert built["rows"] == out.num_rows == len(set(out["play_id"].to_pylist()))
    assert len(kept) == 1 and kept[0] in texts
    assert kept[0] != texts[0]  # the older object's copy never wins
    assert (bronze_lake / "silver/fct_plays/season=2024/part-0000.parquet").read_bytes() == bytes_once
