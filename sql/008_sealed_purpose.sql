-- 008: every sealed secret is bound to its purpose and row (issue 14).
-- The AAD used to hold only the store's public id and the key version,
-- so an OAuth flow's ciphertext copied into the same store's credential
-- row decrypted there.  Rows sealed since name their purpose
-- ("credential/api_key", "credential/oauth", "oauth_flow/verifier",
-- "oauth_flow/grant") and row (store id, state hash, flow id) too.

-- 1: the old AAD (read only, re-sealed by the next save or by
-- klaviyo-admin rotate-keys); 2: purpose and row bound.  Existing rows are
-- 1, and so is a row that the previous version inserts between this
-- migration and its restart (it does not name the column).
ALTER TABLE klaviyo_credentials
    ADD COLUMN sealed_format smallint NOT NULL DEFAULT 1
    CHECK (sealed_format IN (1, 2));

-- OAuth attempts live minutes; those in progress are dropped rather than
-- kept as old-format ciphertexts that could be planted in a credential
-- row (the person clicks "Connect with Klaviyo" again).
DELETE FROM oauth_flows;
