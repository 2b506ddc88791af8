-- Reports generated on schedule, archived as generated, read and marked
-- reviewed by leaders (审阅), with their instructions.
CREATE TABLE report_archive (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    period       TEXT NOT NULL,
    period_from  TEXT NOT NULL,
    jurisdiction TEXT NOT NULL REFERENCES jurisdictions (code),
    content      TEXT NOT NULL,
    generated_at BIGINT NOT NULL,
    reviewed_by  BIGINT REFERENCES users (id),
    reviewed_at  BIGINT,
    instruction  TEXT,
    UNIQUE (period, period_from, jurisdiction)
);
CREATE INDEX report_archive_jurisdiction ON report_archive (jurisdiction, period_from);

-- Typical cases (典型案例) chosen by supervisors for the monthly bulletin.
CREATE TABLE typical_cases (
    work_order_id BIGINT PRIMARY KEY REFERENCES work_orders (id),
    chosen_by     BIGINT NOT NULL REFERENCES users (id),
    chosen_at     BIGINT NOT NULL,
    note          TEXT NOT NULL
);
