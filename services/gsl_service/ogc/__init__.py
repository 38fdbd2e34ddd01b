"""pygeoapi glue: configuration, processors from the registry, the engine-backed manager.

pygeoapi provides the OGC API - Processes machinery (landing page, OpenAPI document,
process descriptions, HTML templates); this package plugs our registry and
:class:`~gsl_service.engine.Engine` into it through pygeoapi's plugin points and
fixes where it falls short (problem documents, Prefer parsing, job-list filters,
dismiss, conformance declaration) in our own handlers, without forking pygeoapi.
"""
