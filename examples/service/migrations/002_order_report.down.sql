DROP VIEW order_report;
