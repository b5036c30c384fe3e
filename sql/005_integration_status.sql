-- 005: the integration's status is one of the seed's four, and sync rows
-- are found by store.

-- src/core/integration.c reads and writes these four and no other; a
-- hand-edited or imported value outside them is refused at the door.
ALTER TABLE stores ADD CONSTRAINT stores_integration_status
    CHECK (klaviyo_integration ->> 'status'
           IN ('not_configured', 'connected', 'disconnected', 'error'));

-- Every klaviyo_syncs statement filters on store_id (date ranges, the
-- status view, a disconnect); the unique key leads with the account id.
CREATE INDEX klaviyo_syncs_store_id ON klaviyo_syncs (store_id);
