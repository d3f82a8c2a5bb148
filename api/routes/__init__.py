"""JSON routes under /api/v1, one module per area, each exporting `router`; `ROUTERS` lists them."""
