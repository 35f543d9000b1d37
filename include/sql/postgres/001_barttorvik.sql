-- BartTorvik daily snapshots: raw artifacts, typed metrics, quarantine, run records, teams dimension.

CREATE TABLE bt_teams (
    team_id          text PRIMARY KEY,
    name             text NOT NULL,           -- current BartTorvik spelling
    cbbd_team_id     integer UNIQUE,
    cbbd_school      text,
    aliases          text[] NOT NULL,         -- every BartTorvik spelling seen, old names included
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE bt_raw_artifacts (
    artifact_id      bigserial PRIMARY KEY,
    snapshot_date    date NOT NULL,
    source_kind      text NOT NULL CHECK (source_kind IN ('live', 'timemachine')),
    source_url       text NOT NULL,
    file_date        date NOT NULL,           -- the date in the source file name (D-1 for the time machine)
    sha256           text NOT NULL,           -- of the bytes as served
    bytes            integer NOT NULL,
    lake_uri         text NOT NULL,           -- gzipped copy in the lake
    http_status      integer NOT NULL,
    status           text NOT NULL CHECK (status IN ('STORED', 'LOADED', 'REJECTED')),
    status_reason    text,
    fetched_at       timestamptz NOT NULL,
    UNIQUE (snapshot_date, sha256)
);

CREATE TABLE provider_ingestion_runs (
    provider         text NOT NULL,
    dataset          text NOT NULL,
    snapshot_date    date NOT NULL,
    run_id           text NOT NULL,           -- Airflow run id: clearing a task reuses the row
    status           text NOT NULL CHECK (status IN ('RUNNING', 'SUCCESS', 'SKIPPED', 'FAILED')),
    reason           text,
    artifact_id      bigint REFERENCES bt_raw_artifacts (artifact_id),
    source_url       text,
    rows_loaded      integer,
    rows_quarantined integer,
    deadletter_uri   text,
    attempts         integer NOT NULL DEFAULT 1,
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    PRIMARY KEY (provider, dataset, snapshot_date, run_id)
);
CREATE INDEX provider_ingestion_runs_status ON provider_ingestion_runs (provider, dataset, snapshot_date, status);

CREATE TABLE bt_team_metrics_daily (
    team_id            text NOT NULL REFERENCES bt_teams (team_id),
    snapshot_date      date NOT NULL,
    season             integer NOT NULL,
    rank               integer NOT NULL,  -- [0] rank
    team_name          text NOT NULL,  -- [1] team
    conf               text,  -- [2] conf
    record             text,  -- [3] record
    adjoe              double precision NOT NULL,  -- [4] adjoe
    adjoe_rank         integer,  -- [5] oe Rank
    adjde              double precision NOT NULL,  -- [6] adjde
    adjde_rank         integer,  -- [7] de Rank
    barthag            double precision NOT NULL,  -- [8] barthag
    barthag_rank       integer,  -- [9] rank
    proj_wins          double precision,  -- [10] proj. W
    proj_losses        double precision,  -- [11] Proj. L
    proj_conf_wins     double precision,  -- [12] Pro Con W
    proj_conf_losses   double precision,  -- [13] Pro Con L
    conf_record        text,  -- [14] Con Rec.
    sos                double precision,  -- [15] sos
    ncsos              double precision,  -- [16] ncsos
    consos             double precision,  -- [17] consos
    proj_sos           double precision,  -- [18] Proj. SOS
    proj_noncon_sos    double precision,  -- [19] Proj. Noncon SOS
    proj_conf_sos      double precision,  -- [20] Proj. Con SOS
    elite_sos          double precision,  -- [21] elite SOS
    elite_noncon_sos   double precision,  -- [22] elite noncon SOS
    opp_oe             double precision,  -- [23] Opp OE
    opp_de             double precision,  -- [24] Opp DE
    opp_proj_oe        double precision,  -- [25] Opp Proj. OE
    opp_proj_de        double precision,  -- [26] Opp Proj DE
    conf_adj_oe        double precision,  -- [27] Con Adj OE
    conf_adj_de        double precision,  -- [28] Con Adj DE
    qual_o             double precision,  -- [29] Qual O
    qual_d             double precision,  -- [30] Qual D
    qual_barthag       double precision,  -- [31] Qual Barthag
    qual_games         double precision,  -- [32] Qual Games
    fun                double precision,  -- [33] FUN
    conf_pf            double precision,  -- [34] ConPF
    conf_pa            double precision,  -- [35] ConPA
    conf_poss          double precision,  -- [36] ConPoss
    conf_oe            double precision,  -- [37] ConOE
    conf_de            double precision,  -- [38] ConDE
    conf_sos_remain    double precision,  -- [39] ConSOSRemain
    conf_win_pct       double precision,  -- [40] Conf Win%
    wab                double precision,  -- [41] WAB
    wab_rank           integer,  -- [42] WAB Rk
    fun_rank           integer,  -- [43] Fun Rk
    adj_tempo          double precision NOT NULL,  -- [44] adjt
    wins               integer,                 -- parsed from record
    losses             integer,
    artifact_id        bigint NOT NULL REFERENCES bt_raw_artifacts (artifact_id),
    loaded_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, snapshot_date)
);
CREATE INDEX bt_team_metrics_daily_date ON bt_team_metrics_daily (snapshot_date);

CREATE TABLE bt_ingestion_quarantine (
    snapshot_date    date NOT NULL,
    row_index        integer NOT NULL,        -- position of the row in the source file
    team_name        text,
    reason           text NOT NULL,
    raw_row          jsonb NOT NULL,
    artifact_id      bigint NOT NULL REFERENCES bt_raw_artifacts (artifact_id),
    quarantined_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (snapshot_date, row_index)
);
