-- Every first screen stays instant as the cases pile up (issue 27).
--
-- Lists are ordered urgent first, then by deadline (out-of-scope calls,
-- which have none, first), then by id: `urgent DESC, deadline NULLS FIRST,
-- id` (SQLite's order for an ascending column; PostgreSQL names it). The
-- index of migration 0008 was all ascending, so no list could read its
-- first page in order: each sorted every case it matched. The indexes
-- below give that order under each condition a list starts from: the
-- whole table (the city), a jurisdiction, a state (with or without a
-- jurisdiction), a unit, the open cases (with or without a jurisdiction),
-- and the supervision board's tabs. Indexes over open cases are partial
-- (`WHERE closed_at IS NULL`, the list builder's own words in
-- crates/storage/src/work_orders/lists.rs) and carry what their lists
-- filter on, so a board reads no closed case and no case row before its
-- page. They lead with the column of their condition (closed_at,
-- unsatisfied…) so that SQLite, which has no statistics to go by, sees
-- the same equality in them as in any other index and takes the one that
-- gives the order and holds what the list filters on. The counts' ranges (overdue:
-- deadline; warning: warning_at) have covering indexes over open cases,
-- which also serve the scheduler's scans.
--
-- The indexes these replace (same leading columns, or a subset of a new
-- one's) are dropped: left beside them they only tempt SQLite's planner.
DROP INDEX work_orders_urgent_deadline;
DROP INDEX work_orders_handling;
DROP INDEX work_orders_state;
DROP INDEX work_orders_lead_unit;
DROP INDEX work_orders_open_deadline;
DROP INDEX work_orders_open_warning;

CREATE INDEX work_orders_queue ON work_orders (urgent DESC, deadline, id);
CREATE INDEX work_orders_handling_queue ON work_orders (handling_jurisdiction, urgent DESC, deadline, id);
CREATE INDEX work_orders_state_queue ON work_orders (state, handling_jurisdiction, urgent DESC, deadline, id);
CREATE INDEX work_orders_state_order ON work_orders (state, urgent DESC, deadline, id);
CREATE INDEX work_orders_state_received ON work_orders (state, received_at, id);
CREATE INDEX work_orders_handling_received ON work_orders (handling_jurisdiction, received_at, id);
CREATE INDEX work_orders_received_order ON work_orders (received_at, id);
-- The commission's 办理中 tab: its cases with a reply, newest first.
CREATE INDEX work_orders_replied ON work_orders (state, received_at, id) WHERE reply IS NOT NULL;
CREATE INDEX work_orders_lead_queue ON work_orders (lead_unit, state, urgent DESC, deadline, id);
CREATE INDEX work_orders_open_queue ON work_orders
  (closed_at, urgent DESC, deadline, id, paused_since, warning_at, handling_jurisdiction, discipline_only)
  WHERE closed_at IS NULL;
CREATE INDEX work_orders_open_handling_queue ON work_orders
  (closed_at, handling_jurisdiction, urgent DESC, deadline, id, paused_since, warning_at, discipline_only)
  WHERE closed_at IS NULL;
CREATE INDEX work_orders_open_due ON work_orders
  (closed_at, deadline, paused_since, discipline_only, handling_jurisdiction, warning_at)
  WHERE closed_at IS NULL;
CREATE INDEX work_orders_open_warn ON work_orders
  (closed_at, warning_at, deadline, paused_since, discipline_only, handling_jurisdiction)
  WHERE closed_at IS NULL;
CREATE INDEX work_orders_unsatisfied_queue ON work_orders
  (unsatisfied, urgent DESC, deadline, id, handling_jurisdiction, discipline_only)
  WHERE unsatisfied = 1;
CREATE INDEX work_orders_extension_queue ON work_orders
  (extension_pending, urgent DESC, deadline, id, handling_jurisdiction, discipline_only)
  WHERE extension_pending = 1;
CREATE INDEX work_orders_supervised_queue ON work_orders
  (closed_at, urgent DESC, deadline, id, supervised, discipline_only, handling_jurisdiction)
  WHERE supervised = 1 AND closed_at IS NULL;
CREATE INDEX work_orders_returned_queue ON work_orders
  (closed_at, urgent DESC, deadline, id, returns, discipline_only, handling_jurisdiction)
  WHERE returns > 0 AND closed_at IS NULL;

-- Messages: a person's inbox newest first, its unread count on every page,
-- and the instructions on a case.
CREATE INDEX notifications_inbox ON notifications (user_id, channel, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE channel = 'inbox' AND read_at IS NULL;
CREATE INDEX notifications_work_order ON notifications (work_order_id);
