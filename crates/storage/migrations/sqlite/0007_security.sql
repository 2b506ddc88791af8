-- What the caller said about the enterprise, kept on the case (JSON). Portal
-- and confidential intakes no longer write the shared enterprise record, so
-- the case is the only place that holds what they said.
ALTER TABLE work_orders ADD COLUMN enterprise_said TEXT;

-- Failed sign-ins per account ("user:NAME") and per address ("addr:IP"), for
-- throttling and lock-out. A success clears the account's row.
CREATE TABLE login_failures (
    key          TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    first_at     BIGINT NOT NULL,
    locked_until BIGINT
);

-- A password set by an admin must be changed at the next sign-in.
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;

-- The security audit log: append-only, each entry hashed (SHA-256) with the
-- one before, so that a changed, removed or inserted entry breaks the chain
-- (`zhitong audit verify`).
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        BIGINT NOT NULL,
    actor_id  BIGINT,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT,
    address   TEXT,
    details   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, at);
CREATE INDEX audit_log_action ON audit_log (action, at);

-- Idle timeout: a session unused for longer than the configured idle time ends.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT;
-- Where a sign-in came from, for the list of one's sessions.
ALTER TABLE sessions ADD COLUMN address TEXT;

-- A second factor (TOTP, RFC 6238): the secret sealed like confidential
-- content, one being set up, and the last time step used (a code works once).
ALTER TABLE users ADD COLUMN totp_enabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- Enterprises that exist only because of confidential cases hold a
-- reporter's contact and phone, written by intakes before this migration:
-- cleared (the shared record keeps name and credit code; the cases keep
-- their own view of it from now on).
UPDATE enterprises SET contact = NULL, phone = NULL
WHERE NOT EXISTS (SELECT 1 FROM work_orders w WHERE w.enterprise_id = enterprises.id AND w.confidential = 0)
  AND EXISTS (SELECT 1 FROM work_orders w WHERE w.enterprise_id = enterprises.id);
