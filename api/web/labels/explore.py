"""Labels of the Explore page: the search form and its live check, results, facets, saving and exports."""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    "explore.title": ("Explore", "探索"),
    "explore.heading": ("Explore mentions", "探索提及"),
    # The form
    "explore.form.label": ("Search mentions", "搜索提及"),
    "explore.form.query": ("Query", "查询"),
    "explore.form.query_hint": (
        'AND, OR, NOT, "phrases", NEAR/n, wildcards* and fields such as lang:zh or sentiment:negative',
        'AND、OR、NOT、"短语"、NEAR/n、通配符* 以及 lang:zh、sentiment:negative 等字段',
    ),
    "explore.filter.sentiment": ("Sentiment", "情感"),
    "explore.filter.language": ("Language", "语言"),
    "explore.filter.platform": ("Platform", "平台"),
    "explore.filter.intent": ("Intent", "意图"),
    "explore.filter.period": ("Period", "时间范围"),
    "explore.filter.sort": ("Sort", "排序"),
    "explore.filter.any": ("Any", "全部"),
    "explore.period.all": ("All time", "全部时间"),
    "explore.period.24h": ("Last 24 hours", "最近 24 小时"),
    "explore.period.7d": ("Last 7 days", "最近 7 天"),
    "explore.period.30d": ("Last 30 days", "最近 30 天"),
    "explore.period.90d": ("Last 90 days", "最近 90 天"),
    "explore.sort.newest": ("Newest first", "最新优先"),
    "explore.sort.oldest": ("Oldest first", "最早优先"),
    "explore.sort.relevance": ("Relevance", "相关度"),
    # The live check
    "explore.check.valid": ("The query is valid.", "查询语法正确。"),
    "explore.check.invalid": ("The query has an error:", "查询有语法错误："),
    "explore.check.expected": ("Expected: {tokens}", "此处应为：{tokens}"),
    "explore.check.warnings": ("Warnings about the query", "查询警告"),
    "explore.check.at": ("Column {column}:", "第 {column} 列："),
    # Results
    "explore.results.label": ("Search results", "搜索结果"),
    "explore.results.total": ("{count} mentions", "共 {count} 条提及"),
    "explore.results.more": ("Load more", "加载更多"),
    "explore.results.none": ("No mention matches this search", "没有符合此搜索的提及"),
    "explore.results.none_hint": (
        "Try fewer words, another period or fewer filters.",
        "请尝试减少关键词、换一个时间范围或减少筛选条件。",
    ),
    "explore.chart.title": ("Volume", "提及量"),
    "explore.chart.x": ("Period", "时间"),
    "explore.chart.y": ("Mentions", "提及数"),
    "explore.facets.label": ("Refine by", "细分筛选"),
    "explore.facet.platform": ("Platform", "平台"),
    "explore.facet.lang": ("Language", "语言"),
    "explore.facet.sentiment": ("Sentiment", "情感"),
    "explore.facet.intent": ("Intent", "意图"),
    "explore.facet.hashtag": ("Hashtags", "话题标签"),
    "explore.export.csv": ("CSV", "CSV"),
    "explore.export.jsonl": ("JSON Lines", "JSON Lines"),
    # Saved searches
    "explore.saved.heading": ("My saved searches", "我保存的搜索"),
    "explore.saved.none": ("None yet.", "暂无。"),
    "explore.save.heading": ("Save this search", "保存此搜索"),
    "explore.save.name": ("Name", "名称"),
    "explore.save.submit": ("Save search", "保存搜索"),
    "explore.save.done": ("Saved as “{name}”.", "已保存为“{name}”。"),
    "explore.save.missing": ("Give the search a name and a query.", "请填写搜索名称和查询。"),
}
