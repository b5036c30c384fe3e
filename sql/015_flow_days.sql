-- 015: a daily rollup of each connection's flow statistics (issue 18).
-- The reports' summary and series read a range of days of every flow;
-- with 80 flows that was 80 rows (and their JSONB) a day, the slowest
-- statements of bench/reports.sh.  flow_days holds the sums per day,
-- kept by a trigger on flow_series, so they read one row a day.

CREATE TABLE flow_days (
    connection_id    bigint NOT NULL REFERENCES klaviyo_connections
                     ON DELETE CASCADE,
    day              date NOT NULL,
    recipients       numeric NOT NULL DEFAULT 0,
    delivered        numeric NOT NULL DEFAULT 0,
    opens_unique     numeric NOT NULL DEFAULT 0,
    clicks_unique    numeric NOT NULL DEFAULT 0,
    conversions      numeric NOT NULL DEFAULT 0,
    conversion_value numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (connection_id, day)
);

-- A flow day's statistics added (sign 1) or taken away (-1).  Taking
-- away never inserts: a connection's removal deletes flow_days and
-- flow_series in one cascade, and a row must not come back for it.
CREATE FUNCTION flow_days_add(p_conn bigint, p_day date, s jsonb,
                              p_sign integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r  numeric := p_sign * coalesce((s ->> 'recipients')::numeric, 0);
    d  numeric := p_sign * coalesce((s ->> 'delivered')::numeric, 0);
    o  numeric := p_sign * coalesce((s ->> 'opens_unique')::numeric, 0);
    c  numeric := p_sign * coalesce((s ->> 'clicks_unique')::numeric, 0);
    n  numeric := p_sign * coalesce((s ->> 'conversions')::numeric, 0);
    v  numeric := p_sign * coalesce((s ->> 'conversion_value')::numeric, 0);
BEGIN
    IF p_sign < 0 THEN
        UPDATE flow_days SET recipients = recipients + r,
            delivered = delivered + d, opens_unique = opens_unique + o,
            clicks_unique = clicks_unique + c,
            conversions = conversions + n,
            conversion_value = conversion_value + v
         WHERE connection_id = p_conn AND day = p_day;
        RETURN;
    END IF;
    INSERT INTO flow_days AS f (connection_id, day, recipients, delivered,
        opens_unique, clicks_unique, conversions, conversion_value)
    VALUES (p_conn, p_day, r, d, o, c, n, v)
    ON CONFLICT (connection_id, day) DO UPDATE SET
        recipients = f.recipients + r, delivered = f.delivered + d,
        opens_unique = f.opens_unique + o,
        clicks_unique = f.clicks_unique + c,
        conversions = f.conversions + n,
        conversion_value = f.conversion_value + v;
END $$;

CREATE FUNCTION flow_days_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM flow_days_add(OLD.connection_id, OLD.day, OLD.statistics, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM flow_days_add(NEW.connection_id, NEW.day, NEW.statistics, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER flow_series_days AFTER INSERT OR UPDATE OR DELETE
    ON flow_series FOR EACH ROW EXECUTE FUNCTION flow_days_trigger();

INSERT INTO flow_days (connection_id, day, recipients, delivered,
    opens_unique, clicks_unique, conversions, conversion_value)
SELECT connection_id, day,
       coalesce(sum((statistics ->> 'recipients')::numeric), 0),
       coalesce(sum((statistics ->> 'delivered')::numeric), 0),
       coalesce(sum((statistics ->> 'opens_unique')::numeric), 0),
       coalesce(sum((statistics ->> 'clicks_unique')::numeric), 0),
       coalesce(sum((statistics ->> 'conversions')::numeric), 0),
       coalesce(sum((statistics ->> 'conversion_value')::numeric), 0)
  FROM flow_series GROUP BY connection_id, day;
