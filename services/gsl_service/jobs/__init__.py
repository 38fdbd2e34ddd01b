"""Durable jobs: the job model, stores (SQLite, Redis) and runners (process pool, RQ)."""
