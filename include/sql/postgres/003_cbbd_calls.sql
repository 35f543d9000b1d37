-- CBBD calls counted as they are made: one row per run and fetch attempt, incremented after each answered
-- call, so a killed attempt's calls still count. `remaining` is the last X-CallLimit-Remaining that attempt
-- saw and `seen_on` the run's day: the daily budget is computed from the newest one.

CREATE TABLE cbbd_calls (
    run_id      text NOT NULL,
    attempt     text NOT NULL,               -- one fetch process (a task try), random per attempt
    calls       integer NOT NULL CHECK (calls >= 0),
    remaining   integer,
    seen_on     date NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, attempt)
);

CREATE INDEX cbbd_calls_seen ON cbbd_calls (seen_on) WHERE remaining IS NOT NULL;
