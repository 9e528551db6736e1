"""Collectors: facts fetched over HTTP from the hub or the application, instead of asked.

Declared per pack in ``collectors/<pack>.yaml`` (see docs/authoring.md), run only when a
diagnosis is asked to collect (``syncdoctor.diagnose(..., collect=True)``, ``--collect``) and
only for the facts a live question needs (:mod:`syncdoctor.collectors.lazy`). The HTTP side
(:mod:`syncdoctor.collectors.runner`, :mod:`syncdoctor.collectors.fetch`) is imported only then,
so that diagnosing without collectors never loads httpx.
"""
