"""Hand-written pieces of the demo data: four FICTIONAL brands, their products and rivals, and what
people say about them in English, Simplified and Traditional Chinese.

Every name here is invented for the demo (Quillfinch, Munchbird, Cobaltwing Air, Kestrelle and the
rivals Hushwave, Fennix Eats, Bluegander Air, Novaquail). `generate.py` combines these pieces with a
fixed seed; edit them, then run ``python -m demo.site.generate`` to rewrite the data file.

Placeholders: {brand} {product} (either product; {p0} / {p1} name one) {rival} {support} (the brand's
support handle, with @) {n} (a number). An item's product is the one its text names.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGS = ("en", "zh-Hans", "zh-Hant")
CATEGORIES = (
    "praise",
    "complaint",
    "question",
    "purchase_intent",
    "churn_risk",
    "bug_report",
    "feature_request",
    "news",
)


@dataclass(frozen=True)
class Brand:
    key: str
    category: str
    names: dict[str, str]  # per language
    products: tuple[dict[str, str], ...]  # per language
    rivals: dict[str, str]
    support: str  # the brand's support handle
    hashtags: tuple[str, ...]
    numbers: tuple[int, ...]  # what {n} stands for: minutes late, hours delayed, days of battery...


BRANDS: tuple[Brand, ...] = (
    Brand(
        key="quillfinch",
        category="headphones",
        names={"en": "Quillfinch", "zh-Hans": "鹊鸣", "zh-Hant": "鵲鳴"},
        products=(
            {"en": "Aria Buds", "zh-Hans": "Aria 耳机", "zh-Hant": "Aria 耳機"},
            {"en": "Halo 700", "zh-Hans": "Halo 700 头戴式耳机", "zh-Hant": "Halo 700 頭戴式耳機"},
        ),
        rivals={"en": "Hushwave", "zh-Hans": "静浪", "zh-Hant": "靜浪"},
        support="QuillfinchHelp",
        hashtags=("Quillfinch", "AriaBuds", "Halo700"),
        numbers=(2, 3, 5, 10),
    ),
    Brand(
        key="munchbird",
        category="food delivery",
        names={"en": "Munchbird", "zh-Hans": "馋鸟外卖", "zh-Hant": "饞鳥外送"},
        products=(
            {"en": "Munchbird app", "zh-Hans": "馋鸟App", "zh-Hant": "饞鳥App"},
            {"en": "Munchbird Plus", "zh-Hans": "馋鸟会员", "zh-Hant": "饞鳥會員"},
        ),
        rivals={"en": "Fennix Eats", "zh-Hans": "飞狐外卖", "zh-Hant": "飛狐外送"},
        support="MunchbirdCares",
        hashtags=("Munchbird", "MunchbirdPlus", "FoodDelivery"),
        numbers=(40, 55, 70, 90),
    ),
    Brand(
        key="cobaltwing",
        category="airline",
        names={"en": "Cobaltwing Air", "zh-Hans": "钴翼航空", "zh-Hant": "鈷翼航空"},
        products=(
            {"en": "economy class", "zh-Hans": "经济舱", "zh-Hant": "經濟艙"},
            {"en": "Cobaltwing Miles", "zh-Hans": "钴翼里程会员", "zh-Hant": "鈷翼里程會員"},
        ),
        rivals={"en": "Bluegander Air", "zh-Hans": "蓝雁航空", "zh-Hant": "藍雁航空"},
        support="CobaltwingAir",
        hashtags=("Cobaltwing", "CobaltwingMiles", "travel"),
        numbers=(3, 4, 6, 9),
    ),
    Brand(
        key="kestrelle",
        category="phones",
        names={"en": "Kestrelle", "zh-Hans": "隼星", "zh-Hant": "隼星"},
        products=(
            {"en": "Kestrelle K7", "zh-Hans": "隼星 K7", "zh-Hant": "隼星 K7"},
            {"en": "Kestrelle K7 Pro", "zh-Hans": "隼星 K7 Pro", "zh-Hant": "隼星 K7 Pro"},
        ),
        rivals={"en": "Novaquail", "zh-Hans": "新鹑", "zh-Hant": "新鶉"},
        support="KestrelleSupport",
        hashtags=("Kestrelle", "K7Pro", "Android"),
        numbers=(2, 3, 12, 20),
    ),
)

# --- what people say, per brand, category and language -------------------------------------------
BODIES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "quillfinch": {
        "praise": {
            "en": (
                "The {product} sound amazing, the bass is tight and the mids are clear.",
                "Noise cancelling on the {product} is excellent, my commute is finally quiet.",
                "I love how light the {product} are, I wore them for a whole flight with no pain.",
                "Battery life on the {product} is great, {n} days of normal use between charges.",
                "{support} replaced my cracked case in two days, really impressed with the service.",
            ),
            "zh-Hans": (
                "{product}音质真的很好，低音很有力度，非常满意。",
                "{brand}的降噪太棒了，地铁上终于安静了，强烈推荐。",
                "戴了一整天{product}也不累，续航很给力，好评！",
                "客服态度很好，{n}天就给我换了新的充电盒，点赞。",
            ),
            "zh-Hant": (
                "{product}音質真的很好，降噪也很棒，非常滿意。",
                "{brand}的耳機戴起來很舒服，續航很給力，推薦！",
            ),
        },
        "complaint": {
            "en": (
                "The left earbud of my {product} died after {n} weeks. Really disappointed.",
                "Terrible fit, the {product} keep falling out of my ears when I walk.",
                "Paid full price for the {product} and the noise cancelling is awful on trains.",
                "Waited {n} weeks for a warranty reply from {support}. Worst support I have dealt with.",
                "The ear cushions on my {product} are already peeling. Cheap materials for that price.",
            ),
            "zh-Hans": (
                "{product}用了{n}周左耳就没声音了，太失望了。",
                "降噪效果很差，坐地铁根本没用，感觉被坑了。",
                "客服一直不回复，售后太差了，我要投诉。",
                "耳罩才用一个月就掉皮，这个价格质量太差。",
            ),
            "zh-Hant": (
                "{product}用沒多久就壞了，客服也不回，很失望。",
                "降噪效果很差，這個價錢真的不值得。",
            ),
        },
        "question": {
            "en": (
                "Does anyone know if the {product} support multipoint pairing?",
                "Can the {product} be used for calls on a laptop, or is the mic too quiet?",
                "Is there a way to turn off the touch controls on the {product}?",
                "How do I reset the {product}? The manual is not clear.",
            ),
            "zh-Hans": (
                "请问{product}支持同时连接两台设备吗？",
                "{product}可以用来打游戏吗？延迟大不大？",
                "有人知道{product}怎么恢复出厂设置吗？",
            ),
            "zh-Hant": (
                "請問{product}可以連兩台裝置嗎？",
                "有人知道{product}怎麼重置嗎？",
            ),
        },
        "purchase_intent": {
            "en": (
                "Thinking of buying the {product} for my commute. Worth it over the {rival} ones?",
                "Planning to get the {product} on sale this weekend, any last advice?",
                "Going to buy the {product} as a birthday gift for my sister.",
            ),
            "zh-Hans": (
                "想买{product}，和{rival}比哪个好？",
                "打算双十一入手{product}，求推荐配色。",
                "准备下单{product}送男朋友，值得买吗？",
            ),
            "zh-Hant": (
                "想買{product}，有人用過嗎？",
                "打算入手{product}，求推薦。",
            ),
        },
        "churn_risk": {
            "en": (
                "Second pair of {product} broken in a year. Switching to {rival}.",
                "Done with {brand}. Returning the {product} and going back to my old {rival} set.",
                "After this support experience I am never buying {brand} again.",
            ),
            "zh-Hans": (
                "第二副{product}又坏了，再也不买了，换成{rival}。",
                "售后太差，以后不会再买{brand}了。",
                "已经退货了，准备改用{rival}的耳机。",
            ),
            "zh-Hant": (
                "又壞了，再也不買{brand}了，改用{rival}。",
                "售後太差，不會再買了。",
            ),
        },
        "bug_report": {
            "en": (
                "After the latest firmware update my {product} keep disconnecting every few minutes.",
                "The {brand} app crashes every time I open the equalizer settings.",
                "Bug: the right bud of my {product} won't charge in the case since firmware 2.{n}.",
                "The {product} won't pair with my laptop anymore, it shows error code {n}0{n}.",
            ),
            "zh-Hans": (
                "更新固件后{product}一直断连，几分钟就断一次。",
                "{brand}App一打开均衡器就闪退。",
                "{product}右耳放进充电盒不充电，是bug吗？",
            ),
            "zh-Hant": (
                "更新後{product}一直斷線，App也會閃退。",
                "{product}配對不了電腦，一直顯示錯誤。",
            ),
        },
        "feature_request": {
            "en": (
                "Please add a custom EQ to the {brand} app, the presets are too limited.",
                "Would be great if the {product} had an auto-pause when you take them off.",
                "I wish the {brand} app would let me rename my {product}.",
            ),
            "zh-Hans": (
                "希望{brand}App能增加自定义均衡器。",
                "建议{product}加个摘下自动暂停的功能。",
                "能不能出一个降噪强度调节？",
            ),
            "zh-Hant": (
                "希望App可以增加自訂等化器。",
                "建議{product}加入自動暫停功能。",
            ),
        },
        "news": {
            "en": (
                "{brand} will release the {product} in two new colours next month.",
                "{brand} announced a firmware update for the {product} that changes the touch controls.",
                "{brand} is opening a repair centre in Leeds, according to a company statement.",
            ),
            "zh-Hans": (
                "{brand}宣布{product}下月推出两款新配色。",
                "{brand}发布{product}固件更新，调整了触控操作。",
            ),
            "zh-Hant": ("{brand}宣布{product}下個月推出新配色。",),
        },
    },
    "munchbird": {
        "praise": {
            "en": (
                "{brand} delivered in {n} minutes flat and the food was still hot. Great job!",
                "The rider was so friendly and even called to check the gate code. Love {brand}.",
                "{p1} is totally worth it, free delivery has saved me a lot this month.",
                "Their support refunded a missing drink within minutes. Excellent service.",
            ),
            "zh-Hans": (
                "{brand}送得很快，饭菜还是热的，骑手也很有礼貌，好评！",
                "开了{p1}以后免配送费，太划算了，推荐。",
                "漏了一杯奶茶，客服马上退款，处理得很给力。",
            ),
            "zh-Hant": (
                "{brand}送得很快，餐點還是熱的，外送員很有禮貌，讚！",
                "開了{p1}免外送費，很划算，推薦。",
            ),
        },
        "complaint": {
            "en": (
                "Waited {n} minutes and the food arrived cold. This is unacceptable, {brand}.",
                "Half my order was missing and support just sent a canned reply. Awful.",
                "The rider was rude and left my order at the wrong building.",
                "{brand} charged me twice for one order and the refund is already {n} hours late.",
                "Delivery fees keep going up while the service gets worse. So frustrating.",
            ),
            "zh-Hans": (
                "等了{n}分钟，送到的饭全凉了，太差了。",
                "少送了一半的菜，客服只会复制粘贴，气死了。",
                "骑手态度恶劣，还把外卖放错了楼，我要投诉。",
                "一单被扣了两次钱，{n}个小时了还没退款，太坑了。",
            ),
            "zh-Hant": (
                "等了{n}分鐘，送來的餐都冷了，很失望。",
                "餐晚到{n}分鐘，退款到現在還沒收到，很失望。",
            ),
        },
        "question": {
            "en": (
                "How do I change the delivery address after I placed the order on {brand}?",
                "Does {p1} include free delivery on grocery orders too?",
                "Is {brand} available in the suburbs yet or only in the city centre?",
                "Can I tip the rider in cash instead of through the app?",
            ),
            "zh-Hans": (
                "请问下单后还能改地址吗？",
                "{p1}的免配送费包括超市订单吗？",
                "{brand}现在支持郊区配送了吗？",
            ),
            "zh-Hant": (
                "請問下單後還可以改地址嗎？",
                "{p1}有包含超市訂單免運嗎？",
            ),
        },
        "purchase_intent": {
            "en": (
                "Thinking about signing up for {p1}, does it pay off if I order twice a week?",
                "Going to order from {brand} tonight, any restaurant tips near the station?",
                "Planning to get {p1} for the free delivery, is the annual plan cheaper?",
            ),
            "zh-Hans": (
                "打算开通{p1}，一周点两次划算吗？",
                "今晚准备在{brand}点火锅，有推荐的店吗？",
                "想买{p1}年卡，有优惠吗？",
            ),
            "zh-Hant": ("打算開通{p1}，划算嗎？",),
        },
        "churn_risk": {
            "en": (
                "Just cancelled my {p1} subscription. Switching to {rival}.",
                "Deleted the {brand} app. Three cold meals in a row is enough.",
                "I'm going to cancel my {p1} membership, {rival} is cheaper and faster.",
            ),
            "zh-Hans": (
                "已经取消{p1}了，以后改用{rival}。",
                "连续三次送餐超时，卸载了，再也不点{brand}了。",
                "{rival}更便宜还更快，准备退订{p1}。",
            ),
            "zh-Hant": (
                "已經取消{p1}，改用{rival}了。",
                "連續遲到三次，再也不用{brand}了。",
            ),
        },
        "bug_report": {
            "en": (
                "The {p0} keeps crashing at checkout since the update.",
                "Payment failed with an error but I was still charged. The {brand} app is broken.",
                "The order tracking map is stuck on 'preparing' even after the food arrived.",
                "Can't log in to the {brand} app, it loops back to the login screen.",
            ),
            "zh-Hans": (
                "{p0}更新后一到付款页面就闪退。",
                "支付报错但钱扣了，{brand}App有bug。",
                "订单地图一直卡在备餐中，饭都送到了。",
            ),
            "zh-Hant": (
                "{p0}更新後付款就閃退。",
                "登入一直失敗，App是不是有bug？",
            ),
        },
        "feature_request": {
            "en": (
                "Please add a way to schedule orders for later in the {brand} app.",
                "Would be nice if {p1} let me share the membership with my partner.",
                "I wish {brand} had an option to refuse plastic cutlery by default.",
            ),
            "zh-Hans": (
                "希望{brand}能增加预约送餐功能。",
                "建议{p1}支持家庭共享。",
                "能不能加一个默认不要餐具的选项？",
            ),
            "zh-Hant": ("希望可以增加預約外送功能。",),
        },
        "news": {
            "en": (
                "{brand} expands delivery to {n} more cities this quarter.",
                "{brand} will raise the minimum order value for {p1} members from next week.",
                "{brand} and a supermarket chain announced a grocery delivery partnership.",
            ),
            "zh-Hans": (
                "{brand}宣布本季度新增{n}个配送城市。",
                "{brand}与一家连锁超市合作推出生鲜配送。",
            ),
            "zh-Hant": ("{brand}宣布與連鎖超市合作推出生鮮外送。",),
        },
    },
    "cobaltwing": {
        "praise": {
            "en": (
                "Smooth flight with {brand}, friendly crew and we landed early. Great experience.",
                "{brand} upgraded me for free on my anniversary trip. Thank you, that was wonderful!",
                "Best {p0} seats I have had in years, plenty of legroom.",
                "Lost my phone on board and the {brand} crew found it within an hour. Amazing.",
            ),
            "zh-Hans": (
                "{brand}的空乘服务很好，航班还提前到达，很满意。",
                "{p0}座位很宽敞，飞机餐也不错，推荐。",
                "手机落在飞机上，工作人员一个小时就找到了，太感谢了。",
            ),
            "zh-Hant": (
                "{brand}的服務很好，座位舒服，很滿意。",
                "機組人員很親切，準時到達，推薦！",
            ),
        },
        "complaint": {
            "en": (
                "Flight delayed {n} hours with no explanation from {brand}. Terrible communication.",
                "{brand} lost my luggage and nobody at the desk could help. Furious.",
                "The {p0} seat was broken and the crew did not care. Never had a worse flight.",
                "They cancelled my flight the night before and offered a voucher, not a refund. Disgraceful.",
                "We landed {n} hours late and I want my money back, {support}. Still no answer.",
            ),
            "zh-Hans": (
                "航班延误{n}个小时，{brand}一句解释都没有，太差了。",
                "行李丢了，柜台的人一问三不知，非常失望。",
                "起飞前一晚取消航班，只给代金券不给退款，太坑了。",
                "{p0}座椅坏了，空乘也不管，体验很糟糕。",
            ),
            "zh-Hant": (
                "航班延誤{n}個小時，完全沒有解釋，很失望。",
                "行李不見了，客服也不處理，太差了。",
            ),
        },
        "question": {
            "en": (
                "Does {brand} allow a cabin bag and a personal item in {p0}?",
                "How long do {p1} points take to show up after a flight?",
                "Can I change the name on a {brand} ticket or do I have to rebook?",
                "Is the lounge included with {p1} gold status on partner flights?",
            ),
            "zh-Hans": (
                "请问{brand}{p0}可以带几件随身行李？",
                "{p1}的里程多久到账？",
                "机票可以改名字吗？还是只能重新买？",
            ),
            "zh-Hant": (
                "請問{p0}可以帶幾件手提行李？",
                "里程多久會入帳？",
            ),
        },
        "purchase_intent": {
            "en": (
                "Planning to book {brand} for our family trip in spring, are the fares any good?",
                "Thinking of buying a business class upgrade with my {p1} points for the long leg, worth it?",
                "Going to book the {brand} flight to Lisbon unless {rival} has a sale.",
            ),
            "zh-Hans": (
                "打算订{brand}的机票去三亚，性价比怎么样？",
                "想用{p1}里程升舱，值不值得？",
                "准备春节订{brand}回家，有人坐过吗？",
            ),
            "zh-Hant": ("打算訂{brand}去東京，有人坐過嗎？",),
        },
        "churn_risk": {
            "en": (
                "After {n} delays this year I'm switching to {rival} for work trips.",
                "Cancelling my {p1} membership, the status benefits are worthless now.",
                "Never flying {brand} again. Booking {rival} from now on.",
            ),
            "zh-Hans": (
                "今年延误了{n}次，以后改坐{rival}。",
                "{p1}权益越来越少，准备注销了。",
                "再也不坐{brand}了，太折腾。",
            ),
            "zh-Hant": (
                "再也不坐{brand}了，改搭{rival}。",
                "準備取消{p1}，權益太少。",
            ),
        },
        "bug_report": {
            "en": (
                "The {brand} app crashes when I try to add my {p1} number to a booking.",
                "Online check-in fails with an error on the last step, tried on two phones.",
                "The boarding pass in the {brand} app shows a blank screen at the gate.",
                "Can't log in to {p1} after the website update, the page just reloads.",
            ),
            "zh-Hans": (
                "{brand}App添加{p1}卡号就闪退。",
                "网上值机最后一步一直报错，换了两台手机都不行。",
                "登机牌页面白屏，到了登机口才发现。",
            ),
            "zh-Hant": (
                "{brand}App線上報到一直出現錯誤。",
                "登機證頁面白屏，App有bug。",
            ),
        },
        "feature_request": {
            "en": (
                "Please add seat selection to the {brand} app, the website is painful on mobile.",
                "Would be great if {p1} points could be shared within a family.",
                "I wish {brand} would show live baggage tracking like {rival} does.",
            ),
            "zh-Hans": (
                "希望{brand}App能增加在线选座。",
                "建议{p1}里程支持家庭共享。",
                "能不能加一个行李实时追踪功能？",
            ),
            "zh-Hant": ("希望App可以增加線上選位功能。",),
        },
        "news": {
            "en": (
                "{brand} will launch a direct route to Osaka in March.",
                "{brand} reported {n} percent more passengers than last year in its quarterly update.",
                "{brand} is changing the {p1} earning rules from January.",
            ),
            "zh-Hans": (
                "{brand}宣布明年三月开通直飞大阪航线。",
                "{brand}公布季度数据，旅客量同比增长{n}%。",
            ),
            "zh-Hant": ("{brand}宣布明年開通直飛大阪航線。",),
        },
    },
    "kestrelle": {
        "praise": {
            "en": (
                "The camera on the {product} is incredible, night shots look fantastic.",
                "Battery on my {product} easily lasts {n} hours of heavy use. Love this phone.",
                "Switched from {rival} to the {product} and it is so smooth, really happy with it.",
                "The {product} screen is gorgeous and the build feels premium. Highly recommend.",
            ),
            "zh-Hans": (
                "{product}拍照太棒了，夜景很清楚，很喜欢。",
                "{product}续航很给力，重度使用一天没问题，推荐！",
                "从{rival}换到{product}，系统很流畅，非常满意。",
            ),
            "zh-Hant": (
                "{product}拍照很棒，螢幕也很漂亮，很滿意。",
                "{product}很流暢，電池很耐用，推薦！",
            ),
        },
        "complaint": {
            "en": (
                "My {product} gets so hot when gaming that I can barely hold it. Disappointed.",
                "The {product} battery drains {n}% overnight doing nothing. Awful.",
                "Screen cracked from a tiny drop, and {support} wants half the phone price to fix it.",
                "The {product} speaker crackles at any volume. Terrible quality control.",
            ),
            "zh-Hans": (
                "{product}打游戏发热太严重了，烫手，很失望。",
                "{product}待机一晚掉电{n}%，太差了。",
                "轻轻一摔屏幕就裂了，售后还要收半台手机的钱，太坑了。",
            ),
            "zh-Hant": (
                "{product}發熱很嚴重，電池也掉很快，很失望。",
                "螢幕一摔就裂，維修還很貴，太差了。",
            ),
        },
        "question": {
            "en": (
                "Does the {product} support eSIM and dual SIM at the same time?",
                "How many years of updates does {brand} promise for the {product}?",
                "Is the {product} charger included in the box?",
                "Can I move my data from a {rival} phone to the {product} easily?",
            ),
            "zh-Hans": (
                "请问{product}支持eSIM吗？",
                "{product}能保证几年系统更新？",
                "{product}包装里有充电器吗？",
            ),
            "zh-Hant": (
                "請問{product}有支援eSIM嗎？",
                "{product}盒裝有附充電器嗎？",
            ),
        },
        "purchase_intent": {
            "en": (
                "Thinking of buying the {product}, coming from an old {rival}. Any regrets?",
                "Going to pre-order the {product} as soon as it opens.",
                "Planning to get the {product} for my dad, is the font size setting easy?",
            ),
            "zh-Hans": (
                "想买{product}，和{rival}比哪个拍照好？",
                "准备预订{product}，有人知道什么时候发货吗？",
                "打算给爸妈入手{product}，操作简单吗？",
            ),
            "zh-Hant": (
                "想買{product}，值得嗎？",
                "打算預購{product}。",
            ),
        },
        "churn_risk": {
            "en": (
                "Third {product} repair this year. Switching to {rival} when my contract ends.",
                "Done with {brand}, the updates broke more than they fixed. Moving to {rival}.",
                "My refund for the broken phone is two weeks late. Never buying a {brand} phone again.",
            ),
            "zh-Hans": (
                "一年修了三次，合约到期就换成{rival}。",
                "退款拖了两个星期还没到账，再也不买{brand}了。",
                "售后太差，下一台改用{rival}。",
            ),
            "zh-Hant": (
                "修了三次還是有問題，要換成{rival}了。",
                "再也不買{brand}了。",
            ),
        },
        "bug_report": {
            "en": (
                "Since the latest update my {product} randomly restarts while charging.",
                "The camera app on the {product} crashes when I switch to video mode.",
                "Bluetooth keeps disconnecting from my car after the {brand} update.",
                "Wi-Fi on the {product} drops every {n} minutes, other devices are fine.",
            ),
            "zh-Hans": (
                "更新后{product}充电时会自动重启。",
                "{product}相机切换到录像就闪退。",
                "升级系统后蓝牙一直断连，连不上车机。",
            ),
            "zh-Hant": (
                "更新後{product}充電會自動重開機。",
                "{product}相機一切換錄影就閃退。",
            ),
        },
        "feature_request": {
            "en": (
                "Please add call recording to the {product}, my old phone had it.",
                "Would be great if {brand} let us set a charge limit to protect the battery.",
                "I wish the {product} had an always-on display option.",
            ),
            "zh-Hans": (
                "希望{product}能增加通话录音功能。",
                "建议{brand}加一个充电上限设置，保护电池。",
                "能不能支持息屏显示？",
            ),
            "zh-Hant": ("希望{product}可以增加通話錄音。",),
        },
        "news": {
            "en": (
                "{brand} confirmed the {product} will get a software update in {n} weeks.",
                "{brand} is expected to unveil a foldable phone later this year.",
                "{brand} opened pre-orders for the {product} in six new markets.",
            ),
            "zh-Hans": (
                "{brand}确认{product}将在{n}周后推送系统更新。",
                "{brand}宣布{product}在六个新市场开启预订。",
            ),
            "zh-Hant": ("{brand}宣布{product}將在新市場開放預購。",),
        },
    },
}

# Openers and closers make the same body read differently; "" keeps it bare.
OPENERS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "praise": ("", "", "Quick shout-out:", "Honest review:", "Five months in:"),
        "complaint": ("", "", "Ugh.", "Not happy.", "Third time this month."),
        "question": ("", "", "Quick question:", "Hi all,", "Help please:"),
        "purchase_intent": ("", "", "Hi all,", "Need advice:"),
        "churn_risk": ("", "", "That's it.", "Enough."),
        "bug_report": ("", "", "Heads up:", "Anyone else?"),
        "feature_request": ("", "", "Suggestion:", "Feedback for the team:"),
        "news": ("",),
    },
    "zh-Hans": {
        "praise": ("", "", "说句公道话，", "用了半年，"),
        "complaint": ("", "", "无语了，", "吐槽一下，"),
        "question": ("", "", "求助，", "新手提问："),
        "purchase_intent": ("", "", "纠结中，"),
        "churn_risk": ("", "", "说实话，"),
        "bug_report": ("", "", "反馈个问题："),
        "feature_request": ("", "", "提个建议："),
        "news": ("",),
    },
    "zh-Hant": {
        "praise": ("", "老實說，"),
        "complaint": ("", "真的很無言，"),
        "question": ("", "求救，"),
        "purchase_intent": ("",),
        "churn_risk": ("",),
        "bug_report": ("", "回報問題："),
        "feature_request": ("", "小建議："),
        "news": ("",),
    },
}
CLOSERS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "praise": ("", "", "Keep it up!", "Would buy again."),
        "complaint": ("", "", "Do better.", "Not impressed at all."),
        "question": ("", "", "Thanks in advance!", "Any help appreciated."),
        "purchase_intent": ("", "", "Thanks!"),
        "churn_risk": ("", "", "Bye."),
        "bug_report": ("", "", "Please fix this.", "Already reinstalled twice."),
        "feature_request": ("", "", "Thanks for listening."),
        "news": ("",),
    },
    "zh-Hans": {
        "praise": ("", "", "会回购的。", "赞一个！"),
        "complaint": ("", "", "体验太差了。", "真的很无语。"),
        "question": ("", "", "谢谢大家！", "在线等。"),
        "purchase_intent": ("", "", "谢谢！"),
        "churn_risk": ("", "", "拜拜了。"),
        "bug_report": ("", "", "希望尽快修复。", "重装了也没用。"),
        "feature_request": ("", "", "谢谢！"),
        "news": ("",),
    },
    "zh-Hant": {
        "praise": ("", "會回購！"),
        "complaint": ("", "體驗很差。"),
        "question": ("", "謝謝大家！"),
        "purchase_intent": ("",),
        "churn_risk": ("",),
        "bug_report": ("", "希望盡快修正。"),
        "feature_request": ("", "謝謝！"),
        "news": ("",),
    },
}

TITLES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "praise": ("Love it", "Worth every penny", "Exceeded my expectations", "Great experience"),
        "complaint": ("Disappointed", "Not as advertised", "Very poor experience", "Avoid"),
        "question": ("Question about {product}", "Quick question", "Need help with {product}"),
        "purchase_intent": ("Should I get the {product}?", "Buying advice", "Worth it?"),
        "churn_risk": ("I'm done", "Leaving {brand}", "Last time"),
        "bug_report": ("Bug after update", "App keeps crashing", "Connection problems"),
        "feature_request": ("Feature request", "Suggestion for {brand}", "Please add this"),
        "news": ("{brand} news", "{brand} announcement", "Update from {brand}"),
    },
    "zh-Hans": {
        "praise": ("非常满意", "好评", "值得购买"),
        "complaint": ("很失望", "差评", "体验很差"),
        "question": ("求助：{product}", "请教一个问题", "关于{product}的问题"),
        "purchase_intent": ("{product}值得买吗", "求购买建议"),
        "churn_risk": ("不会再用了", "告别{brand}"),
        "bug_report": ("更新后出问题了", "闪退问题", "连接问题"),
        "feature_request": ("功能建议", "给{brand}提个建议"),
        "news": ("{brand}动态", "{brand}最新消息"),
    },
    "zh-Hant": {
        "praise": ("非常滿意", "好評"),
        "complaint": ("很失望", "負評"),
        "question": ("請教{product}", "求助"),
        "purchase_intent": ("{product}值得買嗎",),
        "churn_risk": ("不會再用了",),
        "bug_report": ("更新後出問題", "閃退"),
        "feature_request": ("功能建議",),
        "news": ("{brand}消息",),
    },
}

# Replies in forum threads: short, generic, category-neutral.
REPLIES: dict[str, tuple[str, ...]] = {
    "en": (
        "Same here, it happened to me last week.",
        "Have you tried contacting {support}? They sorted mine out.",
        "Mine has been fine so far, maybe you got a bad batch.",
        "Following, I have the same question.",
        "I had the same issue and a reset fixed it.",
        "Good to know, thanks for sharing.",
    ),
    "zh-Hans": (
        "同样的问题，上周也遇到了。",
        "可以找客服试试，我的很快就解决了。",
        "我的目前还好，可能是个例吧。",
        "同问，蹲一个答案。",
        "感谢分享！",
    ),
    "zh-Hant": (
        "我也遇到一樣的問題。",
        "感謝分享！",
        "同問。",
    ),
}

# --- people ---------------------------------------------------------------------------------------
# (handle, display name, country). A few appear often, as real communities have regulars.
AUTHORS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "en": (
        ("nora_listens", "Nora Quinn", "GB"),
        ("techbytom", "Tom Avery", "US"),
        ("priya.k", "Priya K", "GB"),
        ("mike_on_the_move", "Mike Delaney", "US"),
        ("hungryhannah", "Hannah Lee", "CA"),
        ("frequentflyer_raj", "Raj Mehta", "SG"),
        ("bassheadben", "Ben Carter", "AU"),
        ("sam.writes", "Sam Ortiz", "US"),
        ("lucy_in_transit", "Lucy Grant", "GB"),
        ("gadget_gran", "Margaret Ellis", "GB"),
        ("carlos.eats", "Carlos Ruiz", "US"),
        ("jetlagjess", "Jess Moreau", "CA"),
        ("dev_dan", "Dan Park", "US"),
        ("amelia_r", "Amelia Rossi", "AU"),
        ("quietcommute", "Owen Shaw", "GB"),
        ("the_real_zoe", "Zoe Hart", "US"),
        ("kofi.a", "Kofi Asante", "GB"),
        ("latte_laura", "Laura Chen", "CA"),
        ("pixelpete", "Pete Novak", "US"),
        ("wanderwill", "Will Turner", "AU"),
    ),
    "zh-Hans": (
        ("xiaolin_88", "小林", "CN"),
        ("chihuo_ajie", "吃货阿杰", "CN"),
        ("feixing_laowang", "飞行老王", "CN"),
        ("shumadaren", "数码达人", "CN"),
        ("miaomiao_99", "喵喵", "CN"),
        ("chengxuyuan_zhang", "程序员小张", "CN"),
        ("lvxing_xiaomei", "旅行的小美", "CN"),
        ("yinyue_ah", "音乐阿浩", "CN"),
        ("dagong_ren", "打工人", "CN"),
        ("beijing_liu", "北京老刘", "CN"),
        ("shanghai_vivi", "Vivi在上海", "CN"),
        ("chongqing_meishi", "重庆美食家", "CN"),
    ),
    "zh-Hant": (
        ("taipei_amy", "台北Amy", "TW"),
        ("kaohsiung_ming", "高雄阿明", "TW"),
        ("hk_kelvin", "Kelvin 陳", "HK"),
        ("tainan_foodie", "台南吃貨", "TW"),
        ("hk_mandy", "Mandy", "HK"),
        ("taichung_jay", "台中Jay", "TW"),
    ),
}

# Where things are said. "reviews" and "forum" are served as HTML too; "social" and "news" only
# through the JSON API.
SITES: dict[str, dict[str, str]] = {
    "review": {
        "en": "reviews.demo.example",
        "zh-Hans": "dianping.demo.example",
        "zh-Hant": "dianping.demo.example",
    },
    "forum": {"en": "forum.demo.example", "zh-Hans": "luntan.demo.example", "zh-Hant": "luntan.demo.example"},
    "social": {"en": "chirp.demo.example", "zh-Hans": "shuo.demo.example", "zh-Hant": "shuo.demo.example"},
    "news": {"en": "news.demo.example", "zh-Hans": "xinwen.demo.example", "zh-Hant": "xinwen.demo.example"},
}
NEWS_AUTHORS: dict[str, tuple[str, str, str]] = {
    "en": ("demo_newsdesk", "Demo Newsdesk", "GB"),
    "zh-Hans": ("kuaixun", "快讯", "CN"),
    "zh-Hant": ("kuaixun", "快訊", "TW"),
}
