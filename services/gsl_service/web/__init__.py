"""The service's web face: HTML pages (Dutch first), its own static files and front-end packages."""
