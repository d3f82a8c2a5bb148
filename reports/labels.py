"""Every word a rendered report shows, in English and Chinese: headings, column names, chart titles and
legends, the glossary, role, sentiment, intent, aspect, tier and alert names, period words.

`REPORT_LABELS` maps a key to (English, Chinese); `{name}` fields are filled by the caller. A key the
table lacks is an error (KeyError), never a silent fallback: tests/reports/test_labels.py checks that every
key has both texts and that the templates and renderers use no key missing from the table. Category
names (``intent.<label>``...) fall back to the stored value only for values no enum knows (a tier a
master file invented), through `reports.render.tables.category_name`.

The web UI keeps its own table (`api.web.labels`), whose sentiment, intent and aspect words are the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from core.settings import ReportLanguage

__all__ = ["REPORT_LABELS", "Labels", "report_label", "report_labels"]

#: One language's words, key -> text.
Labels = Mapping[str, str]

REPORT_LABELS: dict[str, tuple[str, str]] = {
    # Cover
    "cover.kicker": ("Earful brand report", "Earful 品牌报告"),
    "cover.timezone": ("Time zone", "时区"),
    "cover.compared_with": ("Compared with", "对比周期"),
    "cover.interval": ("Charts by", "图表粒度"),
    "cover.generated_at": ("Generated at", "生成时间"),
    "cover.total": ("Mentions counted", "提及总数"),
    # Period words
    "period.yesterday": ("Yesterday", "昨天"),
    "period.today": ("Today", "今天"),
    "period.last-week": ("Last week", "上周"),
    "period.this-week": ("This week", "本周"),
    "period.last-month": ("Last month", "上月"),
    "period.this-month": ("This month", "本月"),
    "period.last-N-days": ("Last {days} days", "最近 {days} 天"),
    "period.range": ("Custom period", "自定义周期"),
    "period.from_to": ("{start} to {end}", "{start} 至 {end}"),
    "interval.hour": ("Hour", "小时"),
    "interval.day": ("Day", "天"),
    "interval.week": ("Week", "周"),
    "interval.month": ("Month", "月"),
    # Sections
    "section.summary": ("Summary", "概览"),
    "section.volume": ("Volume", "提及量"),
    "section.sentiment": ("Sentiment", "情感"),
    "section.share_of_voice": ("Share of voice", "声量份额"),
    "section.intents": ("Intents and complaint reasons", "意图与投诉原因"),
    "section.authors": ("Top authors, sites and customers", "主要作者、站点与客户"),
    "section.alerts": ("Alerts fired", "已触发的告警"),
    "section.samples": ("Sample mentions", "提及示例"),
    "section.glossary": ("Glossary", "术语说明"),
    "heading.sentiment_trend": ("Sentiment over time, per brand", "各品牌情感趋势"),
    "heading.complaint_examples": ("Example complaints", "投诉示例"),
    "lead.volume": (
        "Mentions per brand over the period; dashed lines mark spikes (red: an alert fired; amber: "
        "detected).",
        "各品牌在本周期内的提及量；虚线标出突增（红色：已触发告警；橙色：自动检测）。",
    ),
    "lead.sentiment": (
        "Positive, neutral and negative mentions per brand, with net sentiment and the brand health index.",
        "各品牌的正面、中性与负面提及，以及净情感值和品牌健康指数。",
    ),
    "lead.share_of_voice": (
        "Each brand's share of the reported brands' mentions, positive mentions and negative mentions.",
        "各品牌在所有报告品牌的提及、正面提及与负面提及中所占的份额。",
    ),
    "lead.intents": (
        "What people want and complain about: intents, and the aspects they mention negatively.",
        "用户的诉求与不满：意图，以及被负面提及的方面。",
    ),
    "lead.customers": (
        "Linked customers with the most negative mentions in the period.",
        "本周期内负面提及最多的已关联客户。",
    ),
    # Summary
    "kpi.mentions": ("Mentions", "提及数"),
    "kpi.net_sentiment": ("Net sentiment", "净情感值"),
    "kpi.health_index": ("Health index", "健康指数"),
    "kpi.share_of_voice": ("Share of voice", "声量份额"),
    "kpi.previous": ("Previous period: {value}", "上一周期：{value}"),
    "highlight.volume": (
        "{brand}: {count} mentions, {change}; share of voice {share}.",
        "{brand}：{count} 条提及，{change}；声量份额 {share}。",
    ),
    "highlight.change": ("{change} against the previous period", "较上一周期 {change}"),
    "highlight.no_previous": ("no mentions in the previous period", "上一周期没有提及"),
    "highlight.spike": (
        "Largest spike: {brand} on {day}, {count} mentions.",
        "最大突增：{brand}，{day}，{count} 条提及。",
    ),
    "highlight.reason": (
        "{brand}'s top complaint reason: {reason} ({count} mentions); {complaints} complaints and {churn} "
        "churn-risk mentions.",
        "{brand} 的首要投诉原因：{reason}（{count} 条提及）；投诉 {complaints} 条，流失风险 {churn} 条。",
    ),
    "highlight.alerts": ("Alerts fired in the period: {count}.", "本周期触发的告警：{count} 条。"),
    # Empty states
    "empty.period": ("No mentions in this period.", "此时间范围内没有提及。"),
    "empty.table": ("Nothing to show for this period.", "本周期没有可显示的数据。"),
    "empty.spikes": ("No spike in this period.", "本周期没有突增。"),
    "empty.samples": ("No sample mention in this period.", "本周期没有提及示例。"),
    "empty.customers": (
        "No linked customer posted a negative mention in this period.",
        "本周期没有已关联客户发布负面提及。",
    ),
    "empty.alerts": ("No alert fired in this period.", "本周期没有触发告警。"),
    # Tables
    "table.summary": ("Brands at a glance", "品牌一览"),
    "table.volume_over_time": ("Mentions over time", "提及量趋势"),
    "table.spikes": ("Spikes", "突增"),
    "table.volume_by_platform": ("Mentions by platform", "按平台的提及量"),
    "table.volume_by_language": ("Mentions by language", "按语言的提及量"),
    "table.sentiment": ("Sentiment per brand", "各品牌情感"),
    "table.sentiment_over_time": ("Sentiment over time", "情感趋势"),
    "table.share_of_voice": ("Share of voice", "声量份额"),
    "table.complaints": ("Complaints and churn risk", "投诉与流失风险"),
    "table.intents": ("Intents", "意图"),
    "table.complaint_reasons": ("Complaint reasons", "投诉原因"),
    "table.top_authors": ("Top authors", "主要作者"),
    "table.top_sites": ("Top sites", "主要站点"),
    "table.negative_customers": ("Customers with negative mentions", "有负面提及的客户"),
    "table.alerts": ("Alerts fired", "已触发的告警"),
    "table.samples": ("Sample mentions", "提及示例"),
    # Columns
    "col.brand": ("Brand", "品牌"),
    "col.role": ("Role", "角色"),
    "col.mentions": ("Mentions", "提及数"),
    "col.previous": ("Previous period", "上一周期"),
    "col.change": ("Change", "变化"),
    "col.net_sentiment": ("Net sentiment", "净情感值"),
    "col.previous_net_sentiment": ("Net sentiment, previous", "上一周期净情感值"),
    "col.health_index": ("Health index", "健康指数"),
    "col.previous_health_index": ("Health index, previous", "上一周期健康指数"),
    "col.share_of_voice": ("Share of voice", "声量份额"),
    "col.period": ("Period", "时段"),
    "col.spike_reason": ("Found by", "识别方式"),
    "col.annotation": ("Annotation", "标注"),
    "col.platform": ("Platform", "平台"),
    "col.language": ("Language", "语言"),
    "col.positive": ("Positive", "正面"),
    "col.neutral": ("Neutral", "中性"),
    "col.negative": ("Negative", "负面"),
    "col.unscored": ("Not scored", "未评分"),
    "col.share": ("Share", "份额"),
    "col.previous_share": ("Share, previous", "上一周期份额"),
    "col.positive_share": ("Positive share", "正面份额"),
    "col.negative_share": ("Negative share", "负面份额"),
    "col.complaints": ("Complaints", "投诉"),
    "col.churn_risk": ("Churn risk", "流失风险"),
    "col.intent": ("Intent", "意图"),
    "col.aspect": ("Complaint reason", "投诉原因"),
    "col.author": ("Author", "作者"),
    "col.site": ("Site", "站点"),
    "col.customer": ("Customer", "客户"),
    "col.customer_id": ("Customer id", "客户编号"),
    "col.tier": ("Tier", "等级"),
    "col.value_tier": ("Value tier", "价值分层"),
    "col.negative_mentions": ("Negative mentions", "负面提及"),
    "col.fired_at": ("Fired at", "触发时间"),
    "col.rule": ("Rule", "规则"),
    "col.kind": ("Kind", "类型"),
    "col.severity": ("Severity", "严重程度"),
    "col.key": ("Key", "分组键"),
    "col.alert_mentions": ("Mentions", "提及数"),
    "col.status": ("Status", "状态"),
    "col.sample_section": ("Shown as", "示例类别"),
    "col.published_at": ("Published at", "发布时间"),
    "col.sentiment": ("Sentiment", "情感"),
    "col.title": ("Title", "标题"),
    "col.text": ("Text", "正文"),
    "col.url": ("Link", "链接"),
    # Spikes
    "spike.alert": ("Alert", "告警"),
    "spike.detected": ("Detected", "自动检测"),
    "spike.alert_note": ("Alert: {rule}", "告警：{rule}"),
    "spike.detected_note": ("{ratio}× the mean", "均值的 {ratio} 倍"),
    # Samples
    "samples.latest": ("Latest", "最新"),
    "samples.positive": ("Positive", "正面"),
    "samples.negative": ("Negative", "负面"),
    "samples.complaints": ("Complaints", "投诉"),
    # Charts (the dashboard's trend chart takes chart.trend.*; reports.charts.CHART_LABEL_KEYS)
    "chart.brand_volume.title": ("Mentions per brand", "各品牌提及量"),
    "chart.brand_volume.x": ("Period", "时段"),
    "chart.brand_volume.y": ("Mentions", "提及数"),
    "chart.brand_volume.legend": ("Brand", "品牌"),
    "chart.trend.x": ("Period", "时段"),
    "chart.trend.y": ("Mentions", "提及数"),
    "chart.trend.legend": ("Sentiment", "情感"),
    "chart.sov.title": ("Share of voice", "声量份额"),
    "chart.sov.x": ("Share (%)", "份额（%）"),
    "chart.sov.mentions": ("Mentions", "全部提及"),
    "chart.sov.positive": ("Positive", "正面提及"),
    "chart.sov.negative": ("Negative", "负面提及"),
    "chart.health.title": ("Brand health", "品牌健康度"),
    "chart.health.health": ("Health index (0 to 100)", "健康指数（0 至 100）"),
    "chart.health.net": ("Net sentiment (-100 to 100)", "净情感值（-100 至 100）"),
    "chart.intents.title": ("Intents per brand", "各品牌意图"),
    "chart.intents.x": ("Mentions", "提及数"),
    "chart.reasons.title": ("Complaint reasons per brand", "各品牌投诉原因"),
    "chart.reasons.x": ("Mentions", "提及数"),
    # Roles
    "role.own": ("Own brand", "自有品牌"),
    "role.competitor": ("Competitor", "竞争对手"),
    "role.product_line": ("Product line", "产品线"),
    # Sentiment, intents, aspects (core.models), as the web UI names them
    "sentiment.positive": ("Positive", "正面"),
    "sentiment.neutral": ("Neutral", "中性"),
    "sentiment.negative": ("Negative", "负面"),
    "sentiment.unscored": ("Not scored", "未评分"),
    "intent.complaint": ("Complaint", "投诉"),
    "intent.question": ("Question", "提问"),
    "intent.praise": ("Praise", "表扬"),
    "intent.purchase_intent": ("Purchase intent", "购买意向"),
    "intent.churn_risk": ("Churn risk", "流失风险"),
    "intent.bug_report": ("Bug report", "缺陷报告"),
    "intent.feature_request": ("Feature request", "功能需求"),
    "aspect.price": ("Price", "价格"),
    "aspect.delivery": ("Delivery", "配送"),
    "aspect.quality": ("Quality", "质量"),
    "aspect.service": ("Service", "服务"),
    "aspect.app_or_website": ("App or website", "应用或网站"),
    "aspect.other": ("Other", "其他"),
    # Customers (core.models.Tier; crm value tiers)
    "tier.platinum": ("Platinum", "白金"),
    "tier.gold": ("Gold", "黄金"),
    "tier.silver": ("Silver", "白银"),
    "tier.bronze": ("Bronze", "青铜"),
    "tier.standard": ("Standard", "标准"),
    "value_tier.key": ("Key customer", "重点客户"),
    "value_tier.growth": ("Growth", "成长客户"),
    "value_tier.standard": ("Standard", "普通客户"),
    # Alerts (alerts.rules kinds, severities, alerts.inbox statuses)
    "alert_kind.every_match": ("Every match", "逐条匹配"),
    "alert_kind.digest": ("Digest", "摘要"),
    "alert_kind.threshold": ("Threshold", "阈值"),
    "alert_kind.spike": ("Spike", "突增"),
    "alert_kind.sentiment_dip": ("Sentiment dip", "情感下滑"),
    "alert_kind.flatline": ("Flatline", "数据中断"),
    "severity.info": ("Info", "提示"),
    "severity.warning": ("Warning", "警告"),
    "severity.critical": ("Critical", "严重"),
    "alert_status.open": ("Open", "待处理"),
    "alert_status.acknowledged": ("Acknowledged", "已确认"),
    "alert_status.snoozed": ("Snoozed", "已暂停"),
    "alert_status.resolved": ("Resolved", "已解决"),
    "decision.fire": ("Fired", "触发"),
    "decision.recovery": ("Recovered", "已恢复"),
    # Languages of mentions (a code without a name here is shown as it is)
    "language.en": ("English", "英语"),
    "language.zh": ("Chinese", "中文"),
    "language.ja": ("Japanese", "日语"),
    "language.ko": ("Korean", "韩语"),
    "language.de": ("German", "德语"),
    "language.fr": ("French", "法语"),
    "language.es": ("Spanish", "西班牙语"),
    "language.pt": ("Portuguese", "葡萄牙语"),
    "language.it": ("Italian", "意大利语"),
    "language.ru": ("Russian", "俄语"),
    "language.ar": ("Arabic", "阿拉伯语"),
    "language.und": ("Unknown", "未知"),
    # Glossary (reports.data's definitions)
    "glossary.mentions.term": ("Mentions", "提及"),
    "glossary.mentions": (
        "Posts, comments, reviews and articles that match a brand's query in the period. A mention that "
        "matches two brands' queries counts for both; the total on the cover counts it once.",
        "本周期内与品牌查询匹配的帖子、评论、评价和文章。同时匹配两个品牌查询的提及对两个品牌各计一次；"
        "封面上的总数只计一次。",
    ),
    "glossary.change.term": ("Change", "变化"),
    "glossary.change": (
        "Percent change against the previous period of the same length; a dash when the previous period "
        "counted nothing.",
        "与等长的上一周期相比的百分比变化；上一周期没有数据时显示为短横线。",
    ),
    "glossary.net_sentiment.term": ("Net sentiment", "净情感值"),
    "glossary.net_sentiment": (
        "(positive - negative) / (positive + negative) × 100, from -100 to 100.",
        "（正面 - 负面）/（正面 + 负面）× 100，取值 -100 至 100。",
    ),
    "glossary.health_index.term": ("Brand health index", "品牌健康指数"),
    "glossary.health_index": (
        "positive / (positive + negative) × 100, from 0 to 100; none when a brand has no positive and no "
        "negative mention.",
        "正面 /（正面 + 负面）× 100，取值 0 至 100；品牌既无正面也无负面提及时不计算。",
    ),
    "glossary.share_of_voice.term": ("Share of voice", "声量份额"),
    "glossary.share_of_voice": (
        "A brand's mentions over the sum of every reported brand's mentions; positive and negative shares "
        "likewise over the brands' positive and negative mentions.",
        "某品牌的提及数占所有报告品牌提及总数的比例；正面与负面份额分别按各品牌的正面与负面提及计算。",
    ),
    "glossary.complaint_reasons.term": ("Complaint reasons", "投诉原因"),
    "glossary.complaint_reasons": (
        "Aspects (price, delivery, quality, service, app or website) mentioned with negative polarity, "
        "counted per mention.",
        "以负面倾向提及的方面（价格、配送、质量、服务、应用或网站），按提及计数。",
    ),
    "glossary.spikes.term": ("Spikes", "突增"),
    "glossary.spikes": (
        "Buckets of the volume chart a spike alert fired for, and buckets over the mean plus two standard "
        "deviations of the period's buckets.",
        "触发了突增告警的时段，以及超过本周期各时段均值加两倍标准差的时段。",
    ),
    "glossary.unscored.term": ("Not scored", "未评分"),
    "glossary.unscored": (
        "Mentions in a language the sentiment model does not score; they count in volumes, not in "
        "sentiment ratios.",
        "情感模型不支持其语言的提及；计入提及量，不计入情感比例。",
    ),
    # Footer
    "footer.generated": ("Generated by Earful at {when} ({tz}).", "由 Earful 生成于 {when}（{tz}）。"),
    "footer.page": ("Page {page} of {pages}", "第 {page} 页，共 {pages} 页"),
}


@cache
def _table(language: ReportLanguage) -> Mapping[str, str]:
    index = 1 if language == "zh" else 0
    return MappingProxyType({key: texts[index] for key, texts in REPORT_LABELS.items()})


def report_labels(language: ReportLanguage) -> Labels:
    """Every label in `language` (read-only; a missing key raises KeyError)."""
    return _table(language)


def report_label(key: str, language: ReportLanguage, **params: Any) -> str:
    """The label `key` in `language`, its ``{name}`` fields filled from `params`; KeyError if unknown."""
    text = REPORT_LABELS[key][1 if language == "zh" else 0]
    return text.format(**params) if params else text
