-- 002: Klaviyo credentials, shared rate limits, the report-trigger outbox,
-- the KlaviyoSync model, and short-lived caches of key probes.

-- One encrypted credential per store (DESIGN.md 5): AES-256-GCM with the
-- store's public id and key_version as additional authenticated data.
CREATE TABLE klaviyo_credentials (
    store_id    bigint PRIMARY KEY REFERENCES stores ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('api_key', 'oauth')),
    key_version integer NOT NULL CHECK (key_version > 0),
    nonce       bytea NOT NULL CHECK (length(nonce) = 12),
    ciphertext  bytea NOT NULL,
    tag         bytea NOT NULL CHECK (length(tag) = 16),
    created_at  timestamptz NOT NULL DEFAULT now(),
    rotated_at  timestamptz
);

-- Klaviyo's limits per account and endpoint, shared by every process on
-- every host.  Windows are in milliseconds (tests scale them down).
-- Each window keeps the times of the requests made in it
-- (a sliding log), so no window ever holds more than
-- limit_count requests: a token bucket would let capacity + refill
-- through in one window and earn a 429 from Klaviyo.
CREATE TABLE rate_buckets (
    account_key    text NOT NULL,
    endpoint       text NOT NULL,
    window_ms      integer NOT NULL CHECK (window_ms > 0),
    limit_count    integer NOT NULL CHECK (limit_count > 0),
    hits           timestamptz[] NOT NULL DEFAULT '{}',
    blocked_until  timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_key, endpoint, window_ms)
);

-- Takes one request slot in every window of (account, endpoint), or none.
-- Returns 0 when taken, else the seconds to wait before trying again.
CREATE FUNCTION kc_rate_take(p_account text, p_endpoint text,
                             p_limits integer[], p_windows integer[])
RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
    t    timestamptz := clock_timestamp();
    wait double precision := 0;
    r    record;
BEGIN
    INSERT INTO rate_buckets (account_key, endpoint, window_ms,
                              limit_count)
    SELECT p_account, p_endpoint, w, l
      FROM unnest(p_windows, p_limits) AS x(w, l)
    ON CONFLICT (account_key, endpoint, window_ms)
    DO UPDATE SET limit_count = EXCLUDED.limit_count
     WHERE rate_buckets.limit_count <> EXCLUDED.limit_count;

    FOR r IN
        SELECT b.window_ms, b.limit_count, b.blocked_until,
               ARRAY(SELECT h FROM unnest(b.hits) AS h
                      WHERE h > t - make_interval(secs => b.window_ms / 1000.0)
                      ORDER BY h) AS live
          FROM rate_buckets b
         WHERE b.account_key = p_account AND b.endpoint = p_endpoint
           AND b.window_ms = ANY (p_windows)
         ORDER BY b.window_ms
           FOR UPDATE
    LOOP
        IF r.blocked_until IS NOT NULL AND r.blocked_until > t THEN
            wait := greatest(wait,
                extract(epoch FROM r.blocked_until - t));
        END IF;
        IF coalesce(array_length(r.live, 1), 0) >= r.limit_count THEN
            -- The oldest request still in the window leaves it first.
            wait := greatest(wait, extract(epoch FROM
                r.live[array_length(r.live, 1) - r.limit_count + 1]
                + make_interval(secs => r.window_ms / 1000.0) - t));
        END IF;
    END LOOP;

    UPDATE rate_buckets b
       SET hits = ARRAY(SELECT h FROM unnest(b.hits) AS h
                         WHERE h > t - make_interval(secs => b.window_ms / 1000.0)
                         ORDER BY h)
                  || CASE WHEN wait > 0 THEN '{}'::timestamptz[]
                          ELSE ARRAY[t] END,
           updated_at = t
     WHERE b.account_key = p_account AND b.endpoint = p_endpoint
       AND b.window_ms = ANY (p_windows);
    RETURN greatest(wait, 0);
END $$;

-- Klaviyo said wait (429 Retry-After, or Remaining 0 until Reset).
CREATE FUNCTION kc_rate_block(p_account text, p_endpoint text,
                              p_seconds double precision)
RETURNS void LANGUAGE sql AS $$
    UPDATE rate_buckets
       SET blocked_until = greatest(coalesce(blocked_until, '-infinity'),
                                    clock_timestamp()
                                    + make_interval(secs => p_seconds))
     WHERE account_key = p_account AND endpoint = p_endpoint;
$$;

-- Which Klaviyo account a key belongs to (by SHA-256 of the key), so a
-- key's calls share that account's buckets once it is known.
CREATE TABLE klaviyo_key_accounts (
    key_hash   text PRIMARY KEY CHECK (length(key_hash) = 64),
    account_id text NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now()
);

-- A key's account and merged metric list for a short while, so pressing
-- Test twice (or Test then Connect) does not spend GET /api/accounts'
-- 1/s, 15/min budget twice.  Never holds the key.
CREATE TABLE klaviyo_probe_cache (
    key_hash   text PRIMARY KEY CHECK (length(key_hash) = 64),
    account    jsonb NOT NULL,
    metrics    jsonb NOT NULL,
    fetched_at timestamptz NOT NULL DEFAULT now()
);

-- The outbox of report-server triggers (DESIGN.md 2, 6): written in the
-- same transaction that saves the connection.
CREATE TABLE report_triggers (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id        bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    cancelled_at    timestamptz,
    last_error      text
);
CREATE INDEX report_triggers_pending ON report_triggers (next_attempt_at)
    WHERE delivered_at IS NULL AND cancelled_at IS NULL;

-- The seed's KlaviyoSync model: one row per Klaviyo account and store.
CREATE TABLE klaviyo_syncs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    klaviyo_public_id text NOT NULL,
    store_id          bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
    state             jsonb NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (klaviyo_public_id, store_id)
);
