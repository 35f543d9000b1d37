"""The 45-column positional layout of `team_results` (live JSON, time machine, CSV rows).

One declaration, used by the parser, the replay generator and the schema test. The CSV header is
ignored on purpose: some downloads carry 44 names for 45 values, so only positions are trusted.
"""

from __future__ import annotations

from typing import NamedTuple


class Column(NamedTuple):
    index: int
    name: str  # column name in bt_team_metrics_daily
    kind: str  # "int" | "float" | "text"
    source: str  # the CSV header name, for people reading both


COLUMNS: tuple[Column, ...] = (
    Column(0, "rank", "int", "rank"),
    Column(1, "team_name", "text", "team"),
    Column(2, "conf", "text", "conf"),
    Column(3, "record", "text", "record"),
    Column(4, "adjoe", "float", "adjoe"),
    Column(5, "adjoe_rank", "int", "oe Rank"),
    Column(6, "adjde", "float", "adjde"),
    Column(7, "adjde_rank", "int", "de Rank"),
    Column(8, "barthag", "float", "barthag"),
    Column(9, "barthag_rank", "int", "rank"),
    Column(10, "proj_wins", "float", "proj. W"),
    Column(11, "proj_losses", "float", "Proj. L"),
    Column(12, "proj_conf_wins", "float", "Pro Con W"),
    Column(13, "proj_conf_losses", "float", "Pro Con L"),
    Column(14, "conf_record", "text", "Con Rec."),
    Column(15, "sos", "float", "sos"),
    Column(16, "ncsos", "float", "ncsos"),
    Column(17, "consos", "float", "consos"),
    Column(18, "proj_sos", "float", "Proj. SOS"),
    Column(19, "proj_noncon_sos", "float", "Proj. Noncon SOS"),
    Column(20, "proj_conf_sos", "float", "Proj. Con SOS"),
    Column(21, "elite_sos", "float", "elite SOS"),
    Column(22, "elite_noncon_sos", "float", "elite noncon SOS"),
    Column(23, "opp_oe", "float", "Opp OE"),
    Column(24, "opp_de", "float", "Opp DE"),
    Column(25, "opp_proj_oe", "float", "Opp Proj. OE"),
    Column(26, "opp_proj_de", "float", "Opp Proj DE"),
    Column(27, "conf_adj_oe", "float", "Con Adj OE"),
    Column(28, "conf_adj_de", "float", "Con Adj DE"),
    Column(29, "qual_o", "float", "Qual O"),
    Column(30, "qual_d", "float", "Qual D"),
    Column(31, "qual_barthag", "float", "Qual Barthag"),
    Column(32, "qual_games", "float", "Qual Games"),
    Column(33, "fun", "float", "FUN"),
    Column(34, "conf_pf", "float", "ConPF"),
    Column(35, "conf_pa", "float", "ConPA"),
    Column(36, "conf_poss", "float", "ConPoss"),
    Column(37, "conf_oe", "float", "ConOE"),
    Column(38, "conf_de", "float", "ConDE"),
    Column(39, "conf_sos_remain", "float", "ConSOSRemain"),
    Column(40, "conf_win_pct", "float", "Conf Win%"),
    Column(41, "wab", "float", "WAB"),
    Column(42, "wab_rank", "int", "WAB Rk"),
    Column(43, "fun_rank", "int", "Fun Rk"),
    Column(44, "adj_tempo", "float", "adjt"),
)

WIDTH = len(COLUMNS)
assert WIDTH == 45 and all(c.index == i for i, c in enumerate(COLUMNS))

BARTHAG_EXPONENT = 11.5


def barthag(adjoe: float, adjde: float) -> float:
    """BartTorvik's barthag, exactly as the files compute it."""
    o = adjoe**BARTHAG_EXPONENT
    return o / (o + adjde**BARTHAG_EXPONENT)
