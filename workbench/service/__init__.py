"""The gRPC service: tenants (state + durable event log), the servicers and the server."""
