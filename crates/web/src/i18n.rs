//! Every word of the interface, in one catalogue: Simplified Chinese first, English second. Templates print
//! them (`{{ f.t.key }}`), the pages' Rust code picks them (`lang.t().key`), and the script reads the ones it
//! needs from the page (`Words::script`). Domain labels (states, kinds, actions, …) are the domain's own,
//! through `Lang::label`. The language is the `lang` cookie (`/lang/en`, `/lang/zh` switch it).
//!
//! What people wrote and names from the database are not interface text: templates declare them Chinese
//! (`lang="zh-CN"`), which `e2e/english.mjs` relies on to find any Chinese label left outside this file.

use std::{fmt::Display, sync::LazyLock};

use zhitong_domain::{calendar::Clock, work_order::State as CaseState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn from_cookie(headers: &axum::http::HeaderMap) -> Lang {
        let en = headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .any(|c| c.trim() == "lang=en");
        if en { Lang::En } else { Lang::Zh }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn t(self) -> &'static Words {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// A domain code's label: the domain's Chinese, or its English name (the code in words for one the
    /// catalogue does not name; a test keeps every domain code named).
    pub fn label(self, zh: &str, code: &str) -> String {
        match self {
            Lang::Zh => zh.to_string(),
            Lang::En => english(code).map(String::from).unwrap_or_else(|| code.replace('_', " ")),
        }
    }

    /// A deadline policy in words: "24小时（工作日）" as the domain's `SlaPolicy::describe` says it (a test
    /// holds the two together), or "24 hours (working days)".
    pub fn policy(self, clock: Clock, minutes: i64) -> String {
        let t = self.t();
        let amount = if minutes % (24 * 60) == 0 && clock == Clock::Natural {
            fill(t.n_days, &[("n", &(minutes / (24 * 60)))])
        } else if minutes % 60 == 0 {
            fill(t.n_hours, &[("n", &(minutes / 60))])
        } else {
            fill(t.n_minutes, &[("n", &minutes)])
        };
        format!("{amount}{}{}{}", t.open_paren, self.label(clock.label(), clock.code()), t.close_paren)
    }

    /// Where a transfer to 12345 stands, in words ("accepted" and "replied" are case states' codes too).
    pub fn transfer_status(self, x: zhitong_domain::hotline_12345::TransferStatus) -> String {
        use zhitong_domain::hotline_12345::TransferStatus::*;
        match self {
            Lang::Zh => x.label().to_string(),
            Lang::En => match x {
                Queued => "Waiting to be sent",
                Delivered => "Delivered to 12345",
                Accepted => "Accepted by 12345",
                Processing => "In progress at 12345",
                Replied => "Answered by 12345",
                Closed => "Closed by 12345",
                Returned => "Sent back by 12345",
                Failed => "Could not be delivered",
            }
            .to_string(),
        }
    }

    /// How a call ended, in words ("missed" is a deadline status's code too, so calls have their own).
    pub fn call_outcome(self, o: zhitong_domain::telephony::CallOutcome) -> String {
        use zhitong_domain::telephony::CallOutcome::*;
        match self {
            Lang::Zh => o.label().to_string(),
            Lang::En => match o {
                Answered => "Answered",
                Missed => "Not answered",
                Abandoned => "Abandoned by the caller",
                OutsideHours => "Outside service hours",
            }
            .to_string(),
        }
    }

    /// `policy` from a stored clock code; a code this release does not know is shown as it is.
    pub fn policy_of(self, clock: &str, minutes: i64) -> String {
        Clock::from_code(clock).map(|c| self.policy(c, minutes)).unwrap_or_else(|| clock.to_string())
    }
}

/// A word with places in it (`{name}`) filled in: where a number or a name goes differs between the languages.
/// (`Sync`: a page's handler may hold the values across an `await`.)
pub fn fill(word: &str, values: &[(&str, &(dyn Display + Sync))]) -> String {
    let mut out = word.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

impl Words {
    /// The words `static/app.js` uses, with the states' and clocks' labels, as JSON for the page's
    /// `<script type="application/json" id="words">`: the script has no words of its own.
    pub fn script(&self) -> &'static str {
        static ZH_JSON: LazyLock<String> = LazyLock::new(|| script_words(Lang::Zh));
        static EN_JSON: LazyLock<String> = LazyLock::new(|| script_words(Lang::En));
        match self.lang {
            Lang::Zh => &ZH_JSON,
            Lang::En => &EN_JSON,
        }
    }
}

/// The words the script looks up (`W.key` in app.js).
const SCRIPT_WORDS: &[&str] = &[
    "request_failed",
    "calendar_file_bad",
    "days_short",
    "hours_short",
    "minutes_short",
    "late_by",
    "time_left",
    "to_12345",
    "none",
    "click_to_use",
    "kind",
    "topic_short",
    "units",
    "repeat",
    "same_enterprise",
    "expired",
    "use_answer",
    "using",
    "suggestions_wait",
    "due",
    "answered_now",
    "n_days",
    "n_hours",
    "n_minutes",
    "open_paren",
    "close_paren",
    "colon",
    "waiting_for_calls",
    "stream_lost",
    "incoming_call",
    "call_linked",
    "seat_hint",
    "earlier_call",
    "called_back_short",
];

fn script_words(lang: Lang) -> String {
    let t = lang.t();
    let mut words = serde_json::Map::new();
    for key in SCRIPT_WORDS {
        words.insert(key.to_string(), t.get(key).expect("a word the script uses is in the catalogue").into());
    }
    let labels = |all: Vec<(&str, &str)>| {
        all.into_iter()
            .map(|(code, zh)| (code.to_string(), lang.label(zh, code).into()))
            .collect::<serde_json::Map<_, _>>()
    };
    words.insert("states".into(), labels(CaseState::ALL.iter().map(|s| (s.code(), s.label())).collect()).into());
    let outcomes: serde_json::Map<_, _> = zhitong_domain::telephony::CallOutcome::ALL
        .iter()
        .map(|o| (o.code().to_string(), lang.call_outcome(*o).into()))
        .collect();
    words.insert("call_outcomes".into(), outcomes.into());
    words.insert("clocks".into(), labels(Clock::ALL.iter().map(|c| (c.code(), c.label())).collect()).into());
    crate::pages::script_json(&serde_json::Value::Object(words))
}

macro_rules! words {
    ($($k:ident: $zh:literal / $en:literal,)*) => {
        pub struct Words {
            pub lang: Lang,
            $(pub $k: &'static str,)*
        }
        pub static ZH: Words = Words { lang: Lang::Zh, $($k: $zh,)* };
        pub static EN: Words = Words { lang: Lang::En, $($k: $en,)* };

        impl Words {
            /// A word by its name (the script's words).
            fn get(&self, key: &str) -> Option<&'static str> {
                match key {
                    $(stringify!($k) => Some(self.$k),)*
                    _ => None,
                }
            }

            #[cfg(test)]
            fn all(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($k), self.$k),)*]
            }
        }
    };
}

words! {
    app: "直通 · 服务企业直通车" / "Zhitong · Enterprise Service Hotline",
    login: "登录" / "Sign in",
    logout: "退出" / "Sign out",
    username: "用户名" / "Username",
    password: "密码" / "Password",
    console: "座席受理台" / "Agent console",
    dispatch_queue: "派单" / "Dispatch",
    unit_inbox: "承办单位" / "Unit inbox",
    supervision: "专班督办" / "Supervision",
    review: "答复审核" / "Review replies",
    follow_up_queue: "回访" / "Follow-up",
    discipline_inbox: "纪检" / "Discipline",
    leader: "领导" / "Leader",
    admin: "管理" / "Admin",
    all_cases: "全部工单" / "All cases",
    open_cases: "在办工单" / "Open cases",
    notifications: "消息" / "Messages",
    account: "账号安全" / "Account security",
    audit_log: "安全审计" / "Audit log",
    number: "编号" / "Number",
    title: "标题" / "Title",
    kind: "类型" / "Kind",
    state: "状态" / "State",
    enterprise: "企业" / "Enterprise",
    units: "承办单位" / "Units",
    deadline: "办理时限" / "Deadline",
    received: "来电时间" / "Received",
    actions: "操作" / "Actions",
    search: "查询" / "Search",
    none: "暂无" / "None",
    prev: "上一页" / "Previous",
    next: "下一页" / "Next",
    total: "共" / "Total",
    timeline: "办理过程" / "Timeline",
    details: "诉求详情" / "Details",
    content: "诉求内容" / "Content",
    caller: "来电人" / "Caller",
    reply: "答复" / "Reply",
    policy: "时限规则" / "Policy",
    save: "保存" / "Save",
    submit: "提交" / "Submit",
    line: "来电专线" / "Line",
    topic: "诉求分类" / "Topic",
    jurisdiction: "辖区" / "Jurisdiction",
    regular: "常规事项" / "Regular",
    uscc: "统一社会信用代码" / "Credit code",
    enterprise_name: "企业名称" / "Enterprise name",
    contact: "联系人" / "Contact",
    phone: "联系电话" / "Phone",
    address: "地址" / "Address",
    caller_name: "来电人姓名" / "Caller name",
    caller_phone: "来电号码" / "Caller phone",
    earlier: "该企业的历史诉求" / "Earlier appeals of this enterprise",
    expected_deadline: "预计办理时限" / "Expected deadline",
    register: "登记（Ctrl+Enter）" / "Register (Ctrl+Enter)",
    registered: "已登记" / "Registered",
    answer_now: "当场答复" / "Answer now",
    portal: "企业服务" / "Enterprise services",
    portal_submit: "网上提交诉求" / "Submit an appeal",
    portal_track: "查询办理进度" / "Track an appeal",
    receipt_code: "查询码" / "Receipt code",
    rate: "评价" / "Rate",
    today: "今日" / "Today",
    overdue: "超期" / "Overdue",
    warning: "临期" / "Near deadline",
    unsatisfied: "不满意" / "Unsatisfied",
    returned: "退单" / "Returned",
    supervised: "督办中" / "Supervised",
    to_accept: "待签收" / "To accept",
    in_progress: "办理中" / "In progress",
    due_soon: "临期/超期" / "Due or overdue",
    sent_back: "退回重办" / "Sent back",
    new_cases: "新收" / "New",
    extension_review: "延期审批" / "Extensions",
    return_review: "退单审核" / "Returns",
    urgent: "紧急" / "Urgent",
    urgency: "紧急程度" / "Urgency",
    normal: "一般" / "Normal",
    style: "办理方式" / "Handling style",
    typical: "典型案例" / "Typical case",
    holder: "当前承办" / "Held by",
    instruction: "领导批示" / "Leader's instruction",
    unread_by: "人未读" / "not yet read",
    filter_units: "筛选单位" / "Filter units",
    suggested: "建议" / "suggested",
    team: "专班" / " team",
    extension_asked: "延期申请" / "Extension asked",
    last_return: "上次退单原因" / "Last return reason",
    not_found: "未找到，或您无权查看" / "Not found, or not yours to see",
    forbidden: "您无权访问此页面" / "You may not open this page",
    back_home: "返回首页" / "Back to the start page",
    error_field: "有误的项：" / "Field: ",
    invalid_input: "填写有误" / "Please check what was entered",
    conflict: "操作冲突" / "Conflicting change",
    server_error: "系统暂时无法完成" / "The system could not finish this",
    open_case: "查看工单" / "Open the case",
    open_report: "查看报告" / "Open the report",
    keep_for_follow_up: "需要回访（暂不办结）" / "Keep open for a follow-up call",

    calendar: "工作日历" / "Calendar",
    sla: "办理时限规则" / "SLA policies",
    users: "用户" / "Users",
    figures: "办理情况" / "Figures",
    mark_read: "标为已读" / "Mark read",
    lead: "主办" / "Lead",
    assist: "协办" / "Assist",
    or_down: "或下派至" / "or pass down to",
    dashboard: "实时看板" / "Dashboard",
    reports: "报告" / "Reports",
    knowledge: "知识库" / "Knowledge base",
    full_search: "全文检索" / "Search",
    suggestions: "智能建议" / "Suggestions",
    similar: "相似诉求" / "Similar cases",
    repeat: "重复诉求" / "Repeat appeal",
    kb_answers: "知识库答复" / "Knowledge-base answers",
    adopt: "采用" / "Use",
    use_answer: "引用此答复" / "Use this answer",
    expired: "已过期" / "Expired",
    acceptance: "智能建议采纳率（近30天）" / "Suggestions taken (last 30 days)",
    new_entry: "新增知识条目" / "New entry",
    versions: "历史版本" / "Versions",

    // Punctuation: Chinese has its own, full width.
    colon: "：" / ": ",
    open_paren: "（" / " (",
    close_paren: "）" / ")",
    list_sep: "、" / ", ",
    semicolon: "；" / "; ",
    comma: "，" / ", ",
    full_stop: "。" / ".",

    // The frame, sign-in and errors.
    main_nav: "主导航" / "Main navigation",
    enter_credentials: "请输入用户名和密码" / "Enter your username and password",
    enter_totp: "该账号已启用双因素认证：请输入手机验证器上的6位动态验证码" / "Enter the 6-digit code of your authenticator app",
    wrong_credentials: "用户名或密码错误" / "Wrong username or password",
    locked_until: "登录失败次数过多，已锁定，请于 {until} 后再试或联系管理员" / "Too many failed sign-ins: locked until {until}",
    sign_in_failed: "服务器内部错误，请稍后重试" / "The server could not sign you in; please try again later",
    totp_code: "动态验证码" / "Authenticator code",
    totp_if_enabled: "（已启用双因素认证的账号）" / "(if your account has one)",
    dashboard_forbidden: "实时看板供领导、工作专班和纪检监察机关使用" / "The dashboard is for leaders, supervision teams and the discipline commission",
    console_forbidden: "座席受理台供座席和工作专班使用" / "The call console is for agents and supervision teams",
    admin_forbidden: "系统管理供系统管理员使用" / "Administration is for administrators",
    date_out_of_range: "日期应为 1990-01-01 至 2199-12-31 之间的 YYYY-MM-DD" / "The date must be YYYY-MM-DD, between 1990-01-01 and 2199-12-31",

    // Calls: the seat, the screen-pop, the call log and call-backs.
    seat: "座席分机" / "Seat (extension)",
    sit_down: "就座" / "Take the seat",
    seat_hint: "填写分机号并就座后，来电将自动弹屏" / "Enter your extension and take the seat: ringing calls then open here",
    waiting_for_calls: "已就座，等待来电" / "At your seat, waiting for calls",
    stream_lost: "来电连接中断，正在重连…" / "Lost the call connection; reconnecting…",
    incoming_call: "来电 {caller}" / "Call from {caller}",
    call_linked: "本次登记将关联该来电" / "The appeal will be linked to this call",
    calls_log: "来电记录" / "Call log",
    awaiting_callback: "待回拨" / "To call back",
    all_calls: "全部来电" / "All calls",
    rang_at: "来电时间" / "Rang at",
    caller_number: "来电号码" / "Caller",
    call_outcome: "结果" / "Outcome",
    call_in_progress: "通话中" / "Call in progress",
    wait_seconds: "等待（秒）" / "Wait (s)",
    callback_due: "回拨时限" / "Call back by",
    called_back_at: "回拨时间" / "Called back",
    callback_attempts: "回拨次数" / "Attempts",
    record_callback: "登记回拨" / "Record call-back",
    reached: "已联系上" / "Reached",
    callback_note: "回拨情况" / "What happened",
    recording: "录音" / "Recording",
    listen: "收听" / "Listen",
    export_csv: "导出 CSV" / "Export CSV",
    cases_from_call: "关联工单" / "Cases",
    calls_forbidden: "来电记录供座席、工作专班、领导和纪检监察机关使用" / "The call log is for agents, supervision teams, leaders and the discipline commission",
    calls_total: "共 {n} 个来电" / "{n} calls",
    calls_on_case: "来电" / "Calls",
    transfer_12345: "转12345热线" / "Sent to 12345",
    ticket_12345: "12345工单编号" / "12345 ticket",
    transfer_quiet: "已超期无进展，已提醒专班" / "No news for too long; supervisors told",
    resend: "重新发送" / "Send again",
    sms_templates: "企业短信模板" / "Text messages to enterprises",
    calendar_missing: "{year}年国务院节假日安排尚未导入：该年的办理时限目前仅按周末计算，节假日和调休未计入。" / "The State Council's {year} holiday notice has not been imported: deadlines in {year} count weekends only, without holidays or make-up working days.",
    import_calendar: "导入节假日安排" / "Import the holiday notice",
    to_call: "待电话回访" / "To call",
    awaiting_sms: "短信评价中" / "Awaiting the SMS survey",
    calendar_file_bad: "日历文件不是有效的 JSON（应为国务院节假日安排的年度文件）" / "The calendar file is not valid JSON (a year's holiday notice is expected)",
    case_calendar_missing: "时限所在的{year}年尚未导入节假日安排，该时限仅按周末计算，导入后新登记的诉求按节假日计算。" / "This deadline falls in {year}, whose holiday notice is not imported: it counts weekends only.",
    variables: "可用变量" / "Variables",
    earlier_call: "此前来电" / "Earlier call",
    called_back_short: "已回拨" / "called back",
    calls_today: "今日来电" / "Calls today",
    answer_rate_today: "今日接通率" / "Answered today",
    unanswered_today: "今日未接通" / "Unanswered today",
    week_calls_chart: "本周各专线来电" / "Calls this week, by line",

    // The agent console and its script.
    suggestions_hint: "仅供参考，不会自动填写" / "for reference only: nothing is filled in for you",
    suggestions_wait: "输入标题或内容后显示" / "Shown once a title or content is typed",
    search_knowledge: "查询知识库" / "Search the knowledge base",
    search_knowledge_example: "查询知识库（如：营业执照变更）" / "Search the knowledge base (e.g. business licence change)",
    request_failed: "请求失败：" / "Request failed: ",
    days_short: "天" / "d ",
    hours_short: "小时" / "h ",
    minutes_short: "分" / "m",
    late_by: "已超 " / "late by ",
    time_left: "剩余 " / "left ",
    to_12345: "转12345，无办理时限" / "to 12345, no deadline",
    click_to_use: "点击采用" / "click to use",
    topic_short: "类别" / "Topic",
    same_enterprise: "同一企业" / "same enterprise",
    using: "已引用：" / "Using: ",
    due: "办理时限 " / "due ",
    answered_now: "已答复 · " / "answered · ",
    n_days: "{n}天" / "{n} d",
    n_hours: "{n}小时" / "{n} h",
    n_minutes: "{n}分钟" / "{n} min",

    // Work lists and the case page.
    return_reason_note: "退单原因" / "returned",
    late_entry: "补录：{at} 登记，晚于来电 {hours} 小时" / "entered {at} ({hours} h after the call)",
    not_regular: "（非常规）" / " (not regular)",
    confidential: "保密" / "Confidential",
    viewed: "查看" / "viewed",
    answer_text: "答复内容" / "Answer",
    pass_down_to: "下派至" / "Pass down to",
    lead_unit: "主办单位" / "Lead unit",
    assisting_units: "协办单位" / "Assisting units",
    dispatch_note: "派单意见" / "Note",
    return_reason: "退单原因" / "Reason",
    extend_until: "延期至" / "Until",
    extension_reason: "延期理由" / "Reason",
    approve_until: "同意延期至" / "Extend until",
    approval_note: "审批意见" / "Opinion",
    rejection_reason: "驳回理由" / "Reason",
    assist_opinion: "协办意见" / "Assisting unit's opinion",
    reply_text: "答复内容" / "Reply",
    feedback: "反馈内容" / "Feedback",
    close_with_feedback: "反馈后即办结" / "Close the case with this feedback",
    reject_reply_reason: "不通过原因" / "Reason",
    satisfaction: "满意度" / "Rating",
    resolved: "问题已解决" / "Resolved",
    follow_up_note: "回访记录" / "Note",
    instruction_text: "批示内容" / "Instruction",
    pause_reason: "暂停原因" / "Reason",
    redo_reason: "重办要求" / "What must be redone",
    close_unsatisfied_reason: "不满意件办结理由" / "Why close it although unsatisfied",
    reason: "理由" / "Reason",
    note: "说明" / "Note",

    // The leader's view, the dashboard and reports.
    leaves_out: "统计不含纪检监察机关办理的投诉、举报（其数量见日报告、周分析、月通报）。" / "The figures leave out complaints and reports handled by the discipline commission (their numbers are in the daily reports, weekly analyses and monthly bulletins).",
    reports_heading: "日报告、周分析、月通报" / "Daily reports, weekly analyses, monthly bulletins",
    yesterday_report: "昨日日报告" / "Yesterday's daily report",
    this_week_analysis: "本周分析" / "This week's analysis",
    this_month_bulletin: "本月通报" / "This month's bulletin",
    last_week_analysis: "上周分析" / "Last week's analysis",
    last_month_bulletin: "上月通报" / "Last month's bulletin",
    ended: "已结束" / "Ended",
    running: "进行中（截至此刻）" / "Running (up to now)",
    report: "报告" / "Report",
    period: "期间" / "Period",
    review_column: "审阅" / "Reviewed",
    status: "状态" / "Status",
    daily_report: "日报告" / "Daily report",
    weekly_analysis: "周分析" / "Weekly analysis",
    monthly_bulletin: "月通报" / "Monthly bulletin",
    reviewed: "已审阅" / "Reviewed",
    not_reviewed: "未审阅" / "Not reviewed",
    published: "已发布" / "Published",
    draft: "草稿" / "Draft",
    print: "打印" / "Print",
    archive_hint: "归档后可填写工作专班意见、修改问题与建议，再发布给领导和各承办单位。" / "Archive the report to add the team's comments and edit the problems and suggestions, then publish it to the leaders and the units.",
    archive_and_edit: "归档并编辑" / "Archive and edit",
    draft_unpublished: "草稿：尚未发布" / "Draft: not yet published",
    instruction_short: "批示" / "Instruction",
    instruction_optional: "批示（可选）" / "Instruction (optional)",
    mark_reviewed: "标记已审阅" / "Mark as reviewed",
    commentary_optional: "工作专班意见（可选）" / "The team's comments (optional)",
    suggestions_drafted: "问题与建议（系统根据数据起草，可修改）" / "Problems and suggestions (drafted from the figures; edit as needed)",
    save_changes: "保存修改" / "Save changes",
    publish_hint: "发布后报告不能再修改，并送达领导和各承办单位的消息中心。" / "Once published, the report cannot be changed; it goes to the messages of the leaders and of every unit.",
    publish: "发布" / "Publish",
    auto_refresh: "每分钟自动刷新" / "Refresh every minute",
    received_today: "今日受理" / "Received today",
    closed_today: "今日办结" / "Closed today",
    received_this_week: "本周受理" / "Received this week",
    on_time_this_week: "本周按时办结率" / "Closed on time this week",
    satisfied_this_week: "本周满意率" / "Satisfied this week",
    overdue_now: "当前超期未办结" / "Overdue and open now",
    by_jurisdiction: "分辖区" / "By jurisdiction",
    week_volume_chart: "本周受理量（分辖区）" / "Received this week, by jurisdiction",

    // Knowledge base and search.
    all: "全部" / "All",
    version: "版本" / "Version",
    expires_on: "失效日期" / "Expires",
    effective_from: "生效日期" / "In force from",
    updated: "更新" / "Updated",
    issuing_unit: "发文单位" / "Issued by",
    valid_from: "{date} 起" / "in force from {date}",
    valid_until: "，{date} 止" / ", until {date}",
    withdraw: "撤回" / "Withdraw",
    withdrawn: "已撤回" / "Withdrawn",
    edit: "修改" / "Edit",
    links_hint: "附件链接（每行“名称 | 地址”）" / "Links (one a line: “title | address”)",
    save_draft: "保存为草稿" / "Save as draft",
    pick_entry: "选择左侧条目查看答复内容。" / "Pick an entry on the left to read its answer.",
    search_example: "营业执照 / 工单编号 / 企业名称" / "business licence / case number / enterprise name",
    scope: "范围" / "Look in",
    cases_and_knowledge: "工单与知识库" / "Cases and knowledge base",
    cases: "工单" / "Cases",
    received_from: "受理日期从" / "Received from",
    date_to: "至" / "To",

    // Administration.
    year: "年份" / "Year",
    service_hours: "服务时间" / "Service hours",
    start: "开始" / "From",
    end: "结束" / "Until",
    date: "日期" / "Date",
    name: "名称" / "Name",
    day_off: "休息日" / "Day off",
    off_or_work: "休/班" / "Off/work",
    off: "休" / "off",
    work: "班" / "work",
    set_by: "来源" / "Set by",
    yes: "是" / "yes",
    no: "否" / "no",
    default: "默认" / "default",
    regular_short: "常规" / "Regular",
    clock: "计时" / "Clock",
    minutes: "分钟" / "Minutes",
    pausable: "可暂停" / "May pause",
    failed_deliveries: "投递失败的通知" / "Notifications not delivered",
    organisation: "组织机构" / "Organisation",
    same_code_edits: "同一编码再次保存即为修改" / "saving a code again changes it",
    division_code: "区划代码" / "Division code",
    level: "级别" / "Level",
    code: "编码" / "Code",
    unit_type: "类型" / "Type",
    function: "职能" / "Function",
    active: "启用" / "Active",
    inactive: "已停用" / "Deactivated",
    leader_lines: "领导直通线路" / "Leaders' hotline lines",
    line_id: "线路编号" / "Line id",
    line_number: "号码" / "Number",
    official: "对应领导" / "Leader",
    topics: "诉求类别" / "Topics",
    parent: "上级" / "Parent",
    default_function: "对口职能" / "Usual function",
    suggestion_field: "建议项" / "Suggested",
    decided: "已决定" / "Decided",
    accepted: "采纳" / "Taken",
    acceptance_rate: "采纳率" / "Rate taken",
    field_kind: "诉求类型" / "Kind",
    field_topic: "诉求类别" / "Topic",
    models: "分类模型" / "Classifiers",
    n_cases: "{n} 件" / "{n} cases",
    untrained: "未训练" / "not trained",
    indexed_docs: "本服务器索引文档 {n} 个" / "{n} documents in this server's index",
    retrain_hint: "模型每天依据已受理、未被退回的工单自动重训，也可运行" / "The models retrain each day on the cases accepted and not returned; to retrain now, run",
    display_name: "姓名" / "Name",
    role: "角色" / "Role",
    unit_for_handler: "单位（经办人）" / "Unit (handlers)",
    unit: "单位" / "Unit",
    initial_password: "初始密码" / "Initial password",
    add_user: "新增用户" / "Add user",
    deactivate: "停用" / "Deactivate",
    accounts: "账号与安全" / "Accounts and security",
    accounts_intro: "重置密码、解除锁定、授予角色。纪检监察账号的每项变动都会即时通知纪委监委的其他人员；管理员账号只能在服务器命令行上创建和重置。" / "Reset passwords, lift lock-outs, grant roles. Every change to a discipline account is told at once to the commission's other members; administrators' accounts are made and reset only on the server's command line.",
    follow_up_attempts: "回访未接通（次）" / "Follow-up calls unanswered",
    place_follow_up_call: "拨打回访电话（先振铃本座席）" / "Place the follow-up call (your seat rings first)",
    follow_up_calls: "回访去电" / "Follow-up calls placed",
    close_unrated_reason: "未回访评价的理由（如：企业无法联系）" / "Why there is no rating (e.g. the enterprise could not be reached)",
    passed_down: "下派" / "Passed down",
    quoted: "引用知识库" / "Knowledge quoted",
    version_n: "第{n}版" / "version {n}",
    commission: "纪委监委" / " discipline commission",
    take_back_reason: "收回理由" / "Why it is taken back",
    leader_forbidden: "领导视图供领导、工作专班和纪检监察机关使用" / "The leader's view is for leaders, supervision teams and the discipline commission",
    audit_forbidden: "安全审计日志供审计管理员使用" / "The audit log is for the audit administrator",
    cases_forbidden: "工单、报表和知识库供座席员、工作专班、承办单位、纪检监察和领导使用，管理员不办理工单" / "Cases, reports and the knowledge base are for the hotline's roles; administrators handle no case",
    accounts_forbidden: "账号管理供系统管理员和安全管理员使用" / "Accounts are managed by the system and security administrators",
    one_time_password: "一次性密码" / "One-time password",
    reset_password: "重置密码" / "Reset password",
    change_role: "变更角色" / "Change role",
    unlock: "解除锁定" / "Unlock",
    grant_password: "一次性密码（授予纪检监察角色时必填）" / "One-time password (required to grant the discipline role)",
    locked_until_short: "锁定至" / "locked until",
    audit_intro: "登录、登录失败与锁定、修改和重置密码、账号与角色变更、导出、查看保密工单，以及对本日志的查阅，均记有来源地址。每条记录以审计密钥（HMAC-SHA256）与上一条相连，最新一条另记于库外的锚点文件；用" / "Sign-ins, failed sign-ins and lock-outs, password changes and resets, account and role changes, exports, views of confidential cases and readings of this log, each with its address. Each entry is chained to the one before under the audit key (HMAC-SHA256), and the newest is also kept in an anchor file outside the database;",
    audit_intro_end: "校验整条链。" / "checks the whole chain.",
    from: "自" / "From",
    user: "用户" / "User",
    event: "事件" / "Event",
    time: "时间" / "Time",
    target: "对象" / "Target",
    hash: "哈希" / "Hash",

    // Account security.
    password_reset_by_admin: "管理员重置了您的密码。请先设置您自己的新密码，然后才能继续使用系统。" / "An administrator reset your password: choose your own before going on.",
    totp_needed: "您的角色须使用双因素认证：请先设置动态验证码，然后才能继续使用系统。" / "Your role signs in with a second factor: set it up before going on.",
    change_password: "修改密码" / "Change password",
    current_password: "当前密码" / "Current password",
    new_password: "新密码" / "New password",
    password_rules: "至少10位，包含大写字母、小写字母、数字、符号中的至少三类，不含用户名，不用常见密码。" / "At least 10 characters, from at least three of: capital letters, small letters, digits, symbols; not your username, not a common password.",
    second_factor: "双因素认证" / "Second factor (TOTP)",
    totp_on: "已启用：登录时须输入手机验证器上的动态验证码。" / "On: signing in asks for your authenticator's code.",
    totp_how: "用任意验证器应用（如 FreeOTP、Google Authenticator、微信小程序“腾讯身份验证器”）添加下面的密钥，然后输入它显示的6位验证码。" / "Add the key below to any authenticator app (FreeOTP, Google Authenticator, …), then enter the 6-digit code it shows.",
    create_key: "生成密钥" / "Create a key",
    turn_on: "启用" / "Turn on",
    sessions: "登录会话" / "Sessions",
    signed_in_at: "登录时间" / "Signed in",
    last_used: "最近使用" / "Last used",
    this_session: "当前" / "This one",
    end_session: "结束" / "End",

    // The portal.
    portal_scope: "受理涉企营商环境问题；个人事项请拨打 12345。" / "For problems enterprises meet in the business environment; for personal matters, call 12345.",
    appeal_received: "已受理" / "Received",
    case_number: "工单编号" / "Case number",
    receipt_keep: "。请妥善保存，凭编号和查询码查询办理进度并评价。" / ". Keep them: with the number and the code you can follow the appeal and rate it.",
    receipt_not_found: "未找到：请核对工单编号和查询码" / "Not found: check the case number and the receipt code",
    opinion: "意见" / "Comment",
    sms_survey: "诉求办理满意度评价" / "How was your appeal handled?",
    sms_survey_ask: "您对办理结果是否满意？" / "Are you satisfied with the result?",
    submit_rating: "提交评价" / "Send my rating",
    sms_survey_thanks: "感谢您的评价！" / "Thank you for your rating.",
    sms_survey_closed: "该诉求当前无需评价。" / "This appeal needs no rating now.",
    sms_survey_not_found: "链接无效或已过期" / "This link is not valid",
    sms_opt_out: "不再接收短信" / "Send me no more text messages",
    sms_opted_out: "已退订，本号码不再接收直通车短信。" / "Unsubscribed: this number gets no more messages.",
}

/// The English names of the domain's codes (kinds, states, actions, roles, …): the English interface says
/// "Help request", not "help".
fn english(code: &str) -> Option<&'static str> {
    Some(match code {
        // Kinds
        "consultation" => "Consultation",
        "help" => "Help request",
        "suggestion" => "Suggestion",
        "complaint" => "Complaint",
        "report" => "Report (whistleblowing)",
        "out_of_scope" => "Outside business matters",
        // States
        "registered" => "Registered",
        "answered" => "Answered",
        "pending_dispatch" => "Awaiting dispatch",
        "dispatched" => "Dispatched",
        "accepted" => "In progress",
        "replied" => "Replied, awaiting review",
        "pending_follow_up" => "Awaiting follow-up",
        "closed" => "Closed",
        "with_discipline" => "With the discipline commission",
        "transferred_12345" => "Transferred to 12345",
        // Channels
        "phone" => "Phone",
        "web" => "Web",
        "walk_in" => "Walk-in",
        "letter" => "Letter",
        "open311" => "Open311",
        // Ratings, parts, deadline statuses, urgency, styles
        "satisfied" => "Satisfied",
        "basically_satisfied" => "Basically satisfied",
        "unsatisfied" => "Unsatisfied",
        "lead" => "Lead",
        "assist" => "Assisting",
        "ok" => "On track",
        "warning" => "Due soon",
        "overdue" => "Overdue",
        "paused" => "Paused",
        "met" => "Closed on time",
        "missed" => "Closed late",
        "normal" => "Normal",
        "urgent" => "Urgent",
        "immediate" => "Immediate",
        "fast" => "Fast",
        "supervised" => "Supervised",
        // Actions
        "register" => "Register",
        "answer" => "Answer",
        "dispatch" => "Dispatch",
        "accept" => "Accept",
        "return" => "Return",
        "request_extension" => "Request an extension",
        "approve_extension" => "Approve the extension",
        "reject_extension" => "Reject the extension",
        "reply" => "Reply",
        "approve_reply" => "Approve the reply",
        "reject_reply" => "Reject the reply",
        "follow_up" => "Follow-up",
        "follow_up_attempt" => "Follow-up call unanswered",
        "redo" => "Redo",
        "close" => "Close",
        "transfer_discipline" => "Transfer to the discipline commission",
        "discipline_feedback" => "Discipline feedback",
        "transfer_12345" => "Transfer to 12345",
        "urge" => "Urge",
        "supervise" => "Supervise",
        "instruct" => "Instruction",
        "pause" => "Pause the clock",
        "resume" => "Resume the clock",
        "reject_return" => "Reject the return",
        "mark_typical" => "Mark as typical",
        "unmark_typical" => "Unmark as typical",
        "set_urgency" => "Change urgency",
        "take_back" => "Take back",
        // Roles
        "agent" => "Agent",
        "supervisor" => "Supervision team",
        "handler" => "Unit handler",
        "discipline" => "Discipline commission",
        "leader" => "Leader",
        "admin" => "System administrator",
        "security_admin" => "Security administrator",
        "auditor" => "Audit administrator",
        // Units, officials, levels
        "department" => "Department",
        "supervision" => "Supervision team",
        "hotline_12345" => "12345 hotline",
        "progress_12345" => "12345 progress",
        "receipt" => "Receipt",
        "survey" => "Satisfaction survey",
        "party_secretary" => "Party secretary",
        "government_head" => "Head of government",
        "discipline_secretary" => "Discipline secretary",
        "city" => "City",
        "county" => "County",
        "development_zone" => "Development zone",
        // Clocks, delivery
        // Said inside parentheses ("24 h (working days)"), so in lower case.
        "natural" => "calendar days",
        "working_days" => "working days",
        "service_hours" => "service hours",
        "inbox" => "Inbox",
        "email" => "E-mail",
        "sms" => "SMS",
        "pending" => "Pending",
        "sending" => "Sending",
        "sent" => "Sent",
        "failed" => "Failed",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use zhitong_domain::calendar::{Clock, SlaPolicy};

    /// Every code of every domain enum has its English name (a new one shows here first).
    #[test]
    fn every_domain_code_is_named_in_english() {
        use zhitong_domain::{
            notification::{DeliveryChannel, DeliveryStatus},
            org::{JurisdictionLevel, Official, Role, UnitType},
            work_order::{Action, Channel, DeadlineStatus, Kind, Rating, State, Style, UnitRole, Urgency},
        };
        let mut codes: Vec<&str> = vec![];
        codes.extend(Kind::ALL.iter().map(|x| x.code()));
        codes.extend(State::ALL.iter().map(|x| x.code()));
        codes.extend(Channel::ALL.iter().map(|x| x.code()));
        codes.extend(Rating::ALL.iter().map(|x| x.code()));
        codes.extend(UnitRole::ALL.iter().map(|x| x.code()));
        codes.extend(DeadlineStatus::ALL.iter().map(|x| x.code()));
        codes.extend(Action::ALL.iter().map(|x| x.code()));
        codes.extend(Urgency::ALL.iter().map(|x| x.code()));
        codes.extend(Style::ALL.iter().map(|x| x.code()));
        codes.extend(Role::ALL.iter().map(|x| x.code()));
        codes.extend(UnitType::ALL.iter().map(|x| x.code()));
        codes.extend(Official::ALL.iter().map(|x| x.code()));
        codes.extend(JurisdictionLevel::ALL.iter().map(|x| x.code()));
        codes.extend(Clock::ALL.iter().map(|x| x.code()));
        codes.extend(DeliveryChannel::ALL.iter().map(|x| x.code()));
        codes.extend(DeliveryStatus::ALL.iter().map(|x| x.code()));
        for code in codes {
            let name = super::english(code).unwrap_or_else(|| panic!("{code} has no English name"));
            assert!(name.is_ascii() && !name.is_empty(), "{code}: {name}");
        }
        assert_eq!(Lang::En.label("求助", "help"), "Help request");
        assert_eq!(Lang::Zh.label("求助", "help"), "求助");
    }

    use super::{EN, Lang, SCRIPT_WORDS, ZH, script_words};

    fn chinese(c: char) -> bool {
        matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}')
    }

    #[test]
    fn english_is_english_and_every_word_is_said() {
        for ((key, zh), (_, en)) in ZH.all().into_iter().zip(EN.all()) {
            assert!(!zh.is_empty() && !en.is_empty(), "{key}");
            assert!(!en.chars().any(chinese), "{key}: {en}");
        }
    }

    #[test]
    fn policies_read_as_the_domain_says_them() {
        for clock in Clock::ALL {
            for minutes in [30, 90, 60, 240, 24 * 60, 7 * 24 * 60, 15 * 24 * 60] {
                let describe = SlaPolicy { clock: *clock, minutes, pausable: false }.describe();
                assert_eq!(Lang::Zh.policy(*clock, minutes), describe);
            }
        }
        assert_eq!(Lang::En.policy(Clock::WorkingDays, 24 * 60), "24 h (working days)");
    }

    #[test]
    fn every_word_the_script_looks_up_is_given_to_it() {
        let script = include_str!("../static/app.js");
        for (i, _) in script.match_indices("W.") {
            let key: String = script[i + 2..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            assert!(
                SCRIPT_WORDS.contains(&key.as_str()) || ["states", "clocks", "call_outcomes"].contains(&key.as_str()),
                "W.{key}"
            );
        }
    }

    #[test]
    fn the_script_has_its_words() {
        for lang in [Lang::Zh, Lang::En] {
            let json: serde_json::Value = serde_json::from_str(&script_words(lang)).unwrap();
            assert_eq!(json["states"]["closed"], if lang == Lang::Zh { "已办结" } else { "Closed" });
        }
    }
}
