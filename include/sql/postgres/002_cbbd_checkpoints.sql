-- CBBD checkpoints: one row per request (endpoint + parameter hash); what is done, and whether it is final.
-- `version` is an optimistic-lock counter: writers update only the version they read (hoops.cbbd.checkpoints).

CREATE TABLE cbbd_checkpoints (
    endpoint     text NOT NULL,                -- catalog name, e.g. plays_date
    param_hash   text NOT NULL,                -- Request.param_hash
    params       jsonb NOT NULL,               -- the parameters, for people and for repairs
    season       integer,
    status       text NOT NULL CHECK (status IN ('done', 'split', 'failed')),  -- split: capped, asked as halves
    final        boolean NOT NULL,             -- the data cannot change any more: never fetched again
    rows         integer NOT NULL CHECK (rows >= 0),
    raw_key      text,                         -- lake key of the raw response
    calls        integer NOT NULL CHECK (calls >= 0),
    updated_at   timestamptz NOT NULL,
    version      integer NOT NULL CHECK (version >= 1),
    PRIMARY KEY (endpoint, param_hash)
);

-- done_keys(endpoint): the planner's "already final" set, read by an index-only scan.
CREATE INDEX cbbd_checkpoints_final ON cbbd_checkpoints (endpoint, param_hash) WHERE status = 'done' AND final;
