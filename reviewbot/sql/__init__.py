"""The SQL front end: SQL documents parsed once with sqlglot, SQL found in Python, migrations, the schema catalog."""
