-- Business calendars and SLA policies per jurisdiction, notifications
-- (outbox and in-app inbox), contact details for notifications, and leases
-- for jobs that one server of several must do.

-- Days that differ from the shipped national calendar. jurisdiction '*' = all.
CREATE TABLE calendar_days (
    jurisdiction TEXT NOT NULL,
    date         TEXT NOT NULL,
    name         TEXT NOT NULL,
    off_day      BIGINT NOT NULL,
    updated_by   BIGINT REFERENCES users (id),
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (jurisdiction, date)
);

CREATE TABLE service_hours (
    jurisdiction TEXT PRIMARY KEY REFERENCES jurisdictions (code),
    start_minute BIGINT NOT NULL,
    end_minute   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE sla_policies (
    jurisdiction TEXT NOT NULL REFERENCES jurisdictions (code),
    kind         TEXT NOT NULL,
    regular      BIGINT NOT NULL,
    clock        TEXT NOT NULL,
    minutes      BIGINT NOT NULL,
    pausable     BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (jurisdiction, kind, regular)
);

ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN mobile TEXT;

-- Every message is stored here first, then delivered by its channel with retries.
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key       TEXT NOT NULL UNIQUE,
    user_id         BIGINT NOT NULL REFERENCES users (id),
    channel         TEXT NOT NULL,
    recipient       TEXT,
    work_order_id   BIGINT REFERENCES work_orders (id),
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    read_at         BIGINT
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_user ON notifications (user_id, channel, created_at);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- The scheduler's scans. Overdue cases come from work_orders_open_deadline
-- (closed_at, deadline); these serve the warning scan and the (few)
-- unsatisfied follow-ups.
CREATE INDEX work_orders_open_warning ON work_orders (closed_at, warning_at);
CREATE INDEX work_orders_rating ON work_orders (rating, supervised, closed_at);

-- Reports: the period's dispatches, returns and extensions; cases closed in a period.
CREATE INDEX work_order_events_action_at ON work_order_events (action, at);
CREATE INDEX work_orders_jurisdiction_received ON work_orders (jurisdiction, received_at);
CREATE INDEX work_orders_closed ON work_orders (closed_at);
