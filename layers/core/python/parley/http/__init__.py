"""The HTTP API: routes, request/response schemas and problem details. `functions/api` serves it."""
