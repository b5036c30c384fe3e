-- 016: sync progress drops only a web worker's cached status answer, not
-- the store access cached with it (issue 19).  A page polls the status
-- while a sync runs, and every change of a job's progress, a report
-- trigger or a sync state sent 's:<store>', which also dropped the
-- user's role and the integration document: each poll then read the
-- session and access again before the progress.  Now these send
-- 'p:<store>' (src/core/readcache.c); a worker of an older build drops
-- everything on a payload it does not know, which is safe.

-- 010's function for the rows a sync writes, with the payload's letter
-- as the trigger's argument ('s' without one, as 010, 011 and 012 use it).
CREATE OR REPLACE FUNCTION kc_cache_notify_store_id() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    kind text := CASE WHEN TG_NARGS > 0 THEN TG_ARGV[0] ELSE 's' END;
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

-- The same triggers as 010's, sending 'p'.
DROP TRIGGER sync_jobs_kc_cache_ins ON sync_jobs;
CREATE TRIGGER sync_jobs_kc_cache_ins AFTER INSERT OR DELETE
    ON sync_jobs FOR EACH ROW EXECUTE FUNCTION kc_cache_notify_store_id('p');
DROP TRIGGER sync_jobs_kc_cache_upd ON sync_jobs;
CREATE TRIGGER sync_jobs_kc_cache_upd AFTER UPDATE ON sync_jobs FOR EACH ROW
    WHEN ((OLD.store_id, OLD.type, OLD.state, OLD.mode, OLD.progress,
           OLD.cursor, OLD.last_error, OLD.created_at)
          IS DISTINCT FROM
          (NEW.store_id, NEW.type, NEW.state, NEW.mode, NEW.progress,
           NEW.cursor, NEW.last_error, NEW.created_at))
    EXECUTE FUNCTION kc_cache_notify_store_id('p');
DROP TRIGGER report_triggers_kc_cache_ins ON report_triggers;
CREATE TRIGGER report_triggers_kc_cache_ins AFTER INSERT OR DELETE
    ON report_triggers FOR EACH ROW EXECUTE FUNCTION kc_cache_notify_store_id('p');
DROP TRIGGER report_triggers_kc_cache_upd ON report_triggers;
CREATE TRIGGER report_triggers_kc_cache_upd AFTER UPDATE
    ON report_triggers FOR EACH ROW
    WHEN ((OLD.store_id, OLD.delivered_at, OLD.cancelled_at)
          IS DISTINCT FROM (NEW.store_id, NEW.delivered_at, NEW.cancelled_at))
    EXECUTE FUNCTION kc_cache_notify_store_id('p');
DROP TRIGGER klaviyo_syncs_kc_cache ON klaviyo_syncs;
CREATE TRIGGER klaviyo_syncs_kc_cache AFTER INSERT OR UPDATE OR DELETE
    ON klaviyo_syncs FOR EACH ROW EXECUTE FUNCTION kc_cache_notify_store_id('p');
