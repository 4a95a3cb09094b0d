"""The rule model: findings and other plain data, rule base classes, the catalog."""
