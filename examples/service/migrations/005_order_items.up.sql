CREATE TABLE order_items (
    order_id    BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    sku         TEXT NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    unit_price  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (order_id, sku)
);
