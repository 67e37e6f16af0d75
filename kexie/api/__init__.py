"""Cross-cutting pieces of the REST API under /api/v1/: error shape, pagination, throttles, idempotency keys
and the OpenAPI document. Each app keeps its own endpoints in `<app>/api/`."""
