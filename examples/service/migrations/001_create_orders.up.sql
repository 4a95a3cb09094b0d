CREATE TABLE customers (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    id BIGSERIAL PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    customer_email TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT,
    total_cents BIGINT NOT NULL,
    placed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
