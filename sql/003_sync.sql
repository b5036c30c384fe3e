-- 003: the sync job queue and the synced Klaviyo reporting data.

CREATE TABLE sync_jobs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id    bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
    type        text NOT NULL
                CHECK (type IN ('campaigns', 'flows', 'segments', 'forms',
                                'orders')),
    mode        text NOT NULL CHECK (mode IN ('full', 'incremental')),
    state       text NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'running', 'done', 'failed',
                                 'cancelled')),
    run_after   timestamptz NOT NULL DEFAULT now(),
    attempts    integer NOT NULL DEFAULT 0,
    lease_owner text,
    lease_until timestamptz,
    cursor      jsonb NOT NULL DEFAULT '{}',
    progress    jsonb NOT NULL DEFAULT '{}',
    last_error  text,
    trigger_id  bigint REFERENCES report_triggers ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    started_at  timestamptz,
    finished_at timestamptz
);
-- One queued job per store and type: enqueueing again is a no-op.
CREATE UNIQUE INDEX sync_jobs_one_queued ON sync_jobs (store_id, type)
    WHERE state = 'queued';
-- Claims read queued jobs in order, and expired leases apart, so the
-- running jobs never sit in the way of a claim.
CREATE INDEX sync_jobs_queued ON sync_jobs (run_after, id)
    WHERE state = 'queued';
CREATE INDEX sync_jobs_leases ON sync_jobs (lease_until)
    WHERE state = 'running';
CREATE INDEX sync_jobs_store ON sync_jobs (store_id, type, created_at DESC);

-- Synced data.  Keys make every write an idempotent upsert; statistics
-- are JSONB objects as Klaviyo returns them.  Days are the Klaviyo
-- account's days (it reads report timeframes in the account's timezone),
-- stored with that timezone.
CREATE TABLE campaigns (
    store_id    bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
    id          text NOT NULL,
    channel     text NOT NULL,
    name        text NOT NULL,
    status      text,
    send_time   timestamptz,
    attributes  jsonb NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, id)
);
CREATE TABLE campaign_stats (
    store_id    bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
    campaign_id text NOT NULL,
    channel     text NOT NULL,
    statistics  jsonb NOT NULL,
    conversion_metric_id text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, campaign_id, channel)
);
CREATE TABLE flows (
    store_id    bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
    id          text NOT NULL,
    name        text NOT NULL,
    status      text,
    attributes  jsonb NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, id)
);
CREATE TABLE flow_series (
    store_id    bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
    flow_id     text NOT NULL,
    day         date NOT NULL,
    timezone    text NOT NULL,
    statistics  jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, flow_id, day)
);
CREATE TABLE segments (
    store_id    bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
    id          text NOT NULL,
    name        text NOT NULL,
    attributes  jsonb NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, id)
);
CREATE TABLE segment_series (
    store_id    bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
    segment_id  text NOT NULL,
    day         date NOT NULL,
    timezone    text NOT NULL,
    statistics  jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, segment_id, day)
);
CREATE TABLE forms (
    store_id    bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
    id          text NOT NULL,
    name        text NOT NULL,
    status      text,
    attributes  jsonb NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, id)
);
CREATE TABLE form_series (
    store_id    bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
    form_id     text NOT NULL,
    day         date NOT NULL,
    timezone    text NOT NULL,
    statistics  jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, form_id, day)
);
-- Placed Order events, only when do_not_order_sync is false.
CREATE TABLE orders (
    store_id    bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
    event_id    text NOT NULL,
    order_id    text,
    value       numeric(14, 2),
    currency    text,
    occurred_at timestamptz NOT NULL,
    properties  jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (store_id, event_id)
);
CREATE INDEX orders_store_time ON orders (store_id, occurred_at);

-- Idempotency-Key of POST /api/v1/reports/full_sync: the same key twice
-- answers the first answer and starts one sync.
CREATE TABLE report_requests (
    idempotency_key text PRIMARY KEY CHECK (length(idempotency_key) <= 200),
    response        text NOT NULL,   -- replayed byte for byte
    created_at      timestamptz NOT NULL DEFAULT now()
);
