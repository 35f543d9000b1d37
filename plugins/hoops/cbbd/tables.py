"""Every silver and gold table as the lake checks see it: layer, primary key, partitioned by season.

The builders declare their tables; the checks take this mapping instead of importing the builders,
which import the checks.
"""

from __future__ import annotations

from hoops.cbbd import gold, silver
from hoops.checks.tables import Declared


def declared() -> dict[str, Declared]:
    return {
        name: Declared(layer, tuple(table.primary_key), table.partitioned)
        for layer, module in (("silver", silver), ("gold", gold))
        for name, table in module.TABLES.items()
    }
