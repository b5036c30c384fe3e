-- 012: per-connection sync settings (issue 16): which types sync, and how
-- often.  A type without a row syncs, on its default interval
-- (src/core/sync_type.c: campaigns, segments and orders daily, flows and
-- forms every two days).

CREATE TABLE connection_sync_settings (
    connection_id  bigint NOT NULL,
    store_id       bigint NOT NULL,
    type           text NOT NULL
                   CHECK (type IN ('campaigns', 'flows', 'segments', 'forms',
                                   'orders')),
    enabled        boolean NOT NULL DEFAULT true,
    -- NULL: the type's default.  1 hour to 7 days; the API also keeps
    -- the Klaviyo account's daily report budget (src/core/sync_settings.c).
    interval_hours integer CHECK (interval_hours BETWEEN 1 AND 168),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connection_id, type),
    FOREIGN KEY (connection_id, store_id)
        REFERENCES klaviyo_connections (id, store_id) ON DELETE CASCADE
);

-- The status and settings views read them (the read cache, 010).
CREATE TRIGGER connection_sync_settings_kc_cache
    AFTER INSERT OR UPDATE OR DELETE ON connection_sync_settings
    FOR EACH ROW EXECUTE FUNCTION kc_cache_notify_store_id();
CREATE TRIGGER connection_sync_settings_kc_cache_truncate
    AFTER TRUNCATE ON connection_sync_settings
    FOR EACH STATEMENT EXECUTE FUNCTION kc_cache_notify_all();

-- The activity route reads a store's audit rows newest first, by id.
CREATE INDEX audit_log_store_id ON audit_log (store_id, id DESC);
