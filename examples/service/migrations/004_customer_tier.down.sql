ALTER TABLE orders DROP COLUMN currency;
ALTER TABLE customers DROP COLUMN tier;
