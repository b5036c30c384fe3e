-- 016: sync progress drops only a web worker's cached status answer, not
-- the store access cached with it (issue 19).  A page polls the status
-- while a sync runs, and every change of a job's progress, a report
-- trigger or a sync state sent 's:<store>', which also dropped the
-- user's role and the integration document: each poll then read the
-- session and access again before the progress.  Those three tables now
-- send 'p:<store>' (src/core/readcache.c); a worker of an older build
-- drops everything on a payload it does not know, which is safe.
--
-- 010's function for the rows a sync writes, shared with 011's
-- klaviyo_connections and 012's connection_sync_settings (which keep
-- 's:': they change the document and settings cached with the access).
CREATE OR REPLACE FUNCTION kc_cache_notify_store_id() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    kind text := CASE WHEN TG_TABLE_NAME IN ('sync_jobs', 'report_triggers',
        'klaviyo_syncs') THEN 'p' ELSE 's' END;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('kc_cache', kind || ':' || OLD.store_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('kc_cache', kind || ':' || NEW.store_id);
    END IF;
    RETURN NULL;
END
$$;
