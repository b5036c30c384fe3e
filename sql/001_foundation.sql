-- 001: users, sessions, roles, seats, stores, audit log, login throttle.
-- The Mongo Store, Role and ContractSeat models as tables (DESIGN.md 2).

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_lower CHECK (email = lower(email)),
    CONSTRAINT users_email_shape CHECK (email ~ '^[^@\s]+@[^@\s]+$'
                                        AND length(email) <= 254)
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- Only the SHA-256 of a session token is stored: a database leak does
-- not hand out live sessions.
CREATE TABLE sessions (
    token_hash   bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE roles (
    id          smallint PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    level       integer NOT NULL,
    permissions jsonb NOT NULL DEFAULT '{}'
);
INSERT INTO roles (id, name, level, permissions) VALUES
    (1, 'owner', 100, '{"stores":{"manage_integrations":true}}'),
    (2, 'admin', 80, '{"stores":{"manage_integrations":true}}'),
    (3, 'viewer', 10, '{"stores":{"manage_integrations":false}}');

CREATE TABLE stores (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id           text NOT NULL UNIQUE
                        CHECK (public_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    klaviyo_integration jsonb NOT NULL
                        DEFAULT '{"status":"not_configured"}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stores_integration_is_object
        CHECK (jsonb_typeof(klaviyo_integration) = 'object'
               AND klaviyo_integration ? 'status')
);

-- The seed's ContractSeat.store_access array, one row per store.
CREATE TABLE contract_seats (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contract_seats_user_id ON contract_seats (user_id);

CREATE TABLE seat_store_access (
    seat_id  bigint NOT NULL REFERENCES contract_seats ON DELETE CASCADE,
    store_id bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
    role_id  smallint NOT NULL REFERENCES roles,
    PRIMARY KEY (seat_id, store_id)
);
CREATE INDEX seat_store_access_store_id ON seat_store_access (store_id);

CREATE TABLE audit_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_user_id bigint REFERENCES users ON DELETE SET NULL,
    store_id      bigint REFERENCES stores ON DELETE SET NULL,
    action        text NOT NULL,
    outcome       text NOT NULL,
    ip            text,
    detail        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_store_at ON audit_log (store_id, at);
CREATE INDEX audit_log_actor_at ON audit_log (actor_user_id, at);

-- Failed logins per key ('acct:<email>' or 'ip:<addr>') in a window.
CREATE TABLE login_throttle (
    key           text PRIMARY KEY,
    failures      integer NOT NULL,
    window_start  timestamptz NOT NULL,
    blocked_until timestamptz
);
