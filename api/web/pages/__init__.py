"""HTML pages, one module per screen, each exporting `router`; `PAGES` lists them."""
