-- tests/upgrade/run.sh, after the migration: every line this prints is a
-- failure.  It compares with what before.sql kept aside, in one
-- transaction that is rolled back (the HTTP checks use the database next).
\set ON_ERROR_STOP 1
BEGIN;

-- The fixture must hold what the checks are about, or they prove nothing.
SELECT 'fixture: ' || what FROM (VALUES
    ('no connected store', (SELECT count(*) FROM upgrade_before.stores
        WHERE klaviyo_integration ->> 'status' = 'connected')),
    ('no store in error', (SELECT count(*) FROM upgrade_before.stores
        WHERE klaviyo_integration ->> 'status' = 'error')),
    ('no store without an integration', (SELECT count(*)
        FROM upgrade_before.stores WHERE NOT configured)),
    ('no credential', (SELECT count(*) FROM upgrade_before.credentials)),
    ('no queued job', (SELECT count(*) FROM upgrade_before.jobs
        WHERE state = 'queued')),
    ('no finished job', (SELECT count(*) FROM upgrade_before.jobs
        WHERE state IN ('done', 'failed'))),
    ('no pending trigger', (SELECT count(*) FROM upgrade_before.triggers
        WHERE delivered_at IS NULL AND cancelled_at IS NULL)),
    ('not all nine synced tables have rows', (SELECT count(DISTINCT tab)
        FROM upgrade_before.synced) - 8)
) AS f(what, n) WHERE n < 1;

SELECT 'migration 011 not recorded'
 WHERE NOT EXISTS (SELECT 1 FROM schema_migrations WHERE version = 11);

-- Each configured store: exactly one connection, primary, with the
-- store's id and its old document; the others: none.
SELECT 'store ' || b.public_id || ': ' || count(k.id) || ' connections, '
       || count(k.id) FILTER (WHERE k.id = b.id AND k.is_primary
           AND k.klaviyo_integration = b.klaviyo_integration
           AND k.account_id = b.klaviyo_integration ->> 'public_id')
       || ' primary with its id and document (configured: '
       || b.configured || ')'
  FROM upgrade_before.stores b
  LEFT JOIN klaviyo_connections k ON k.store_id = b.id
 GROUP BY b.id, b.public_id, b.configured
HAVING count(k.id) <> b.configured::int
    OR count(k.id) FILTER (WHERE k.id = b.id AND k.is_primary
           AND k.klaviyo_integration = b.klaviyo_integration
           AND k.account_id = b.klaviyo_integration ->> 'public_id')
       <> b.configured::int;
SELECT 'connection ' || k.id || ' of no configured store'
  FROM klaviyo_connections k
 WHERE NOT EXISTS (SELECT 1 FROM upgrade_before.stores b
                    WHERE b.id = k.store_id AND b.configured);

-- Synced data: per table, the rows of each connection are the old rows
-- of its store (count and values).
CREATE TEMP TABLE upgrade_after (tab text, store_id bigint, n bigint,
                                 digest text);
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['campaigns', 'campaign_stats', 'flows',
        'flow_series', 'segments', 'segment_series', 'forms',
        'form_series', 'orders']
    LOOP
        EXECUTE format('INSERT INTO upgrade_after SELECT %L,'
            ' d.connection_id, count(*), md5(string_agg(d::text, E''\n'''
            ' ORDER BY d::text)) FROM %I d GROUP BY d.connection_id', t, t);
    END LOOP;
END $$;
SELECT coalesce(b.tab, a.tab) || ' of store/connection '
       || coalesce(b.store_id, a.store_id) || ': ' || coalesce(b.n, 0)
       || ' rows before, ' || coalesce(a.n, 0) || ' after'
       || CASE WHEN a.n = b.n THEN ' (values differ)' ELSE '' END
  FROM upgrade_before.synced b
  FULL JOIN upgrade_after a ON a.tab = b.tab AND a.store_id = b.store_id
 WHERE a.digest IS DISTINCT FROM b.digest;

-- Credentials: the same sealed bytes, under the connection with the
-- store's id (008 sealed the row id into the AAD).
SELECT 'credential of store/connection '
       || coalesce(b.store_id, c.connection_id) || ' not kept as it was'
  FROM upgrade_before.credentials b
  FULL JOIN klaviyo_credentials c ON c.connection_id = b.store_id
 WHERE (b.kind, b.key_version, b.nonce, b.ciphertext, b.tag,
        b.sealed_format, b.created_at, b.rotated_at)
       IS DISTINCT FROM
       (c.kind, c.key_version, c.nonce, c.ciphertext, c.tag,
        c.sealed_format, c.created_at, c.rotated_at);

-- Jobs: every one kept, on its store's connection, unchanged.
SELECT 'job ' || coalesce(b.id, j.id) || ' not kept as it was'
  FROM upgrade_before.jobs b
  FULL JOIN sync_jobs j ON j.id = b.id
 WHERE j.connection_id IS DISTINCT FROM b.store_id
    OR (b.store_id, b.type, b.mode, b.state, b.run_after, b.attempts,
        b.cursor, b.progress, b.last_error, b.trigger_id, b.finished_at)
       IS DISTINCT FROM
       (j.store_id, j.type, j.mode, j.state, j.run_after, j.attempts,
        j.cursor, j.progress, j.last_error, j.trigger_id, j.finished_at);

-- The seed's KlaviyoSync rows: kept, each on its store's connection.
SELECT 'klaviyo_syncs ' || coalesce(b.id, y.id) || ' not kept as it was'
  FROM upgrade_before.syncs b
  FULL JOIN klaviyo_syncs y ON y.id = b.id
 WHERE y.connection_id IS DISTINCT FROM b.store_id
    OR (b.klaviyo_public_id, b.store_id, b.state)
       IS DISTINCT FROM (y.klaviyo_public_id, y.store_id, y.state);

-- Report triggers: all kept (the history too), on the store's connection
-- when it has one.
SELECT 'trigger ' || coalesce(b.id, t.id) || ' not kept as it was'
  FROM upgrade_before.triggers b
  FULL JOIN report_triggers t ON t.id = b.id
 WHERE t.connection_id IS DISTINCT FROM
       (SELECT s.id FROM upgrade_before.stores s
         WHERE s.id = b.store_id AND s.configured)
    OR (b.store_id, b.payload, b.attempts, b.next_attempt_at,
        b.delivered_at, b.cancelled_at, b.last_error)
       IS DISTINCT FROM
       (t.store_id, t.payload, t.attempts, t.next_attempt_at,
        t.delivered_at, t.cancelled_at, t.last_error);

-- A new connection: an id above every old store id.  It is the account
-- of another store's connection (the same account on two stores works).
WITH twin AS (
    SELECT k.klaviyo_integration FROM klaviyo_connections k
      JOIN stores s ON s.id = k.store_id WHERE s.public_id = 'UpgShop1'
), ins AS (
    INSERT INTO klaviyo_connections (store_id, is_primary,
                                     klaviyo_integration)
    SELECT s.id, true, twin.klaviyo_integration
      FROM stores s, twin WHERE s.public_id = 'UpgNever6'
    RETURNING id
)
SELECT 'new connection: ' || coalesce(max(id)::text, 'none inserted')
       || ', not above every old store id'
  FROM ins
HAVING coalesce(max(id) > (SELECT max(id) FROM upgrade_before.stores),
                false) IS NOT TRUE;

-- The same account twice on one store is refused; so is a second primary.
CREATE TEMP TABLE upgrade_refused (what text);
DO $$
BEGIN
    BEGIN
        INSERT INTO klaviyo_connections (store_id, klaviyo_integration)
        SELECT k.store_id, k.klaviyo_integration
          FROM klaviyo_connections k JOIN stores s ON s.id = k.store_id
         WHERE s.public_id = 'UpgShop1';
        INSERT INTO upgrade_refused
            VALUES ('the same account connected twice to UpgShop1');
    EXCEPTION WHEN unique_violation THEN NULL;
    END;
    BEGIN
        INSERT INTO klaviyo_connections (store_id, is_primary,
                                         klaviyo_integration)
        SELECT k.store_id, true, jsonb_set(k.klaviyo_integration,
                                           '{public_id}', '"UpgOther"')
          FROM klaviyo_connections k JOIN stores s ON s.id = k.store_id
         WHERE s.public_id = 'UpgShop1';
        INSERT INTO upgrade_refused VALUES ('a second primary on UpgShop1');
    EXCEPTION WHEN unique_violation THEN NULL;
    END;
END $$;
SELECT what || ' was accepted' FROM upgrade_refused;

ROLLBACK;
