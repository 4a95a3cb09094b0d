"""Agent documents to enforced checklists: extraction, mapping to rules, coverage."""
