-- Organisation: jurisdictions, units, hotline lines, topics, users, sessions, enterprises.
-- Instants are milliseconds since the epoch (BIGINT) in both backends; flags are 0/1 integers.
CREATE TABLE jurisdictions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT REFERENCES jurisdictions (code),
    sort_order  BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE units (
    code         TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    jurisdiction TEXT NOT NULL REFERENCES jurisdictions (code),
    type         TEXT NOT NULL,
    function     TEXT,
    active       BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX units_jurisdiction ON units (jurisdiction);

CREATE TABLE lines (
    id           TEXT PRIMARY KEY,
    number       TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    jurisdiction TEXT NOT NULL REFERENCES jurisdictions (code),
    official     TEXT NOT NULL
);

CREATE TABLE topics (
    code             TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    parent_code      TEXT REFERENCES topics (code),
    default_function TEXT,
    sort_order       BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    jurisdiction  TEXT NOT NULL REFERENCES jurisdictions (code),
    unit          TEXT REFERENCES units (code),
    active        BIGINT NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE enterprises (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    uscc         TEXT UNIQUE,
    name         TEXT NOT NULL,
    contact      TEXT,
    phone        TEXT,
    address      TEXT,
    industry     TEXT,
    jurisdiction TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX enterprises_phone ON enterprises (phone);
CREATE INDEX enterprises_name ON enterprises (name);

-- Facts about this installation (e.g. that the demo organisation was loaded).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
