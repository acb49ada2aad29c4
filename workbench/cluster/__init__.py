"""Cluster mode (`bf serve --cluster`, `bf cluster`, `bf chaos`): the tenants' logs on NATS
JetStream, ownership leases, warm copies, snapshots and local clusters. See docs/cluster.md.
Nothing here is imported by a single node."""
