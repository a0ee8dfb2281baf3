-- Up Migration
-- The last core event (its journal sequence) whose ExecutionReport a FIX session was given, by
-- whichever gateway sent or stored it: a gateway storing a report for a session logged on nowhere
-- skips one that another gateway already stored, so each report gets exactly one sequence number.
ALTER TABLE fix_session ADD COLUMN reported_event BIGINT NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE fix_session DROP COLUMN reported_event;
