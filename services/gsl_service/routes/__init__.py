"""Routes beside OGC API - Processes (health)."""
