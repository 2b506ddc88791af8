-- 响应率 at write time (issue 15). Each dispatch to a lead unit carries when
-- that unit must accept it by (respond_by: the response window in service
-- time, on the calendar, decided when dispatched, like a deadline) and when it
-- did (accepted_at: its first 签收 before any later dispatch). One period's
-- response tally is then a GROUP BY over one index range instead of a look-up
-- of the acceptance for each dispatch (docs/benchmarks.md). The history an
-- event records (details) never changes; these are derived columns, like unit.
ALTER TABLE work_order_events ADD COLUMN respond_by BIGINT;
ALTER TABLE work_order_events ADD COLUMN accepted_at BIGINT;

-- Earlier dispatches: the acceptance is in the history. respond_by needs the
-- calendar, so the server fills it when it opens the database
-- (Store::derive_response_deadlines).
UPDATE work_order_events e SET accepted_at = (
    SELECT MIN(a.at) FROM work_order_events a
    WHERE a.work_order_id = e.work_order_id AND a.action = 'accept'
      AND a.unit = e.unit AND a.id > e.id
      AND NOT EXISTS (SELECT 1 FROM work_order_events d WHERE d.work_order_id = e.work_order_id
                      AND d.action = 'dispatch' AND d.id > e.id AND d.id < a.id))
WHERE action = 'dispatch' AND unit IS NOT NULL;

-- The report index (0006) covers the two new columns.
DROP INDEX work_order_events_report;
CREATE INDEX work_order_events_report ON work_order_events (action, at, work_order_id, unit, respond_by, accepted_at);
