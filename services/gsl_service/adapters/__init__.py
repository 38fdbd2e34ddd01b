"""Adapters for platforms that call the service their own way.

:mod:`.tygron` (Tygron's session API, attribute names, trigger replies),
:mod:`.trigger` (the Tygron API trigger: items → job → reply or write-back) and
:mod:`.mapping` (declared field mappings: SITE, PDOK, municipal layers, Tygron items).
"""
