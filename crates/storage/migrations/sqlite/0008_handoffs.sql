-- Hand-offs between people (issue 14): urgency and handling style, typical
-- cases, the queues of pending decisions, and urgent SLA policies.
-- The columns are derived from the lifecycle on every write, like the others.
ALTER TABLE work_orders ADD COLUMN urgent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE work_orders ADD COLUMN style TEXT;
ALTER TABLE work_orders ADD COLUMN typical BIGINT NOT NULL DEFAULT 0;
-- An extension request waits for a supervisor (延期审批).
ALTER TABLE work_orders ADD COLUMN extension_pending BIGINT NOT NULL DEFAULT 0;
-- Rated unsatisfied and not closed since: the supervision board's 不满意 list, through any redo.
ALTER TABLE work_orders ADD COLUMN unsatisfied BIGINT NOT NULL DEFAULT 0;
UPDATE work_orders SET extension_pending = 1 WHERE lifecycle LIKE '%"extension_request":{%';
UPDATE work_orders SET unsatisfied = 1 WHERE rating = 'unsatisfied';
-- Queues sort urgent cases first, then by deadline.
CREATE INDEX work_orders_urgent_deadline ON work_orders (urgent, deadline, id);

-- The SLA policy of urgent appeals, per jurisdiction and kind (regularity does not matter when urgent).
CREATE TABLE sla_urgent_policies (
    jurisdiction TEXT NOT NULL REFERENCES jurisdictions (code),
    kind         TEXT NOT NULL,
    clock        TEXT NOT NULL,
    minutes      BIGINT NOT NULL,
    pausable     BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (jurisdiction, kind)
);
