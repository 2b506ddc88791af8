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
-- Sent back to the unit at least once (a rejected reply or a redo): the unit inbox's 退回重办 tab.
ALTER TABLE work_orders ADD COLUMN redone BIGINT NOT NULL DEFAULT 0;
UPDATE work_orders SET extension_pending = 1 WHERE lifecycle LIKE '%"extension_request":{%';
UPDATE work_orders SET unsatisfied = 1 WHERE rating = 'unsatisfied' AND closed_at IS NULL;
UPDATE work_orders SET redone = 1 WHERE lifecycle NOT LIKE '%"redos":0,%';
-- Reports count received appeals by urgency and style too: the covering index of 0006, widened.
DROP INDEX work_orders_received_report;
CREATE INDEX work_orders_received_report ON work_orders (received_at, enterprise_id, topic, kind, line, jurisdiction, urgent, style);
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
