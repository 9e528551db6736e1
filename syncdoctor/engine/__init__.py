"""The inference engine: the only importer of durable_rules.

Encoding, compiler, runtime, sessions, and the compiled knowledge base.
"""
