"""UI labels in English and Chinese, one module per area, each exporting `LABELS`."""
