-- 014: indexes of the reports read API (issue 18, docs/REPORTS.md).
-- Every report reads one connection's rows of a range of days; these
-- serve the statements that the primary keys did not (bench/reports.sh
-- prints their plans on the large sandbox account).

-- Campaigns sent in a range (their statistics join by primary key).
CREATE INDEX campaigns_connection_send ON campaigns (connection_id, send_time);

-- A range of days of every flow (summary and series); one flow's days
-- are the primary key's.
CREATE INDEX flow_series_connection_day ON flow_series (connection_id, day);

-- Orders of a range, summed: the value in the index makes it an
-- index-only scan.  Same name and keys as before (sql/003, 011).
DROP INDEX orders_connection_time;
CREATE INDEX orders_connection_time ON orders (connection_id, occurred_at)
    INCLUDE (value);
