# ruff: noqa: E501 - fixture data: long literal lines are the data
"""Fixture websites for the spiders: realistic and deliberately imperfect.

One server, several sections (all deterministic):

- ``/reviews?page=N``: English reviews, newest first, sloppy markup (unclosed tags), ratings like
  "4/5", one unreadable date, one empty review, a cross-post and a near-duplicate; a link into
  ``/private/`` (forbidden by robots.txt) and one to ``/huge`` (larger than the tests' page limit).
- ``/zh/forum?page=N``: Simplified Chinese forum in GB18030 served with a *wrong* header
  (``charset=utf-8``) and a right ``<meta>``; dates "3天前", "昨天 09:15", "2026年11月1日 14:30", "三小时前".
- ``/tw/forum``: Traditional Chinese in Big5 with no charset anywhere.
- ``/feed.rss``, ``/feed.atom``, ``/news/<n>``: articles with boilerplate, canonical links, one 500.
- ``/sitemap.xml`` (index) → ``/sitemap-news.xml``.
- ``/products/<n>`` (JSON-LD) and ``/products-md/<n>`` (microdata) with reviews and AggregateRating.
- ``/redirect?to=URL``: an open redirect.
- ``/bench/index?page=N`` and ``/bench/r/<n>``: a large synthetic review site for bench/crawl.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from crawlers.testing.replicas.server import ReplicaServer, Reply, Request

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)  # the site's "today" for absolute dates

ROBOTS = "User-agent: *\nDisallow: /private/\nSitemap: /sitemap.xml\n"

EN_REVIEWS: list[dict[str, str]] = [
    {
        "id": "r101",
        "author": "Dana K.",
        "uid": "u-17",
        "rating": "5/5",
        "date": "Nov 9, 2026",
        "product": "Quillfinch Q3",
        "title": "Best headphones I have owned",
        "text": "Crisp sound, the noise cancelling works on the subway and the battery lasts the whole week.",
    },
    {
        "id": "r102",
        "author": "Marco",
        "uid": "u-22",
        "rating": "2/5",
        "date": "Nov 8, 2026",
        "product": "Quillfinch Q3",
        "title": "Left cup died",
        "text": "The left ear cup stopped working after two weeks and support never answered my emails about it.",
    },
    {
        "id": "r103",
        "author": "Priya",
        "uid": "u-31",
        "rating": "4/5",
        "date": "2026-11-07T18:20:00+01:00",
        "product": "Munchbird Blender",
        "title": "Loud but strong",
        "text": "It crushes ice in seconds. It is loud enough to wake the neighbours, but the smoothies are great.",
    },
    {
        "id": "r104",
        "author": "Jo",
        "uid": "u-40",
        "rating": "1/5",
        "date": "Nov 6, 2026",
        "product": "Cobaltwing Air",
        "title": "Lost my bag",
        "text": "Cobaltwing lost my suitcase on a direct flight and the claim form on their website keeps crashing.",
    },
    {
        "id": "r105",
        "author": "Sam",
        "uid": "u-41",
        "rating": "3/5",
        "date": "Nov 5, 2026",
        "product": "Kestrelle Phone",
        "title": "Fine",
        "text": "Decent phone for the price, the camera struggles at night and the charger is not in the box.",
    },
    {
        "id": "r106",
        "author": "Lee",
        "uid": "u-52",
        "rating": "5/5",
        "date": "Nov 4, 2026",
        "product": "Quillfinch Q3",
        "title": "Repost from my blog",
        "text": "Crisp sound, the noise cancelling works on the subway and the battery lasts the whole week.",
    },
    {
        "id": "r107",
        "author": "Ari",
        "uid": "u-60",
        "rating": "4/5",
        "date": "sometime last spring?",
        "product": "Munchbird Blender",
        "title": "Undated",
        "text": "Good blender, the lid is a bit hard to clean but it has not failed me in months of daily use.",
    },
    {
        "id": "r108",
        "author": "Mika",
        "uid": "u-61",
        "rating": "2/5",
        "date": "Nov 2, 2026",
        "product": "Quillfinch Q3",
        "title": "Same problem",
        "text": "The left ear cup stopped working after three weeks and support never answered my emails about it.",
    },
    {
        "id": "r109",
        "author": "Noor",
        "uid": "u-62",
        "rating": "4/5",
        "date": "Nov 1, 2026",
        "product": "Kestrelle Phone",
        "title": "Good battery",
        "text": "Two days of battery life with heavy use, the screen is bright outdoors and the speakers are clear.",
    },
    {
        "id": "r110",
        "author": "Eve",
        "uid": "u-63",
        "rating": "3/5",
        "date": "Oct 30, 2026",
        "product": "Cobaltwing Air",
        "title": "Average flight",
        "text": "The seats were cramped but the crew was friendly and we landed twenty minutes ahead of schedule.",
    },
    {
        "id": "r111",
        "author": "Zed",
        "uid": "u-64",
        "rating": "5/5",
        "date": "Oct 29, 2026",
        "product": "Munchbird Blender",
        "title": "Empty",
        "text": "   ",
    },
    {
        "id": "r112",
        "author": "Ivo",
        "uid": "u-65",
        "rating": "4/5",
        "date": "Oct 28, 2026",
        "product": "Quillfinch Q3",
        "title": "Comfortable",
        "text": "I wear them for eight hours at work without any pressure on my ears, the app is a bit clunky.",
    },
]
EN_PAGE = 4

ZH_POSTS: list[dict[str, str]] = [
    {
        "id": "p1",
        "author": "小王",
        "date": "刚刚",
        "text": "雀鸣Q3耳机降噪效果很好，地铁上基本听不到噪音，推荐购买。",
    },
    {
        "id": "p2",
        "author": "李女士",
        "date": "三小时前",
        "text": "钴翼航空又延误了，等了五个小时也没有人解释，太失望了。",
    },
    {
        "id": "p3",
        "author": "阿杰",
        "date": "昨天 09:15",
        "text": "蒙奇鸟搅拌机声音有点大，但是打冰沙很快，总体满意。",
    },
    {
        "id": "p4",
        "author": "小红",
        "date": "3天前",
        "text": "客服态度很差，退货申请提交了一周还没有处理，不会再买了。",
    },
    {
        "id": "p5",
        "author": "老张",
        "date": "2026年11月1日 14:30",
        "text": "红隼手机拍照很清楚，电池也很耐用，性价比高。",
    },
    {
        "id": "p6",
        "author": "陈先生",
        "date": "2026年10月28日",
        "text": "左耳没有声音了，才用了两个星期，质量有问题。",
    },
]
TW_POSTS: list[dict[str, str]] = [
    {
        "id": "t1",
        "author": "台北小陳",
        "date": "2026年10月5日",
        "text": "鈷翼航空的服務很好，空服員非常親切，下次還會搭乘。",
    },
    {
        "id": "t2",
        "author": "高雄阿明",
        "date": "2026年10月3日 20:10",
        "text": "這台果汁機的馬達很強，但是清洗不太方便。",
    },
]

ARTICLES: list[dict[str, str]] = [
    {
        "n": "1",
        "title": "Quillfinch recalls Q3 headphones over ear-cup fault",
        "date": "2026-11-08T09:00:00Z",
        "author": "Ana Ruiz",
        "body": "Quillfinch said on Monday it would replace the left ear cup of Q3 headphones sold since August. "
        "Customers had reported that the cup stopped producing sound after a few weeks of use. "
        "The company will ship replacement parts free of charge and extend the warranty by a year.",
    },
    {
        "n": "2",
        "title": "Cobaltwing Air adds new routes to Asia",
        "date": "2026-11-05T07:30:00Z",
        "author": "Tom Berg",
        "body": "Cobaltwing Air will fly to Taipei and Osaka from March, the airline announced. "
        "The new routes use its fleet of long-range aircraft and add three weekly departures. "
        "Analysts expect the move to put pressure on fares across the region.",
    },
    {
        "n": "3",
        "title": "Review: the Munchbird blender is loud and fast",
        "date": "2026-10-20T12:00:00Z",
        "author": "Ana Ruiz",
        "body": "We tested the Munchbird blender for a month in our kitchen lab. "
        "It crushed ice faster than any blender we have tried this year. "
        "It is also the loudest, and its lid is hard to clean.",
    },
    {
        "n": "4",
        "title": "Kestrelle phone sales beat expectations",
        "date": "2026-09-30T16:45:00Z",
        "author": "Li Wei",
        "body": "Kestrelle sold more phones in the third quarter than analysts had forecast. "
        "Strong demand for its mid-range model offset weaker sales of accessories. "
        "The company raised its guidance for the full year.",
    },
    {
        "n": "5",
        "title": "Server trouble",
        "date": "2026-11-09T10:00:00Z",
        "author": "Ops",
        "body": "This article's page always fails with a server error.",
    },
]
BOILERPLATE_TOP = (
    '<header><nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/about">About</a>'
    '</nav><div class="ad">Subscribe now for 50% off!</div></header>'
)
BOILERPLATE_BOTTOM = (
    '<aside><h3>Most read</h3><ul><li><a href="/news/1">Recall</a></li></ul></aside>'
    "<footer>© 2026 Fixture News. All rights reserved. Cookie settings.</footer>"
)

PRODUCTS: dict[str, dict[str, Any]] = {
    "1": {
        "name": "Quillfinch Q3",
        "rating": "4.2",
        "count": "128",
        "reviews": [
            {
                "id": "jr1",
                "author": "Kim",
                "rating": "5",
                "date": "2026-11-03",
                "title": "Superb",
                "body": "Superb sound stage for the price and the case is sturdy enough to survive my backpack.",
            },
            {
                "id": "jr2",
                "author": "Ola",
                "rating": "2",
                "date": "2026-11-02",
                "title": "Fragile",
                "body": "The hinge cracked within a month and the replacement took three weeks to arrive.",
            },
            {
                "id": "jr3",
                "author": "Bo",
                "rating": "4",
                "date": "not a date",
                "title": "Undated",
                "body": "Nice headphones but this review carries a date nobody can read.",
            },
        ],
    },
}
MICRODATA_PRODUCT: dict[str, Any] = {
    "name": "Munchbird Blender",
    "rating": "3.9",
    "count": "57",
    "reviews": [
        {
            "author": "Ute",
            "rating": "8",
            "best": "10",
            "date": "2026-10-30",
            "body": "Crushes ice easily, a bit loud.",
        },
        {
            "author": "Raj",
            "rating": "6",
            "best": "10",
            "date": "2026-10-29",
            "body": "Powerful motor but the jug leaks.",
        },
    ],
}


def _page(title: str, body: str, meta: str = '<meta charset="utf-8">', lang: str = "en") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head>{meta}<title>{escape(title)}</title></head>\n'
        f"<body>{body}</body></html>"
    )


def reviews_page(page: int) -> str:
    pages = (len(EN_REVIEWS) + EN_PAGE - 1) // EN_PAGE
    chunk = EN_REVIEWS[(page - 1) * EN_PAGE : page * EN_PAGE]
    blocks = []
    for r in chunk:
        # sloppy on purpose: unclosed <p> and <span>, attributes without quotes
        blocks.append(
            f'<div class=review data-id={r["id"]}><h3><a class=permalink href="/reviews/item/{r["id"]}">'
            f'{escape(r["title"])}</a></h3>\n<span class="by" data-uid="{r["uid"]}">{escape(r["author"])}</span>'
            f"<span class=stars>{r['rating']}<span class=when>{escape(r['date'])}</span>"
            f"<span class=product>{escape(r['product'])}</span>\n<p class=body>{escape(r['text'])}\n</div>"
        )
    nav = f'<a class="next" href="/reviews?page={page + 1}">next</a>' if page < pages else ""
    extra = (
        '<a class="more" href="/private/staff-notes">staff</a> <a class="more" href="/huge">all</a>'
        if page == 1
        else ""
    )
    return _page(f"Reviews {page}", f"<h1>Reviews</h1>{''.join(blocks)}<div class=nav>{nav} {extra}</div>")


def review_item_page(rid: str) -> str | None:
    for r in EN_REVIEWS:
        if r["id"] == rid:
            return _page(r["title"], reviews_page_block(r))
    return None


def reviews_page_block(r: dict[str, str]) -> str:
    return (
        f'<div class=review data-id={r["id"]}><h3><a class=permalink href="/reviews/item/{r["id"]}">'
        f'{escape(r["title"])}</a></h3><span class="by" data-uid="{r["uid"]}">{escape(r["author"])}</span>'
        f"<span class=stars>{r['rating']}</span><span class=when>{escape(r['date'])}</span>"
        f"<span class=product>{escape(r['product'])}</span><p class=body>{escape(r['text'])}</p></div>"
    )


def forum_page(posts: list[dict[str, str]], title: str, meta: str, lang: str) -> str:
    blocks = "".join(
        f'<div class="post" id="{p["id"]}"><span class="user">{escape(p["author"])}</span>'
        f'<span class="time">{escape(p["date"])}</span><div class="content">{escape(p["text"])}</div></div>'
        for p in posts
    )
    return _page(title, f"<h1>{escape(title)}</h1>{blocks}", meta=meta, lang=lang)


def article_page(a: dict[str, str]) -> str:
    paras = "".join(f"<p>{escape(s.strip())}.</p>" for s in a["body"].split(". ") if s.strip())
    meta = (
        f'<meta charset="utf-8"><link rel="canonical" href="/news/{a["n"]}">'
        f'<meta name="author" content="{escape(a["author"])}">'
        f'<meta property="article:published_time" content="{a["date"]}">'
    )
    body = (
        f"{BOILERPLATE_TOP}<main><article><h1>{escape(a['title'])}</h1>"
        f'<p class="byline">By {escape(a["author"])}</p>{paras}</article></main>{BOILERPLATE_BOTTOM}'
    )
    return _page(a["title"], body, meta=meta)


def rss() -> str:
    items = "".join(
        f"<item><title>{escape(a['title'])}</title><link>/news/{a['n']}?utm_source=rss&amp;utm_medium=feed</link>"
        f'<guid isPermaLink="false">news-{a["n"]}</guid><author>{escape(a["author"])}</author>'
        f"<pubDate>{datetime.fromisoformat(a['date'].replace('Z', '+00:00')).strftime('%a, %d %b %Y %H:%M:%S +0000')}"
        f"</pubDate><description>{escape(a['body'][:120])}</description></item>"
        for a in ARTICLES
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Fixture News</title>'
        f"<link>/</link><language>en-us</language><description>News</description>{items}</channel></rss>"
    )


def atom() -> str:
    entries = "".join(
        f'<entry><title>{escape(a["title"])}</title><link href="/news/{a["n"]}"/><id>tag:fixture,2026:{a["n"]}</id>'
        f"<updated>{a['date']}</updated><author><name>{escape(a['author'])}</name></author>"
        f"<summary>{escape(a['body'][:120])}</summary></entry>"
        for a in ARTICLES[:3]
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Fixture News</title><id>tag:fixture,2026:feed</id><updated>2026-11-08T09:00:00Z</updated>{entries}"
        "</feed>"
    )


def sitemap_index(base: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/sitemap-news.xml</loc></sitemap></sitemapindex>"
    )


def sitemap_news(base: str) -> str:
    urls = "".join(
        f"<url><loc>{base}/news/{a['n']}</loc><lastmod>{a['date'][:10]}</lastmod></url>" for a in ARTICLES
    )
    urls += f"<url><loc>{base}/about</loc><lastmod>2026-01-01</lastmod></url>"
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def jsonld_product(n: str) -> str | None:
    product = PRODUCTS.get(n)
    if product is None:
        return None
    reviews = [
        {
            "@type": "Review",
            "@id": f"#{r['id']}",
            "author": {"@type": "Person", "name": r["author"]},
            "datePublished": r["date"],
            "name": r["title"],
            "reviewBody": r["body"],
            "reviewRating": {"@type": "Rating", "ratingValue": r["rating"], "bestRating": "5"},
        }
        for r in product["reviews"]
    ]
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product["name"],
        "aggregateRating": {
            "@type": "AggregateRating",
            "ratingValue": product["rating"],
            "reviewCount": product["count"],
        },
        "review": reviews,
    }
    body = (
        f'<script type="application/ld+json">{json.dumps(data)}</script><h1>{escape(str(product["name"]))}</h1>'
        '<a class="product" href="/products-md/1">Also: blender</a>'
    )
    return _page(str(product["name"]), body)


def microdata_product() -> str:
    p = MICRODATA_PRODUCT
    reviews = "".join(
        f'<div itemprop="review" itemscope itemtype="https://schema.org/Review">'
        f'<span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">{r["author"]}'
        f'</span></span><meta itemprop="datePublished" content="{r["date"]}">'
        f'<div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">'
        f'<meta itemprop="ratingValue" content="{r["rating"]}"><meta itemprop="bestRating" content="{r["best"]}"></div>'
        f'<p itemprop="reviewBody">{escape(r["body"])}</p></div>'
        for r in p["reviews"]
    )
    body = (
        f'<div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">{p["name"]}</h1>'
        f'<div itemprop="aggregateRating" itemscope itemtype="https://schema.org/AggregateRating">'
        f'<meta itemprop="ratingValue" content="{p["rating"]}"><meta itemprop="reviewCount" content="{p["count"]}">'
        f"</div>{reviews}</div>"
    )
    return _page(str(p["name"]), body)


# --- the benchmark site ---------------------------------------------------------------------------
BENCH_LINKS_PER_INDEX = 100
BENCH_REVIEWS_PER_PAGE = 3
_WORDS = [
    "sound",
    "battery",
    "screen",
    "delivery",
    "support",
    "price",
    "quality",
    "comfort",
    "design",
    "camera",
    "refund",
    "crew",
    "seat",
    "flight",
    "blender",
    "motor",
    "noise",
    "lid",
    "warranty",
    "charger",
    "app",
    "update",
    "screen",
    "size",
    "weight",
    "colour",
]


def bench_review_page(n: int) -> str:
    blocks = []
    for k in range(BENCH_REVIEWS_PER_PAGE):
        seed = n * BENCH_REVIEWS_PER_PAGE + k
        words = " ".join(_WORDS[(seed * 7 + i * 3) % len(_WORDS)] for i in range(24))
        date = (NOW - timedelta(minutes=seed)).strftime("%Y-%m-%d %H:%M")
        blocks.append(
            f'<div class="review" id="b{seed}"><span class="by" data-uid="u{seed % 997}">user{seed % 997}</span>'
            f'<span class="stars">{seed % 5 + 1}/5</span><span class="when">{date}</span>'
            f'<p class="body">Review {seed}: {words}.</p></div>'
        )
    return _page(f"Bench {n}", "".join(blocks))


def bench_index(page: int, pages: int) -> str:
    first = (page - 1) * BENCH_LINKS_PER_INDEX
    links = "".join(
        f'<a class="r" href="/bench/r/{n}">{n}</a> '
        for n in range(first, min(first + BENCH_LINKS_PER_INDEX, pages))
    )
    nxt = (
        f'<a class="next" href="/bench/index?page={page + 1}">next</a>'
        if first + BENCH_LINKS_PER_INDEX < pages
        else ""
    )
    return _page(f"Bench index {page}", links + nxt)


# --- routing --------------------------------------------------------------------------------------
class FixtureSite:
    """All sections on one loopback server. `huge_bytes`: size of /huge; `bench_pages`: /bench size."""

    def __init__(self, *, huge_bytes: int = 3 * 1024 * 1024, bench_pages: int = 5000) -> None:
        self.huge_bytes = huge_bytes
        self.bench_pages = bench_pages
        self.server = ReplicaServer(self.route)

    @property
    def url(self) -> str:
        return self.server.url

    def __enter__(self) -> FixtureSite:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def route(self, req: Request) -> Reply:
        path, base = req.path, self.url
        html = "text/html; charset=utf-8"
        if path == "/robots.txt":
            return Reply(200, ROBOTS, "text/plain")
        if path == "/reviews":
            return Reply(200, reviews_page(int(req.arg("page", "1") or 1)), html)
        if path.startswith("/reviews/item/"):
            page = review_item_page(path.rsplit("/", 1)[-1])
            return Reply(200, page, html) if page else Reply(404, "not found", "text/plain")
        if path.startswith("/private/"):
            return Reply(200, _page("Private", "<div class=review>staff only</div>"), html)
        if path == "/huge":
            filler = "<p>" + "lorem ipsum dolor sit amet " * 40 + "</p>\n"
            return Reply(200, _page("Huge", filler * (self.huge_bytes // len(filler) + 1)), html)
        if path == "/zh/forum":
            body = forum_page(
                ZH_POSTS,
                "雀鸣社区论坛",
                '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
                "zh",
            )
            return Reply(200, body.encode("gb18030"), "text/html; charset=utf-8")  # the header lies
        if path == "/tw/forum":
            return Reply(200, forum_page(TW_POSTS, "鈷翼討論區", "", "zh-Hant").encode("big5"), "text/html")
        if path == "/feed.rss":
            return Reply(200, rss(), "application/rss+xml")
        if path == "/feed.atom":
            return Reply(200, atom(), "application/atom+xml")
        if path.startswith("/news/"):
            n = path.rsplit("/", 1)[-1]
            if n == "5":
                return Reply(500, "Internal Server Error", "text/plain")
            found = [a for a in ARTICLES if a["n"] == n]
            return (
                Reply(200, article_page(found[0]), html) if found else Reply(404, "not found", "text/plain")
            )
        if path == "/about":
            return Reply(200, _page("About", f"{BOILERPLATE_TOP}<p>Short.</p>{BOILERPLATE_BOTTOM}"), html)
        if path == "/sitemap.xml":
            return Reply(200, sitemap_index(base), "application/xml")
        if path == "/sitemap-news.xml":
            return Reply(200, sitemap_news(base), "application/xml")
        if path.startswith("/products/"):
            page = jsonld_product(path.rsplit("/", 1)[-1])
            return Reply(200, page, html) if page else Reply(404, "not found", "text/plain")
        if path.startswith("/products-md/"):
            return Reply(200, microdata_product(), html)
        if path == "/redirect":  # an open redirect, as many sites have: the guard must re-check its target
            return Reply(302, "", "text/plain", {"Location": req.arg("to", "/") or "/"})
        if path == "/bench/index":
            return Reply(200, bench_index(int(req.arg("page", "1") or 1), self.bench_pages), html)
        if path.startswith("/bench/r/"):
            return Reply(200, bench_review_page(int(path.rsplit("/", 1)[-1])), html)
        return Reply(404, "not found", "text/plain")
