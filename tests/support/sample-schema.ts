// A database with the objects a real application has: enums, domains, sequences, identity and
// generated columns, partitions, views, a materialized view, functions, triggers, large objects.
// Works on PostgreSQL 12–18.
export const SAMPLE_SCHEMA_SQL = `
CREATE SCHEMA shop;
CREATE TYPE shop.order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
CREATE DOMAIN shop.email AS text CHECK (VALUE ~ '^[^@]+@[^@]+$');
CREATE SEQUENCE shop.invoice_no START 1000;

CREATE TABLE shop.customers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email shop.email NOT NULL UNIQUE,
  name text NOT NULL,
  name_upper text GENERATED ALWAYS AS (upper(name)) STORED,
  profile jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shop.orders (
  id bigserial,
  customer_id bigint NOT NULL REFERENCES shop.customers(id),
  status shop.order_status NOT NULL DEFAULT 'new',
  ordered_on date NOT NULL,
  total numeric(12,2) NOT NULL,
  invoice integer DEFAULT nextval('shop.invoice_no'),
  PRIMARY KEY (id, ordered_on)
) PARTITION BY RANGE (ordered_on);
CREATE TABLE shop.orders_2025 PARTITION OF shop.orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE shop.orders_2026 PARTITION OF shop.orders FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX ON shop.orders (customer_id);

CREATE TABLE shop.audit_log (id bigserial PRIMARY KEY, happened_at timestamptz DEFAULT now(), what text NOT NULL);
CREATE TABLE shop.documents (id serial PRIMARY KEY, title text, body bytea, attachment oid);

CREATE FUNCTION shop.log_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO shop.audit_log(what) VALUES (format('order %s %s', NEW.id, NEW.status));
  RETURN NEW;
END $$;
CREATE TRIGGER orders_audit AFTER INSERT ON shop.orders_2025 FOR EACH ROW EXECUTE FUNCTION shop.log_order();
CREATE TRIGGER orders_audit AFTER INSERT ON shop.orders_2026 FOR EACH ROW EXECUTE FUNCTION shop.log_order();

CREATE FUNCTION shop.customer_total(c bigint) RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT coalesce(sum(total), 0) FROM shop.orders WHERE customer_id = c $$;
CREATE VIEW shop.customer_totals AS SELECT id, name, shop.customer_total(id) AS total FROM shop.customers;
CREATE MATERIALIZED VIEW shop.daily_sales AS SELECT ordered_on, count(*) AS orders, sum(total) AS revenue FROM shop.orders GROUP BY ordered_on;
COMMENT ON TABLE shop.customers IS 'People who buy things';

INSERT INTO shop.customers (email, name, profile)
  SELECT 'user' || i || '@example.com', 'Customer ' || i, jsonb_build_object('tier', i % 3, 'tags', jsonb_build_array('a', i))
  FROM generate_series(1, 500) i;
INSERT INTO shop.orders (customer_id, status, ordered_on, total)
  SELECT 1 + (i % 500), (ARRAY['new','paid','shipped','cancelled'])[1 + i % 4]::shop.order_status,
         date '2025-06-01' + (i % 400), round((i * 7.31)::numeric % 1000, 2)
  FROM generate_series(1, 3000) i;
INSERT INTO shop.documents (title, body, attachment)
  SELECT 'doc ' || i, decode(repeat(md5(i::text), 20), 'hex'), lo_from_bytea(0, convert_to(repeat('large object ' || i || ' ', 200), 'UTF8'))
  FROM generate_series(1, 20) i;
REFRESH MATERIALIZED VIEW shop.daily_sales;
CREATE TABLE public.empty_table (id int);
CREATE TABLE public."Mixed Case ""Name""" (id int, note text);
INSERT INTO public."Mixed Case ""Name""" VALUES (1, 'quoted identifiers survive');
`;

/** Per-table fingerprints (row count + md5 of sorted rows) and the large objects' digest. */
export const FINGERPRINT_SQL = `
SELECT format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
 ORDER BY 1`;

export const LARGE_OBJECTS_SQL = `SELECT count(*)::int AS n, coalesce(md5(string_agg(md5(lo_get(oid)), ',' ORDER BY oid)), '') AS digest FROM pg_largeobject_metadata`;
