-- 010: every change a web worker's read cache depends on is announced
-- (issue 19).  The workers LISTEN on kc_cache and, before a request's
-- first lookup, read their connection up to a fence, so a change
-- committed before a request arrives is seen by that request on every
-- worker (src/core/readcache.c).  Payloads: 'u:<user id>' (the user's
-- sessions, seats, account), 's:<store id>' (the store, who may see it,
-- its status and sync progress), '*' (everything: roles, TRUNCATE).
-- PostgreSQL sends one notification per distinct payload and
-- transaction, at commit, and none for a rolled back one.

-- kc_cache_notify('u' or 's', column): the column of the old and the new
-- row (of an UPDATE, both: a row may move to another user or store).
CREATE FUNCTION kc_cache_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('kc_cache',
            TG_ARGV[0] || ':' || (to_jsonb(OLD) ->> TG_ARGV[1]));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('kc_cache',
            TG_ARGV[0] || ':' || (to_jsonb(NEW) ->> TG_ARGV[1]));
    END IF;
    RETURN NULL;
END
$$;

-- The same for the rows a sync writes all the time (jobs, the store's
-- integration document, its sync states): the store id read directly,
-- not by converting both whole rows (a cursor, a JSONB document) to
-- JSON on every heartbeat of a fleet's sync.
CREATE FUNCTION kc_cache_notify_store_id() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('kc_cache', 's:' || OLD.store_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('kc_cache', 's:' || NEW.store_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION kc_cache_notify_store() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('kc_cache', 's:' || OLD.id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('kc_cache', 's:' || NEW.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION kc_cache_notify_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kc_cache', '*');
    RETURN NULL;
END
$$;

-- Sessions: a logout, a revoke, a cap, an expiry moved.  Not the
-- once-a-minute touch of last_seen_at, and not a new session (a
-- session that is not cached is looked up).
CREATE TRIGGER sessions_kc_cache AFTER DELETE OR UPDATE OF user_id, expires_at
    ON sessions FOR EACH ROW EXECUTE FUNCTION kc_cache_notify('u', 'user_id');
-- Users: disabled, enabled, renamed, deleted.
CREATE TRIGGER users_kc_cache AFTER UPDATE OR DELETE
    ON users FOR EACH ROW EXECUTE FUNCTION kc_cache_notify('u', 'id');
-- Who may see which store, with which role.
CREATE TRIGGER contract_seats_kc_cache AFTER INSERT OR UPDATE OR DELETE
    ON contract_seats FOR EACH ROW EXECUTE FUNCTION kc_cache_notify('u', 'user_id');
CREATE TRIGGER seat_store_access_kc_cache AFTER INSERT OR UPDATE OR DELETE
    ON seat_store_access FOR EACH ROW
    EXECUTE FUNCTION kc_cache_notify('s', 'store_id');
CREATE TRIGGER roles_kc_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON roles FOR EACH STATEMENT EXECUTE FUNCTION kc_cache_notify_all();
-- The store: name, public id, klaviyo_integration.
CREATE TRIGGER stores_kc_cache AFTER UPDATE OR DELETE
    ON stores FOR EACH ROW EXECUTE FUNCTION kc_cache_notify_store();
-- Sync progress as the status route shows it; not a lease renewal that
-- changes nothing it reads.
CREATE TRIGGER sync_jobs_kc_cache_ins AFTER INSERT OR DELETE
    ON sync_jobs FOR EACH ROW EXECUTE FUNCTION kc_cache_notify_store_id();
CREATE TRIGGER sync_jobs_kc_cache_upd AFTER UPDATE ON sync_jobs FOR EACH ROW
    WHEN ((OLD.store_id, OLD.type, OLD.state, OLD.mode, OLD.progress,
           OLD.cursor, OLD.last_error, OLD.created_at)
          IS DISTINCT FROM
          (NEW.store_id, NEW.type, NEW.state, NEW.mode, NEW.progress,
           NEW.cursor, NEW.last_error, NEW.created_at))
    EXECUTE FUNCTION kc_cache_notify_store_id();
-- A pending trigger shows as "queued"; not a retry's bookkeeping.
CREATE TRIGGER report_triggers_kc_cache_ins AFTER INSERT OR DELETE
    ON report_triggers FOR EACH ROW EXECUTE FUNCTION kc_cache_notify_store_id();
CREATE TRIGGER report_triggers_kc_cache_upd AFTER UPDATE
    ON report_triggers FOR EACH ROW
    WHEN ((OLD.store_id, OLD.delivered_at, OLD.cancelled_at)
          IS DISTINCT FROM (NEW.store_id, NEW.delivered_at, NEW.cancelled_at))
    EXECUTE FUNCTION kc_cache_notify_store_id();
CREATE TRIGGER klaviyo_syncs_kc_cache AFTER INSERT OR UPDATE OR DELETE
    ON klaviyo_syncs FOR EACH ROW EXECUTE FUNCTION kc_cache_notify_store_id();

CREATE TRIGGER sessions_kc_cache_truncate AFTER TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION kc_cache_notify_all();
CREATE TRIGGER users_kc_cache_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION kc_cache_notify_all();
CREATE TRIGGER contract_seats_kc_cache_truncate AFTER TRUNCATE ON contract_seats
    FOR EACH STATEMENT EXECUTE FUNCTION kc_cache_notify_all();
CREATE TRIGGER seat_store_access_kc_cache_truncate AFTER TRUNCATE
    ON seat_store_access FOR EACH STATEMENT EXECUTE FUNCTION kc_cache_notify_all();
CREATE TRIGGER stores_kc_cache_truncate AFTER TRUNCATE ON stores
    FOR EACH STATEMENT EXECUTE FUNCTION kc_cache_notify_all();
CREATE TRIGGER sync_jobs_kc_cache_truncate AFTER TRUNCATE ON sync_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION kc_cache_notify_all();
CREATE TRIGGER report_triggers_kc_cache_truncate AFTER TRUNCATE
    ON report_triggers FOR EACH STATEMENT EXECUTE FUNCTION kc_cache_notify_all();
CREATE TRIGGER klaviyo_syncs_kc_cache_truncate AFTER TRUNCATE ON klaviyo_syncs
    FOR EACH STATEMENT EXECUTE FUNCTION kc_cache_notify_all();
