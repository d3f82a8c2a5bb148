"""A small local website about fictional brands, for `earful demo` and for tests of sources and spiders.

HTML pages (reviews, a forum) for crawlers and a JSON API (``/api/posts``) like a platform's.
"""

from crawlers.demo_site.generate import ANCHOR, load_items
from crawlers.demo_site.server import DemoSite

__all__ = ["ANCHOR", "DemoSite", "load_items"]
