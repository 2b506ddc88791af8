-- Knowledge base (知识库): policy answers curated by supervisors and admins.
-- The row holds the current text; every saved edit is also kept in knowledge_versions.
CREATE TABLE knowledge_entries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    jurisdiction   TEXT NOT NULL REFERENCES jurisdictions (code),
    -- draft | published | withdrawn
    status         TEXT NOT NULL,
    version        BIGINT NOT NULL,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    topic          TEXT REFERENCES topics (code),
    issuing_unit   TEXT REFERENCES units (code),
    -- Calendar days, YYYY-MM-DD: compared as text.
    effective_from TEXT,
    expires_on     TEXT,
    -- JSON array of {title, url}: attachments are published as links to the intranet document store.
    links          TEXT NOT NULL,
    updated_by     BIGINT NOT NULL REFERENCES users (id),
    updated_at     BIGINT NOT NULL,
    published_at   BIGINT
);
CREATE INDEX knowledge_entries_updated ON knowledge_entries (updated_at);

CREATE TABLE knowledge_versions (
    entry_id       BIGINT NOT NULL REFERENCES knowledge_entries (id),
    version        BIGINT NOT NULL,
    status         TEXT NOT NULL,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    topic          TEXT,
    issuing_unit   TEXT,
    effective_from TEXT,
    expires_on     TEXT,
    links          TEXT NOT NULL,
    saved_by       BIGINT NOT NULL REFERENCES users (id),
    saved_at       BIGINT NOT NULL,
    PRIMARY KEY (entry_id, version)
);

-- Which knowledge-base answer (and which version of it) was used on a case.
CREATE TABLE knowledge_uses (
    work_order_id BIGINT NOT NULL REFERENCES work_orders (id),
    entry_id      BIGINT NOT NULL REFERENCES knowledge_entries (id),
    version       BIGINT NOT NULL,
    used_by       BIGINT NOT NULL REFERENCES users (id),
    used_at       BIGINT NOT NULL,
    PRIMARY KEY (work_order_id, entry_id)
);
CREATE INDEX knowledge_uses_entry ON knowledge_uses (entry_id);

-- What the routing suggestions proposed and what people chose: the acceptance rate admins see.
CREATE TABLE suggestion_outcomes (
    work_order_id BIGINT NOT NULL REFERENCES work_orders (id),
    -- kind | topic | unit
    field         TEXT NOT NULL,
    suggested     TEXT NOT NULL,
    confidence    DOUBLE PRECISION NOT NULL,
    -- NULL until decided (the unit is decided at dispatch).
    chosen        TEXT,
    suggested_at  BIGINT NOT NULL,
    decided_at    BIGINT,
    PRIMARY KEY (work_order_id, field)
);
CREATE INDEX suggestion_outcomes_at ON suggestion_outcomes (suggested_at);

-- Each server's search index follows work orders by their last change.
CREATE INDEX work_orders_updated ON work_orders (updated_at);
