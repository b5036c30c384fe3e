-- 006: day-2 administration: disabled users, and the record of the daily
-- prune that klaviyo-syncd runs (one run a day however many daemons).

-- A disabled user cannot sign in and their sessions stop working; the
-- row stays (audit_log, seats) and "klaviyo-admin user enable" undoes it.
ALTER TABLE users ADD COLUMN disabled_at timestamptz;

-- Periodic maintenance done once for the whole cluster of daemons.
CREATE TABLE maintenance_runs (
    name        text PRIMARY KEY,
    last_run_at timestamptz NOT NULL
);

-- What the prune deletes by age, read without a full scan.
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX sync_jobs_finished ON sync_jobs (finished_at)
    WHERE state IN ('done', 'failed', 'cancelled');
