"""Print the reliability table from the JSON lines the suite wrote: `python -m tests.reliability.report F`."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def table(rows: list[dict]) -> str:
    head = ("fault", "runs", "outcome", "rows lost", "rows duplicated")
    body = [
        (r["fault"], str(r["runs"]), r["outcome"], str(r["rows_lost"]), str(r["rows_duplicated"]))
        for r in sorted(rows, key=lambda r: r["fault"])
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=False)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in body]
    return "\n".join(lines)


def main(path: str) -> int:
    file = Path(path)
    rows = (
        [json.loads(line) for line in file.read_text().splitlines() if line.strip()] if file.exists() else []
    )
    if not rows:
        print(f"no reliability rows in {path}: did the suite run?")
        return 1
    print(table(rows))
    bad = [r for r in rows if r["rows_lost"] or r["rows_duplicated"]]
    print(
        f"\n{len(rows)} faults, {sum(r['runs'] for r in rows)} runs, {len(bad)} with rows lost or duplicated"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
