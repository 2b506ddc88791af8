-- Work orders (工单), the units on them, and their append-only history.
CREATE TABLE order_counters (
    day  TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE work_orders (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    number                TEXT NOT NULL UNIQUE,
    idempotency_key       TEXT UNIQUE,
    -- SHA-256 of the code the enterprise gets to follow its appeal online.
    receipt_code_hash     TEXT,
    version               BIGINT NOT NULL,
    -- The state machine's snapshot (JSON); the columns below are derived from it on every write.
    lifecycle             TEXT NOT NULL,
    state                 TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    regular               BIGINT NOT NULL,
    channel               TEXT NOT NULL,
    line                  TEXT REFERENCES lines (id),
    topic                 TEXT REFERENCES topics (code),
    jurisdiction          TEXT NOT NULL REFERENCES jurisdictions (code),
    handling_jurisdiction TEXT NOT NULL REFERENCES jurisdictions (code),
    title                 TEXT NOT NULL,
    content               TEXT NOT NULL,
    enterprise_id         BIGINT REFERENCES enterprises (id),
    caller_name           TEXT NOT NULL,
    caller_phone          TEXT NOT NULL,
    confidential          BIGINT NOT NULL,
    discipline_only       BIGINT NOT NULL,
    lead_unit             TEXT REFERENCES units (code),
    created_by            BIGINT NOT NULL REFERENCES users (id),
    received_at           BIGINT NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    deadline              BIGINT,
    warning_at            BIGINT,
    paused_since          BIGINT,
    closed_at             BIGINT,
    rating                TEXT,
    supervised            BIGINT NOT NULL DEFAULT 0,
    returns               BIGINT NOT NULL DEFAULT 0,
    answer                TEXT,
    reply                 TEXT
);
CREATE INDEX work_orders_open_deadline ON work_orders (closed_at, deadline);
CREATE INDEX work_orders_handling ON work_orders (handling_jurisdiction, deadline);
CREATE INDEX work_orders_state ON work_orders (state, deadline);
CREATE INDEX work_orders_lead_unit ON work_orders (lead_unit, deadline);
CREATE INDEX work_orders_received ON work_orders (received_at);
CREATE INDEX work_orders_enterprise ON work_orders (enterprise_id, received_at);

CREATE TABLE work_order_units (
    work_order_id BIGINT NOT NULL REFERENCES work_orders (id),
    unit          TEXT NOT NULL REFERENCES units (code),
    role          TEXT NOT NULL,
    PRIMARY KEY (work_order_id, unit)
);
CREATE INDEX work_order_units_unit ON work_order_units (unit, work_order_id);

CREATE TABLE work_order_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    work_order_id BIGINT NOT NULL REFERENCES work_orders (id),
    at            BIGINT NOT NULL,
    actor_id      BIGINT REFERENCES users (id),
    actor_name    TEXT NOT NULL,
    actor_role    TEXT NOT NULL,
    action        TEXT NOT NULL,
    from_state    TEXT,
    to_state      TEXT NOT NULL,
    details       TEXT NOT NULL
);
-- Events of one work order are ordered by id: state changes are serialised by the work order's row.
CREATE INDEX work_order_events_order ON work_order_events (work_order_id, id);
