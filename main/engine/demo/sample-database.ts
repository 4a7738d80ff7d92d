// The demo database: a small online shop with the objects real applications have, generated
// deterministically (setseed) so every demo shows the same numbers.
export const DEMO_DATABASE = 'shop_demo';

export const DEMO_SCHEMA_SQL = `
SELECT setseed(0.42);
CREATE SCHEMA shop;
CREATE TYPE shop.order_status AS ENUM ('new', 'paid', 'shipped', 'delivered', 'cancelled');
CREATE DOMAIN shop.email AS text CHECK (VALUE ~ '^[^@]+@[^@]+$');

CREATE TABLE shop.customers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email shop.email NOT NULL UNIQUE,
  full_name text NOT NULL,
  country char(2) NOT NULL,
  preferences jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL
);
CREATE TABLE shop.products (
  id serial PRIMARY KEY,
  sku text NOT NULL UNIQUE,
  title text NOT NULL,
  price numeric(10,2) NOT NULL CHECK (price > 0),
  stock integer NOT NULL DEFAULT 0
);
CREATE TABLE shop.orders (
  id bigserial,
  customer_id bigint NOT NULL REFERENCES shop.customers(id),
  status shop.order_status NOT NULL,
  ordered_at timestamptz NOT NULL,
  PRIMARY KEY (id, ordered_at)
) PARTITION BY RANGE (ordered_at);
CREATE TABLE shop.orders_2025 PARTITION OF shop.orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE shop.orders_2026 PARTITION OF shop.orders FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE shop.order_items (
  order_id bigint NOT NULL,
  ordered_at timestamptz NOT NULL,
  product_id integer NOT NULL REFERENCES shop.products(id),
  quantity integer NOT NULL CHECK (quantity > 0),
  unit_price numeric(10,2) NOT NULL,
  FOREIGN KEY (order_id, ordered_at) REFERENCES shop.orders(id, ordered_at)
);
CREATE INDEX ON shop.order_items (order_id);
CREATE TABLE shop.audit_log (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), event text NOT NULL, detail jsonb);

CREATE FUNCTION shop.order_total(p_order bigint) RETURNS numeric LANGUAGE sql STABLE AS
  $$ SELECT coalesce(sum(quantity * unit_price), 0) FROM shop.order_items WHERE order_id = p_order $$;
CREATE FUNCTION shop.audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO shop.audit_log (event, detail) VALUES (TG_OP || ' ' || TG_TABLE_NAME, to_jsonb(NEW));
  RETURN NEW;
END $$;
CREATE TRIGGER products_audit AFTER UPDATE ON shop.products FOR EACH ROW EXECUTE FUNCTION shop.audit();
CREATE VIEW shop.revenue_by_month AS
  SELECT date_trunc('month', o.ordered_at) AS month, count(DISTINCT o.id) AS orders, sum(i.quantity * i.unit_price) AS revenue
    FROM shop.orders o JOIN shop.order_items i ON i.order_id = o.id AND i.ordered_at = o.ordered_at
   WHERE o.status <> 'cancelled' GROUP BY 1;
CREATE MATERIALIZED VIEW shop.top_products AS
  SELECT p.sku, p.title, sum(i.quantity) AS sold FROM shop.products p JOIN shop.order_items i ON i.product_id = p.id GROUP BY p.id ORDER BY sold DESC LIMIT 20;

INSERT INTO shop.customers (email, full_name, country, preferences, created_at)
  SELECT 'customer' || i || '@example.com',
         (ARRAY['Ada','Grace','Alan','Edsger','Barbara','Donald','Frances','Ken'])[1 + i % 8] || ' ' || (ARRAY['Lovelace','Hopper','Turing','Dijkstra','Liskov','Knuth','Allen','Thompson'])[1 + (i / 8) % 8],
         (ARRAY['DE','FR','NL','US','GB','SE','ES','IT'])[1 + (i * 7) % 8],
         jsonb_build_object('newsletter', i % 3 = 0, 'language', (ARRAY['en','de','fr'])[1 + i % 3]),
         timestamptz '2024-01-01' + (i * interval '37 minutes')
    FROM generate_series(1, 5000) i;
INSERT INTO shop.products (sku, title, price, stock)
  SELECT 'SKU-' || lpad(i::text, 5, '0'), 'Product ' || i, round((5 + random() * 195)::numeric, 2), (random() * 500)::int
    FROM generate_series(1, 400) i;
INSERT INTO shop.orders (customer_id, status, ordered_at)
  SELECT 1 + (random() * 4999)::int, (ARRAY['new','paid','shipped','delivered','delivered','delivered','cancelled']::shop.order_status[])[1 + (random() * 6)::int],
         timestamptz '2025-01-01' + random() * interval '600 days'
    FROM generate_series(1, 20000);
INSERT INTO shop.order_items (order_id, ordered_at, product_id, quantity, unit_price)
  SELECT o.id, o.ordered_at, 1 + (random() * 399)::int, 1 + (random() * 4)::int, round((5 + random() * 195)::numeric, 2)
    FROM shop.orders o, generate_series(1, 3) n WHERE random() < 0.8;
UPDATE shop.products SET stock = stock + 1 WHERE id % 50 = 0;
REFRESH MATERIALIZED VIEW shop.top_products;
ANALYZE;
`;

/** Canary queries a careful user would set for this database: one value each. */
export const DEMO_CANARIES = [
  { name: 'Newest order', sql: 'SELECT max(ordered_at) FROM shop.orders' },
  { name: 'Revenue (delivered)', sql: "SELECT sum(i.quantity * i.unit_price) FROM shop.order_items i JOIN shop.orders o ON o.id = i.order_id AND o.ordered_at = i.ordered_at WHERE o.status = 'delivered'" },
];
