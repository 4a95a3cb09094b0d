"""SQL support shared by the SQL rules: embedded SQL, migrations, the schema catalog."""
