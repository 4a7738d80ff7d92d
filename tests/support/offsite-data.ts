// The databases the offsite tests copy: a small shop (two tables) and ~40 MB of incompressible rows,
// whose archive is three 16 MiB parts (or SFTP chunks) — enough to interrupt an upload halfway.
export const SMALL_SHOP_SQL = `
CREATE TABLE public.customers (id int PRIMARY KEY, email text NOT NULL);
INSERT INTO public.customers SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 2000) g;
CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id int REFERENCES public.customers, total numeric(10,2));
INSERT INTO public.orders SELECT g, 1 + g % 2000, (g * 1.25)::numeric(10,2) FROM generate_series(1, 5000) g;
`;

export const BLOBS_SQL = 'CREATE EXTENSION pgcrypto; CREATE TABLE blobs (id int PRIMARY KEY, data bytea); INSERT INTO blobs SELECT g, gen_random_bytes(1024) FROM generate_series(1, 40000) g';
