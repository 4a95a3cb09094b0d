DROP TABLE tags;
DROP TABLE refunds;
