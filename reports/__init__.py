"""Report data, charts, rendering to HTML, PDF and CSV. Empty for now: the layer is enforced."""
