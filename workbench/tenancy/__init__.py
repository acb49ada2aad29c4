"""Running many tenants safely: their keys, sealed logs, encrypted state,
compaction, the pool of open tenants and moving a tenant between nodes."""
