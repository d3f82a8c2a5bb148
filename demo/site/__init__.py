"""A small local website about fictional brands, for `earful demo` and for tests of sources and spiders.

HTML pages (reviews, a forum) for crawlers and a JSON API (``/api/posts``) like a platform's.
"""

from demo.site.generate import ANCHOR, load_items
from demo.site.server import DemoSite

__all__ = ["ANCHOR", "DemoSite", "load_items"]
