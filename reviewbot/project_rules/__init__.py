"""A repository's own rules: `.reviewbot/rules/<id>.yml`, declarative, never running its code.

`spec` reads and validates the files (plain YAML through `safe_yaml`; no libcst or sqlglot);
`python_patterns` and `sql_patterns` compile and match the `match:` section; `rules` turns
each file into a rule class of the usual kinds (a `PythonRule` joining the one batched
traversal, a `SqlRule` joining the one walk of each statement, a `ProjectRule` over the schema
catalog) and installs them beside the built-in catalog; `selftest` is `reviewbot rules --test`.
"""
