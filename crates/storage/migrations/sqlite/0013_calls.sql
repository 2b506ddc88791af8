-- Calls (来电, issue 28): what the telephone system reported, the call each
-- call's events add up to, the cases recorded from it, and its call-backs.

-- An agent's seat: the extension the telephone system rings. One agent a seat.
ALTER TABLE users ADD COLUMN seat TEXT;
CREATE UNIQUE INDEX users_seat ON users (seat) WHERE seat IS NOT NULL;

-- Every event as received. The key makes the same event twice a no-op; the
-- call is recomputed from all of its events, so their order does not matter.
CREATE TABLE call_events (
    call_id       TEXT NOT NULL,
    event         TEXT NOT NULL,
    at            BIGINT NOT NULL,
    caller        TEXT NOT NULL,
    line          TEXT NOT NULL,
    seat          TEXT,
    recording_url TEXT,
    received_at   BIGINT NOT NULL,
    PRIMARY KEY (call_id, event)
);

-- One row a call: the fold of its events (domain::telephony::CallSummary),
-- and the call-back's progress, which only people write.
CREATE TABLE calls (
    call_id           TEXT PRIMARY KEY,
    line_id           TEXT NOT NULL REFERENCES lines (id),
    jurisdiction      TEXT NOT NULL REFERENCES jurisdictions (code),
    caller            TEXT NOT NULL,
    seat              TEXT,
    ringing_at        BIGINT NOT NULL,
    answered_at       BIGINT,
    ended_at          BIGINT,
    outcome           TEXT,
    wait_seconds      BIGINT,
    callback_due      BIGINT,
    called_back_at    BIGINT,
    callback_attempts BIGINT NOT NULL DEFAULT 0,
    recording_url     TEXT,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX calls_ringing ON calls (ringing_at);
CREATE INDEX calls_jurisdiction ON calls (jurisdiction, ringing_at);
CREATE INDEX calls_caller ON calls (caller, ringing_at);
-- The call-back queue: calls nobody spoke to and nobody has called back yet.
CREATE INDEX calls_callback_queue ON calls (callback_due) WHERE callback_due IS NOT NULL AND called_back_at IS NULL;

CREATE TABLE call_work_orders (
    call_id       TEXT NOT NULL REFERENCES calls (call_id),
    work_order_id BIGINT NOT NULL REFERENCES work_orders (id),
    PRIMARY KEY (call_id, work_order_id)
);
CREATE INDEX call_work_orders_case ON call_work_orders (work_order_id);

CREATE TABLE callback_attempts (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT NOT NULL REFERENCES calls (call_id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    at      BIGINT NOT NULL,
    reached BIGINT NOT NULL,
    note    TEXT NOT NULL
);
CREATE INDEX callback_attempts_call ON callback_attempts (call_id, at);

-- How long a call-back may take, per jurisdiction (and below); none: the defaults.
CREATE TABLE callback_policies (
    jurisdiction           TEXT PRIMARY KEY REFERENCES jurisdictions (code),
    within_service_minutes BIGINT NOT NULL,
    next_period_minutes    BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL
);

-- Follow-up calls placed through the telephone system (回访去电) from a case.
CREATE TABLE follow_up_calls (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    work_order_id BIGINT NOT NULL REFERENCES work_orders (id),
    user_id       BIGINT NOT NULL REFERENCES users (id),
    seat          TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    at            BIGINT NOT NULL
);
CREATE INDEX follow_up_calls_case ON follow_up_calls (work_order_id, at);
