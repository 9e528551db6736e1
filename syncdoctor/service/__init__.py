"""The HTTP JSON API (``syncdoctor serve``); needs the service extra."""
