"""Search: Meilisearch documents, the indexer draining the outbox, and the database fallback.
Reads the domains' tables; no domain service imports it."""
