DROP INDEX CONCURRENTLY orders_status_idx;
DROP INDEX CONCURRENTLY orders_customer_id_idx;
