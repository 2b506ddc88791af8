//! Interface words: Simplified Chinese first, English second. The language
//! is the `lang` cookie (`/lang/en`, `/lang/zh` switch it).

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

    /// A domain code's label: the domain's Chinese, or the code in words.
    pub fn label(self, zh: &str, code: &str) -> String {
        match self {
            Lang::Zh => zh.to_string(),
            Lang::En => code.replace('_', " "),
        }
    }
}

macro_rules! words {
    ($($k:ident: $zh:literal / $en:literal,)*) => {
        pub struct Words { $(pub $k: &'static str,)* }
        pub static ZH: Words = Words { $($k: $zh,)* };
        pub static EN: Words = Words { $($k: $en,)* };
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
    team: "专班" / "team",
    extension_asked: "延期申请" / "Extension asked",
    last_return: "上次退单原因" / "Last return reason",
    not_found: "未找到，或您无权查看" / "Not found, or not yours to see",
    forbidden: "您无权访问此页面" / "You may not open this page",
    back_home: "返回首页" / "Back to the start page",
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
}
