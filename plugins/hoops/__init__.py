"""hoops: keeps a college-basketball data platform current (BartTorvik -> Postgres, CBBD -> lakehouse)."""

__version__ = "0.1.0"
