"""The knowledge base as data: file models, YAML, located problems, values, templates, loading.

Nothing here imports durable_rules: compiling a pack is :mod:`syncdoctor.engine`'s business.
"""
