"""The server-rendered web UI: Jinja2 templates, htmx, vendored static assets."""
