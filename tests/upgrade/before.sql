-- tests/upgrade/run.sh, before the migration: what the old schema holds,
-- kept aside in schema upgrade_before for checks.sql to compare with.
CREATE SCHEMA upgrade_before;
CREATE TABLE upgrade_before.stores AS
    SELECT id, public_id, klaviyo_integration,
           klaviyo_integration ->> 'status' <> 'not_configured'
           AND klaviyo_integration ->> 'public_id' IS NOT NULL AS configured
      FROM stores;
CREATE TABLE upgrade_before.credentials AS
    SELECT * FROM klaviyo_credentials;
CREATE TABLE upgrade_before.jobs AS SELECT * FROM sync_jobs;
CREATE TABLE upgrade_before.syncs AS SELECT * FROM klaviyo_syncs;
CREATE TABLE upgrade_before.triggers AS SELECT * FROM report_triggers;

-- Per synced table and store: the rows' count and a digest of their
-- values (a row's text has no column names, so a renamed column keeps it).
CREATE TABLE upgrade_before.synced (tab text, store_id bigint,
                                    n bigint, digest text);
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['campaigns', 'campaign_stats', 'flows',
        'flow_series', 'segments', 'segment_series', 'forms',
        'form_series', 'orders']
    LOOP
        EXECUTE format('INSERT INTO upgrade_before.synced SELECT %L,'
            ' d.store_id, count(*), md5(string_agg(d::text, E''\n'''
            ' ORDER BY d::text)) FROM %I d GROUP BY d.store_id', t, t);
    END LOOP;
END $$;
