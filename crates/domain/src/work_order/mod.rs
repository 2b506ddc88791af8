//! Work orders (工单): their vocabulary, numbers, and the state machine.

pub mod handoff;
mod machine;
mod number;

pub use machine::{
    Actor, Command, Context, DEFAULT_FOLLOW_UP_ATTEMPTS, Event, ExtensionRequest, Lifecycle, RULES, Refusal,
    Registration, apply, available_actions, check_state, decide, replay,
};
pub use number::{OrderNumber, Series};

use serde::{Deserialize, Serialize};

use crate::calendar::{Clock, SlaPolicy};
use crate::org::{UnitCode, string_enum};

string_enum!(
    Kind {
        Consultation = "consultation" / "咨询",
        Help = "help" / "求助",
        Suggestion = "suggestion" / "建议",
        Complaint = "complaint" / "投诉",
        Report = "report" / "举报",
        OutOfScope = "out_of_scope" / "非营商环境类",
    }
);

impl Action {
    /// Recorded in a case's history but never asked for as a command: the registration, and what 12345 reports.
    pub fn is_history_only(self) -> bool {
        matches!(self, Action::Register | Action::Progress12345)
    }
}

impl Kind {
    /// Where intake sends a new appeal of this kind (DOMAIN.md §3).
    pub fn initial_state(self) -> State {
        match self {
            Kind::Consultation => State::Registered,
            Kind::Help | Kind::Suggestion => State::PendingDispatch,
            Kind::Complaint | Kind::Report => State::WithDiscipline,
            Kind::OutOfScope => State::Transferred12345,
        }
    }

    /// Complaints and reports go to the discipline commission only.
    pub fn is_for_discipline(self) -> bool {
        matches!(self, Kind::Complaint | Kind::Report)
    }

    /// The SLA policy of an urgent appeal when no jurisdiction set its own: an
    /// urgent help request is answered within 2 service hours, not a working day.
    pub fn default_urgent_policy(self) -> Option<SlaPolicy> {
        let p = |clock, minutes: i64, pausable| Some(SlaPolicy { clock, minutes, pausable });
        match self {
            Kind::Consultation => p(Clock::ServiceHours, 60, false),
            Kind::Help | Kind::Suggestion => p(Clock::ServiceHours, 120, true),
            Kind::Complaint | Kind::Report => p(Clock::Natural, 3 * 24 * 60, false),
            Kind::OutOfScope => None,
        }
    }

    /// The default SLA policy (DOMAIN.md §5); out-of-scope calls have none.
    pub fn default_policy(self, regular: bool) -> Option<SlaPolicy> {
        let p = |clock, hours: i64, pausable| Some(SlaPolicy { clock, minutes: hours * 60, pausable });
        match self {
            Kind::Consultation => p(Clock::ServiceHours, 4, false),
            Kind::Help | Kind::Suggestion if regular => p(Clock::WorkingDays, 24, true),
            Kind::Help | Kind::Suggestion => p(Clock::WorkingDays, 48, true),
            Kind::Complaint | Kind::Report => p(Clock::Natural, 7 * 24, false),
            Kind::OutOfScope => None,
        }
    }
}

string_enum!(
    State {
        Registered = "registered" / "已登记",
        Answered = "answered" / "已答复",
        PendingDispatch = "pending_dispatch" / "待派单",
        Dispatched = "dispatched" / "已派单",
        Accepted = "accepted" / "办理中",
        Replied = "replied" / "已答复待审核",
        PendingFollowUp = "pending_follow_up" / "待回访",
        Closed = "closed" / "已办结",
        WithDiscipline = "with_discipline" / "纪检办理中",
        Transferred12345 = "transferred_12345" / "已转12345",
    }
);

impl State {
    /// No further handling: the case is finished.
    pub fn is_terminal(self) -> bool {
        matches!(self, State::Closed | State::Transferred12345)
    }
}

string_enum!(
    Channel {
        Phone = "phone" / "电话",
        Web = "web" / "网上",
        WalkIn = "walk_in" / "来访",
        Letter = "letter" / "来信",
        Open311 = "open311" / "Open311接口",
        Hotline12345 = "hotline_12345" / "12345热线转办",
    }
);

string_enum!(
    Rating {
        Satisfied = "satisfied" / "满意",
        BasicallySatisfied = "basically_satisfied" / "基本满意",
        Unsatisfied = "unsatisfied" / "不满意",
    }
);

string_enum!(
    UnitRole {
        Lead = "lead" / "主办",
        Assist = "assist" / "协办",
    }
);

string_enum!(
    DeadlineStatus {
        Ok = "ok" / "正常",
        Warning = "warning" / "临期",
        Overdue = "overdue" / "超期",
        Paused = "paused" / "暂停计时",
        Met = "met" / "按时办结",
        Missed = "missed" / "超期办结",
    }
);

string_enum!(
    /// Everything that can happen to a work order; `register` is intake and
    /// only appears in the history.
    Action {
        Register = "register" / "登记",
        Answer = "answer" / "答复咨询",
        Dispatch = "dispatch" / "派单",
        Accept = "accept" / "签收",
        Return = "return" / "退单",
        RequestExtension = "request_extension" / "申请延期",
        ApproveExtension = "approve_extension" / "同意延期",
        RejectExtension = "reject_extension" / "驳回延期",
        Reply = "reply" / "答复",
        ApproveReply = "approve_reply" / "审核通过",
        RejectReply = "reject_reply" / "审核不通过",
        FollowUp = "follow_up" / "回访",
        FollowUpAttempt = "follow_up_attempt" / "回访未接通",
        Redo = "redo" / "重办",
        Close = "close" / "办结",
        TransferDiscipline = "transfer_discipline" / "转纪检监察",
        DisciplineFeedback = "discipline_feedback" / "纪检反馈",
        Transfer12345 = "transfer_12345" / "转12345热线",
        Urge = "urge" / "催办",
        Supervise = "supervise" / "督办",
        Instruct = "instruct" / "批示",
        Pause = "pause" / "暂停计时",
        Resume = "resume" / "恢复计时",
        RejectReturn = "reject_return" / "驳回退单",
        MarkTypical = "mark_typical" / "标记典型案例",
        UnmarkTypical = "unmark_typical" / "取消典型案例",
        SetUrgency = "set_urgency" / "调整紧急程度",
        TakeBack = "take_back" / "收回下派",
        // What 12345 reported on a case transferred to it; only appears in the history, like `register`.
        Progress12345 = "progress_12345" / "12345办理进展",
    }
);

string_enum!(
    /// How pressing an appeal is (the seed: 根据企业诉求的轻重缓急程度). Urgent cases have
    /// their own SLA policy, sort first in every queue and are also told by SMS.
    Urgency {
        Normal = "normal" / "一般",
        Urgent = "urgent" / "紧急",
    }
);

// The macro's enums take no variant attributes, so `#[default]` cannot be derived.
#[allow(clippy::derivable_impls)]
impl Default for Urgency {
    fn default() -> Self {
        Urgency::Normal
    }
}

string_enum!(
    /// How the supervision team wants a unit to handle a case (马上办、快速办、监督办、回访办).
    Style {
        Immediate = "immediate" / "马上办",
        Fast = "fast" / "快速办",
        Supervised = "supervised" / "监督办",
        FollowUp = "follow_up" / "回访办",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub unit: UnitCode,
    pub role: UnitRole,
}
