-- 007: every running klaviyo-connect-fcgi worker and klaviyo-syncd says
-- here that it is alive and which master key versions it holds, so that
-- klaviyo-admin rotate-keys can refuse while one of them could not read
-- what it is about to write, and klaviyo-admin status can show whether a
-- klaviyo-syncd is running at all.

-- One row per process: written at start, after each SIGHUP reload and
-- every 15 seconds; deleted on a clean exit.  A row whose heartbeat_at
-- is older than a minute belongs to a process that died: it is ignored
-- and klaviyo-admin prune deletes it.
CREATE TABLE process_heartbeat (
    host         text        NOT NULL,
    pid          integer     NOT NULL,
    program      text        NOT NULL,
    version      text        NOT NULL,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    key_versions integer[]   NOT NULL,
    -- klaviyo-syncd: the sync jobs it runs now; NULL for the web workers.
    jobs_running bigint[],
    PRIMARY KEY (host, pid)
);
