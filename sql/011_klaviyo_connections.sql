-- 011: several Klaviyo accounts per store (issue 15).
--
-- A store has zero or more Klaviyo connections, one of them primary.
-- Each holds what stores.klaviyo_integration held for the store (the
-- seed's klaviyo_integration document: status, account, timezone,
-- currency, conversion metric, sync state), its own credential, jobs,
-- KlaviyoSync row and synced data.  The seed's routes act on the
-- primary connection; a store without one is "not_configured".
--
-- The move keeps every row: each configured store's integration becomes
-- its primary connection AND TAKES THE STORE'S ID, so every row keyed by
-- the store id is already keyed by its connection.  The synced tables
-- and the credentials only rename their column (no row is rewritten),
-- and a credential sealed with its row id in the AAD (008) still opens.
-- Connections made later get ids above every store id that existed.

CREATE TABLE klaviyo_connections (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- How clients, triggers and the CLI name a connection.
    public_id   text NOT NULL UNIQUE
                DEFAULT 'kcn_' || replace(gen_random_uuid()::text, '-', '')
                CHECK (public_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    store_id    bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
    is_primary  boolean NOT NULL DEFAULT false,
    -- The seed's klaviyo_integration object (src/core/integration.c).
    klaviyo_integration jsonb NOT NULL,
    -- The Klaviyo account, read from the document (never apart from it).
    account_id  text GENERATED ALWAYS AS
                (klaviyo_integration ->> 'public_id') STORED,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT klaviyo_connections_integration_is_object
        CHECK (jsonb_typeof(klaviyo_integration) = 'object'),
    -- A connection is a saved one: "not_configured" is having none.
    CONSTRAINT klaviyo_connections_status
        CHECK (klaviyo_integration ->> 'status'
               IN ('connected', 'disconnected', 'error')),
    CONSTRAINT klaviyo_connections_account CHECK (account_id IS NOT NULL),
    -- For the composite foreign keys below: a job or sync row of a
    -- connection always names that connection's store.
    UNIQUE (id, store_id)
);
-- The same Klaviyo account cannot be connected twice to one store.
CREATE UNIQUE INDEX klaviyo_connections_store_account
    ON klaviyo_connections (store_id, account_id);
-- At most one primary per store.
CREATE UNIQUE INDEX klaviyo_connections_primary
    ON klaviyo_connections (store_id) WHERE is_primary;
-- The scheduler reads the connected ones.
CREATE INDEX klaviyo_connections_status_idx
    ON klaviyo_connections ((klaviyo_integration ->> 'status'));

INSERT INTO klaviyo_connections (id, store_id, is_primary,
                                 klaviyo_integration, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT s.id, s.id, true, s.klaviyo_integration,
       coalesce((s.klaviyo_integration ->> 'connected_at')::timestamptz,
                s.created_at),
       s.updated_at
  FROM stores s
 WHERE s.klaviyo_integration ->> 'status' <> 'not_configured'
   AND s.klaviyo_integration ->> 'public_id' IS NOT NULL;
SELECT setval(pg_get_serial_sequence('klaviyo_connections', 'id'),
              greatest((SELECT max(id) FROM stores),
                       (SELECT max(id) FROM klaviyo_connections), 1));

ALTER TABLE stores DROP COLUMN klaviyo_integration;

-- Credentials: one per connection.  Rows of a store that had no
-- account (none are written so) cannot be placed and go.
DELETE FROM klaviyo_credentials c
 WHERE NOT EXISTS (SELECT 1 FROM klaviyo_connections k
                    WHERE k.id = c.store_id);
ALTER TABLE klaviyo_credentials RENAME COLUMN store_id TO connection_id;
ALTER TABLE klaviyo_credentials
    DROP CONSTRAINT klaviyo_credentials_store_id_fkey,
    ADD CONSTRAINT klaviyo_credentials_connection_id_fkey
        FOREIGN KEY (connection_id) REFERENCES klaviyo_connections
        ON DELETE CASCADE;

-- Synced data: keyed by connection, so two accounts never mix, and a
-- removed connection takes its data with it.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['campaigns', 'campaign_stats', 'flows',
        'flow_series', 'segments', 'segment_series', 'forms',
        'form_series', 'orders']
    LOOP
        EXECUTE format('DELETE FROM %I d WHERE NOT EXISTS (SELECT 1'
            ' FROM klaviyo_connections k WHERE k.id = d.store_id)', t);
        EXECUTE format('ALTER TABLE %I RENAME COLUMN store_id'
            ' TO connection_id', t);
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I, ADD CONSTRAINT'
            ' %I FOREIGN KEY (connection_id) REFERENCES klaviyo_connections'
            ' ON DELETE CASCADE', t, t || '_store_id_fkey',
            t || '_connection_id_fkey');
    END LOOP;
END $$;
ALTER INDEX orders_store_time RENAME TO orders_connection_time;

-- Jobs: per connection (one queued per connection and type); store_id
-- stays for the status views and the read cache's notifications.
ALTER TABLE sync_jobs ADD COLUMN connection_id bigint;
UPDATE sync_jobs j SET connection_id = j.store_id
 WHERE EXISTS (SELECT 1 FROM klaviyo_connections k WHERE k.id = j.store_id);
DELETE FROM sync_jobs WHERE connection_id IS NULL;
ALTER TABLE sync_jobs
    ALTER COLUMN connection_id SET NOT NULL,
    ADD CONSTRAINT sync_jobs_connection_fkey
        FOREIGN KEY (connection_id, store_id)
        REFERENCES klaviyo_connections (id, store_id) ON DELETE CASCADE;
DROP INDEX sync_jobs_one_queued;
CREATE UNIQUE INDEX sync_jobs_one_queued ON sync_jobs (connection_id, type)
    WHERE state = 'queued';
DROP INDEX sync_jobs_store;
CREATE INDEX sync_jobs_connection ON sync_jobs
    (connection_id, type, created_at DESC);

-- The seed's KlaviyoSync: one row per connection.
ALTER TABLE klaviyo_syncs ADD COLUMN connection_id bigint;
UPDATE klaviyo_syncs y SET connection_id = y.store_id
 WHERE EXISTS (SELECT 1 FROM klaviyo_connections k
                WHERE k.id = y.store_id
                  AND k.account_id = y.klaviyo_public_id);
DELETE FROM klaviyo_syncs WHERE connection_id IS NULL;
ALTER TABLE klaviyo_syncs
    ALTER COLUMN connection_id SET NOT NULL,
    ADD CONSTRAINT klaviyo_syncs_connection_fkey
        FOREIGN KEY (connection_id, store_id)
        REFERENCES klaviyo_connections (id, store_id) ON DELETE CASCADE,
    ADD CONSTRAINT klaviyo_syncs_connection_key UNIQUE (connection_id);

-- Report triggers name the connection (and its public id in the
-- payload); the history outlives a removed connection.
ALTER TABLE report_triggers ADD COLUMN connection_id bigint
    REFERENCES klaviyo_connections ON DELETE SET NULL;
UPDATE report_triggers t SET connection_id = t.store_id
 WHERE EXISTS (SELECT 1 FROM klaviyo_connections k WHERE k.id = t.store_id);


-- The web workers' read cache (010): a connection's changes are its
-- store's.
CREATE TRIGGER klaviyo_connections_kc_cache
    AFTER INSERT OR UPDATE OR DELETE ON klaviyo_connections
    FOR EACH ROW EXECUTE FUNCTION kc_cache_notify_store_id();
CREATE TRIGGER klaviyo_connections_kc_cache_truncate
    AFTER TRUNCATE ON klaviyo_connections
    FOR EACH STATEMENT EXECUTE FUNCTION kc_cache_notify_all();
