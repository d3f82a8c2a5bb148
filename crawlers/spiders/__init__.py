"""Spiders: profile-driven reviews/forums, RSS/Atom feeds, sitemaps, schema.org reviews.

Run them through :mod:`crawlers.runner` (one subprocess per run), never in the flow's process."""
