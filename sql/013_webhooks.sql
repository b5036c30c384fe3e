-- 013: Klaviyo system webhooks (issue 17).  One webhook per connection,
-- registered by klaviyo-syncd where the account allows it; what Klaviyo
-- delivers waits in webhook_inbox until klaviyo-syncd has applied it.

CREATE TABLE klaviyo_webhooks (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connection_id      bigint NOT NULL UNIQUE,
    store_id           bigint NOT NULL,
    -- The opaque id in the address Klaviyo posts to
    -- ($APP_URL/api/klaviyo/webhooks/<public_id>): it names no store.
    public_id          text NOT NULL UNIQUE
                       DEFAULT 'kwh_' || replace(gen_random_uuid()::text, '-', '')
                       CHECK (public_id ~ '^kwh_[0-9a-f]{32}$'),
    -- The settings' switch: off deregisters it.
    wanted             boolean NOT NULL DEFAULT true,
    -- pending: to register; active: registered; unavailable: Klaviyo
    -- refused it for this account or key (403, 400), polled only, asked
    -- again a day later; failing: registration keeps failing (5xx,
    -- timeouts), retried with backoff; off: not wanted, deregistered.
    state              text NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'active', 'unavailable',
                                        'failing', 'off')),
    reason             text,	-- the sentence the page shows
    failing_since      timestamptz,
    klaviyo_webhook_id text,
    topics             text[] NOT NULL DEFAULT '{}',
    order_topic        text,	-- the conversion metric's topic
    -- The signing secret, sealed like credentials (purpose
    -- "webhook/secret", the row's public id); made before the webhook is
    -- created at Klaviyo, so a crash in between loses nothing.
    key_version        integer CHECK (key_version > 0),
    nonce              bytea CHECK (length(nonce) = 12),
    ciphertext         bytea,
    tag                bytea CHECK (length(tag) = 16),
    -- Bumped by every change of what is wanted (a new key, the switch):
    -- a registration that ran meanwhile keeps nothing of its result.
    generation         integer NOT NULL DEFAULT 0,
    attempts           integer NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    last_event_at      timestamptz,
    events_received    bigint NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((key_version IS NULL) = (ciphertext IS NULL)),
    FOREIGN KEY (connection_id, store_id)
        REFERENCES klaviyo_connections (id, store_id) ON DELETE CASCADE
);
-- klaviyo-syncd's reconcile pass: what is due.
CREATE INDEX klaviyo_webhooks_due ON klaviyo_webhooks (next_attempt_at)
    WHERE (wanted AND state IN ('pending', 'failing', 'unavailable'))
       OR (NOT wanted AND klaviyo_webhook_id IS NOT NULL);

-- Signed deliveries, stored as received once their signature held.
CREATE TABLE webhook_inbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id    bigint NOT NULL REFERENCES klaviyo_webhooks ON DELETE CASCADE,
    received_at   timestamptz NOT NULL DEFAULT now(),
    events        integer NOT NULL CHECK (events >= 0),
    body          jsonb NOT NULL,
    processed_at  timestamptz,
    result        jsonb		-- what processing did (counts)
);
CREATE INDEX webhook_inbox_todo ON webhook_inbox (id)
    WHERE processed_at IS NULL;
CREATE INDEX webhook_inbox_done ON webhook_inbox (processed_at)
    WHERE processed_at IS NOT NULL;

-- Event ids already applied: Klaviyo may deliver an event more than once.
CREATE TABLE webhook_events_seen (
    webhook_id  bigint NOT NULL REFERENCES klaviyo_webhooks ON DELETE CASCADE,
    event_id    text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 200),
    seen_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (webhook_id, event_id)
);
CREATE INDEX webhook_events_seen_at ON webhook_events_seen (seen_at);

-- Every connection that exists now wants one, registered by klaviyo-syncd.
INSERT INTO klaviyo_webhooks (connection_id, store_id)
SELECT id, store_id FROM klaviyo_connections;
