-- 004: Klaviyo OAuth (authorization code + PKCE).

-- One row per "Connect with Klaviyo" click.  The state travels through
-- the browser and Klaviyo, so only its SHA-256 is kept; the PKCE verifier
-- must not, so it is sealed like a credential (AES-256-GCM, AAD = store
-- public id + key_version).  After the callback the same sealed columns
-- hold the tokens until the user picks the conversion metric and the
-- grant becomes the store's credential (the row is then deleted).
CREATE TABLE oauth_flows (
    id          bigserial PRIMARY KEY,
    state_hash  text NOT NULL UNIQUE CHECK (length(state_hash) = 64),
    user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    store_id    bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
    key_version integer NOT NULL CHECK (key_version > 0),
    nonce       bytea NOT NULL CHECK (length(nonce) = 12),
    ciphertext  bytea NOT NULL,
    tag         bytea NOT NULL CHECK (length(tag) = 16),
    account     jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    granted_at  timestamptz,
    CHECK (granted_at IS NULL OR (used_at IS NOT NULL AND account IS NOT NULL))
);
CREATE INDEX oauth_flows_granted ON oauth_flows (store_id, user_id)
    WHERE granted_at IS NOT NULL;
CREATE INDEX oauth_flows_expiry ON oauth_flows (expires_at);
