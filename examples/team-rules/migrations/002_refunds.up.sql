CREATE TABLE refunds (
    id bigint PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders (id),
    refunded_at date NOT NULL
);
CREATE INDEX refunds_order_id ON refunds (order_id);
CREATE TABLE tags (id serial PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
