-- 009: which due job a klaviyo-syncd claims first (issue 12).
--
-- A fleet's first sync is bound by its longest report chains: series
-- are read in 60-day windows at 2 report requests a minute per account
-- and endpoint, so 500 days of history take four minutes however fast
-- the daemon is, while 30 days take one request.  Claimed in queue
-- order, the long chains of stores far down the queue start behind
-- every other store's work, and the fleet ends that much later.  So:
--
-- claim_class: due flow, segment and form jobs (the long chains) before
--   due campaign jobs (one or two report requests), and those before
--   due order jobs (none);
-- claim_rank: within a class, a job whose windows are not planned yet
--   first (planning is cheap, and a full sync yields once right after
--   it, see sync_windows_phase), then the most report windows left.
--
-- Then queue order.  Nothing starves for long: a series job is due only
-- for the moment its account's next report slot opens.
ALTER TABLE sync_jobs
    ADD COLUMN claim_class smallint NOT NULL GENERATED ALWAYS AS (
        CASE type WHEN 'campaigns' THEN 1 WHEN 'orders' THEN 2 ELSE 0 END
    ) STORED,
    ADD COLUMN claim_rank integer GENERATED ALWAYS AS (
        CASE WHEN jsonb_typeof(cursor -> 'windows') = 'array' THEN
            jsonb_array_length(cursor -> 'windows') -
            CASE WHEN jsonb_typeof(cursor -> 'window') = 'number'
                THEN (cursor -> 'window')::numeric::integer ELSE 0 END
        END
    ) STORED;

-- The claim reads each class's due jobs in that order, one index each.
DROP INDEX sync_jobs_queued;
CREATE INDEX sync_jobs_queued ON sync_jobs
    (claim_class, claim_rank DESC NULLS FIRST, run_after, id)
    WHERE state = 'queued';
