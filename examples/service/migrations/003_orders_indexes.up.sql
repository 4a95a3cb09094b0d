-- Lookups by customer (also serves the orders -> customers foreign key).
CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);

-- The back office filters by status; this one locks writes to orders while it builds.
CREATE INDEX orders_status_idx ON orders (status);
