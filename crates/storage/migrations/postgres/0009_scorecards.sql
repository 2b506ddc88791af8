-- 三率 scorecards, one scope for figures and lists, and published reports (issue 15).

-- The follow-up's answer to "was the problem solved" (解决率); derived from the
-- lifecycle on every write, like the other case columns.
ALTER TABLE work_orders ADD COLUMN resolved BIGINT;
UPDATE work_orders SET resolved = 1 WHERE lifecycle LIKE '%"resolved":true%';
UPDATE work_orders SET resolved = 0 WHERE lifecycle LIKE '%"resolved":false%';

-- 响应率 needs the unit that accepted (签收) a case, as dispatches and returns
-- already have (0006). Sealed details (the discipline commission's) are no JSON
-- and are never a unit's acceptance.
UPDATE work_order_events SET unit = details::jsonb #>> '{event,unit}' WHERE action = 'accept' AND details LIKE '{%';

-- Reports count the cases a jurisdiction handles (handling_jurisdiction), as
-- its lists do, so the covering indexes of 0006/0008 carry that column now;
-- the open-at-end index also carries the lead unit (overdue per unit) and
-- whether the clock is paused (a paused case is not overdue, as in the lists),
-- and the closed one the follow-up's `resolved`.
DROP INDEX work_orders_received_report;
CREATE INDEX work_orders_received_report ON work_orders (received_at, enterprise_id, topic, kind, line, handling_jurisdiction, urgent, style, discipline_only);
DROP INDEX work_orders_enterprise_topic;
CREATE INDEX work_orders_enterprise_topic ON work_orders (enterprise_id, received_at, topic, handling_jurisdiction, discipline_only);
DROP INDEX work_orders_left;
CREATE INDEX work_orders_left ON work_orders (closed_at, received_at, deadline, handling_jurisdiction, lead_unit, rating, paused_since, discipline_only);
DROP INDEX work_orders_closed_report;
CREATE INDEX work_orders_closed_report ON work_orders (state, closed_at, deadline, received_at, handling_jurisdiction, lead_unit, rating, resolved, discipline_only);

-- A supervisor's commentary (工作专班意见) and the edited 问题与建议 of an
-- archived report, and when and by whom it was published to its readers.
ALTER TABLE report_archive ADD COLUMN commentary TEXT;
ALTER TABLE report_archive ADD COLUMN suggestions TEXT;
ALTER TABLE report_archive ADD COLUMN published_at BIGINT;
ALTER TABLE report_archive ADD COLUMN published_by BIGINT REFERENCES users (id);

-- A published report reaches its readers' inboxes with a link to it.
ALTER TABLE notifications ADD COLUMN report_id BIGINT REFERENCES report_archive (id);
