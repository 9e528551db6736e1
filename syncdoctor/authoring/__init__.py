"""Tools for knowledge-base authors: lint, tests beside the rules, schema, docs, scaffolding."""
