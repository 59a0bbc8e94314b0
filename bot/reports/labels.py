"""Every word on the charts, the report page and the export codebook, in Chinese (Traditional, like the knowledge
base): the district's working language. Chat wording stays in ``bot/core/i18n``."""
from __future__ import annotations

# --- charts ------------------------------------------------------------------------------------------------------
CHART_WEEKLY = "各問卷每週收到的意見"
CHART_SCALES = "評分題的回答分佈"
CHART_REPLIES = "回覆時間與居民滿意度"
CHART_VOTES = "各條目答案是否有幫助"
CHART_UNANSWERED = "最常被問卻沒有答案的問題"
CASES = "向工作人員提問"
WEEK_OF = "週（週一起）"
COUNT = "份數"
TIMES_ASKED = "被問次數"
VOTES = "票數"
HELPFUL = "有幫助"
NOT_HELPFUL = "沒幫助"
REPLY_TIME = "第一次回覆所需時間"
REPLIES = "回覆數"
SATISFACTION = "居民對回覆的評分"
RATINGS = "評分數"
SCORE = "分"
ANSWERS = "回答數"
MEAN = "平均 {mean:.1f} 分，{total} 人回答"
NO_DATA = "暫無資料"
#: Reply-time buckets, matching ``bot.core.staff.stats.REPLY_BUCKET_HOURS`` (five edges → six buckets).
REPLY_BUCKETS = ("1 小時內", "1-4 小時", "4-24 小時", "1-3 天", "3-7 天", "超過 7 天")
PERIOD_ALL = "全部時間"
PERIOD_SINCE = "自 {since} 起"

# --- report page --------------------------------------------------------------------------------------------------
REPORT_TITLE = "居民意見與服務統計報告"
REPORT_GENERATED = "產生時間：{at}（UTC+8）　統計範圍：{period}"
HEADLINE_TITLE = "主要數字"
HEADLINE_SUBMISSIONS = "問卷意見"
HEADLINE_CASES = "向工作人員提問"
HEADLINE_REPLY_RATE = "回覆率"
HEADLINE_MEDIAN_REPLY = "回覆時間中位數"
HEADLINE_MEAN_RATING = "回覆滿意度（平均，1-5 分）"
HEADLINE_HELPFUL = "答案有幫助的比例"
UNIT_ITEMS = "{count} 份"
UNIT_CASES = "{count} 件"
UNIT_HOURS = "{hours:.1f} 小時"
UNIT_DAYS = "{days:.1f} 天"
UNIT_RATING = "{rating:.1f} 分（{count} 個評分）"
UNIT_SHARE = "{share:.0f}%（{count} 票）"
UNIT_RATE = "{share:.0f}%（{answered}/{total}）"
NO_VALUE = "—"
UNANSWERED_TITLE = "最常被問卻沒有答案的問題"
UNANSWERED_QUESTION = "問題（最常見的問法）"
UNANSWERED_TIMES = "次數"
UNANSWERED_NONE = "沒有未解答的問題。"
CHARTS_TITLE = "圖表"
REPORT_FOOTER = "資料來源：機器人資料庫。回覆時間自收到意見起算；匿名問卷只記錄日期，回覆時間最多多算一天。"

# --- export codebook ---------------------------------------------------------------------------------------------
CODEBOOK_HEADER = ("欄位", "問卷", "題目編號", "類型", "題目", "取值說明")
TYPE_NAMES = {"scale": "評分（1-5）", "single": "單選（選項編號）", "multiple": "多選（每個選項一欄：1 選了，0 沒選）",
              "text": "文字", "removed": "（題目已從知識庫刪除）"}
EMPTY_MEANS = "空白：沒有問到或跳過"
FIXED_COLUMNS = {
    "reference": "意見編號（FB-…）",
    "kind": "類型：survey 問卷意見，case 向工作人員提問",
    "consultation": "問卷編號（向工作人員提問為空白）",
    "created_at": "收到時間（UTC+8）；匿名問卷只有日期",
    "status": "狀態：received 已收到，in_review 處理中，answered 已回覆，closed 已結案",
    "language": "居民使用的語言（zh-Hant、zh-Hans、en）",
    "reply_hours": "收到到第一次回覆的小時數；空白：尚未回覆",
    "rating": "居民對最近一次有評分的回覆的評分（1-5）；空白：沒有評分",
    "resident": "居民代號：以 EXPORT_SALT 計算的 HMAC-SHA256，同一居民相同；空白：匿名或已解除關聯",
    "case_text": "向工作人員提問的內容",
    "contact": "居民同意留下的聯繫方式（只在 --include-contact 時匯出）",
}
