"""HTML of the demo site: plain, realistic markup with stable CSS classes for spiders to select."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Any

SITE_NAME = "Earful Demo Community"
CSS = """\
body { font-family: system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
.site-header { background: #1d3557; color: #fff; padding: .8rem 1.5rem; display: flex; gap: 1.5rem; }
.site-header a { color: #fff; text-decoration: none; }
main { max-width: 52rem; margin: 1.5rem auto; padding: 0 1rem; }
.review, .thread, .post, .item { background: #fff; border: 1px solid #ddd; border-radius: 6px;
  padding: .8rem 1rem; margin-bottom: 1rem; }
.review-meta, .post-meta, .thread-meta { color: #666; font-size: .85rem; display: flex; gap: 1rem;
  flex-wrap: wrap; }
.review-rating { color: #e09f3e; }
.pagination { display: flex; gap: 1rem; justify-content: center; margin: 2rem 0; }
"""


def _date(item: dict[str, Any]) -> str:
    raw = str(item["created_at"])
    try:
        shown = datetime.fromisoformat(raw.replace("Z", "+00:00")).strftime("%-d %b %Y, %H:%M")
    except ValueError:
        return f'<time class="date">{escape(raw)}</time>'
    return f'<time class="date" datetime="{escape(raw)}">{shown}</time>'


def _author(item: dict[str, Any], css: str) -> str:
    author = item["author"]
    return (
        f'<span class="{css}" data-user-id="{escape(author["id"])}" data-handle="{escape(author["handle"])}">'
        f'<span class="display-name">{escape(author["name"])}</span> '
        f'<span class="handle">@{escape(author["handle"])}</span></span>'
    )


def _paragraphs(text: str, css: str) -> str:
    paras = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n") if p.strip())
    return f'<div class="{css}">{paras}</div>'


def layout(title: str, body: str, lang: str = "en") -> str:
    return (
        f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)} · {SITE_NAME}</title>\n"
        '<link rel="stylesheet" href="/static/site.css">\n</head>\n<body>\n'
        f'<header class="site-header"><a class="logo" href="/">{SITE_NAME}</a>'
        '<nav class="site-nav"><a href="/reviews">Reviews</a> <a href="/forum/page/1">Forum</a> '
        '<a href="/api/posts">API</a></nav></header>\n'
        f"<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def pagination(href: Callable[[int], str], page: int, pages: int) -> str:
    links = []
    if page > 1:
        links.append(f'<a class="prev" rel="prev" href="{href(page - 1)}">« Previous</a>')
    links.append(f'<span class="current">Page {page} of {pages}</span>')
    if page < pages:
        links.append(f'<a class="next" rel="next" href="{href(page + 1)}">Next »</a>')
    return f'<nav class="pagination">{" ".join(links)}</nav>'


def review_article(item: dict[str, Any]) -> str:
    item_id = item["id"]
    rating = int(item["rating"] or 0)
    stars = "★" * rating + "☆" * (5 - rating)
    return (
        f'<article class="review" id="review-{item_id}" data-review-id="{item_id}" lang="{item["lang"]}">\n'
        f'  <h2 class="review-title"><a href="/reviews/{item["id"]}">{escape(item["title"] or "")}</a></h2>\n'
        f'  <div class="review-meta">{_author(item, "review-author")}'
        f'<span class="review-product" data-brand="{escape(item["brand"])}">{escape(item["product"])}</span>'
        f'<span class="review-rating" data-rating="{rating}" title="{rating} out of 5">{stars}</span>'
        f"{_date(item)}</div>\n"
        f"  {_paragraphs(item['text'], 'review-body')}\n"
        "</article>"
    )


def reviews_page(items: list[dict[str, Any]], page: int, pages: int) -> str:
    body = (
        '<h1 class="page-title">Reviews</h1>\n<section class="review-list">\n'
        + "\n".join(review_article(item) for item in items)
        + "\n</section>\n"
        + pagination(lambda n: f"/reviews?page={n}", page, pages)
    )
    return layout(f"Reviews, page {page}", body)


def review_page(item: dict[str, Any]) -> str:
    return layout(item["title"] or "Review", review_article(item), item["lang"])


def post_div(item: dict[str, Any]) -> str:
    item_id = item["id"]
    reply = f' data-reply-to="{item["reply_to"]}"' if item.get("reply_to") else ""
    return (
        f'<div class="post" id="post-{item_id}" data-post-id="{item_id}"{reply} lang="{item["lang"]}">\n'
        f'  <div class="post-meta">{_author(item, "post-author")}{_date(item)}</div>\n'
        f"  {_paragraphs(item['text'], 'post-body')}\n"
        "</div>"
    )


def thread_summary(thread: dict[str, Any], replies: int) -> str:
    tid = thread["id"]
    return (
        f'<article class="thread" id="thread-{tid}" data-thread-id="{tid}" lang="{thread["lang"]}">\n'
        f'  <h2 class="thread-title"><a href="/forum/thread/{tid}">{escape(thread["title"] or "")}</a></h2>\n'
        f'  <div class="thread-meta">{_author(thread, "thread-author")}{_date(thread)}'
        f'<span class="thread-product" data-brand="{escape(thread["brand"])}">'
        f"{escape(thread['product'])}</span>"
        f'<span class="reply-count" data-replies="{replies}">{replies} replies</span></div>\n'
        f"  {_paragraphs(thread['text'], 'thread-excerpt')}\n"
        "</article>"
    )


def forum_page(threads: list[tuple[dict[str, Any], int]], page: int, pages: int) -> str:
    body = (
        '<h1 class="page-title">Forum</h1>\n<section class="thread-list">\n'
        + "\n".join(thread_summary(thread, replies) for thread, replies in threads)
        + "\n</section>\n"
        + pagination(lambda n: f"/forum/page/{n}", page, pages)
    )
    return layout(f"Forum, page {page}", body)


def thread_page(posts: list[dict[str, Any]]) -> str:
    first = posts[0]
    body = (
        f'<article class="thread-view" data-thread-id="{first["id"]}">\n'
        f'<h1 class="thread-title">{escape(first["title"] or "")}</h1>\n'
        + "\n".join(post_div(post) for post in posts)
        + '\n</article>\n<p><a class="back" href="/forum/page/1">Back to the forum</a></p>'
    )
    return layout(first["title"] or "Thread", body, first["lang"])


def item_page(item: dict[str, Any]) -> str:
    title = f'<h1 class="item-title">{escape(item["title"])}</h1>' if item.get("title") else ""
    body = (
        f'<article class="item item-{item["type"]}" data-id="{item["id"]}" lang="{item["lang"]}">{title}\n'
        f'  <div class="item-meta">{_author(item, "item-author")}{_date(item)}</div>\n'
        f"  {_paragraphs(item['text'], 'item-body')}\n</article>"
    )
    return layout(item.get("title") or f"Post {item['id']}", body, item["lang"])


def index_page(counts: dict[str, int]) -> str:
    body = (
        f'<h1 class="page-title">{SITE_NAME}</h1>\n'
        "<p>Reviews and posts about fictional brands (Quillfinch, Munchbird, Cobaltwing Air, Kestrelle), "
        'served locally for the Earful demo.</p>\n<ul class="sections">'
        f'<li><a href="/reviews">Reviews</a> ({counts.get("review", 0)})</li>'
        f'<li><a href="/forum/page/1">Forum</a> ({counts.get("forum", 0)} posts)</li>'
        f'<li><a href="/api/posts">JSON API</a> ({sum(counts.values())} items)</li></ul>'
    )
    return layout(SITE_NAME, body)
