//! Text messages to enterprises (短信): which messages there are, the templates admins edit, and who may be sent
//! one. A message never names what a case is about: a receipt carries the number, the tracking code and the link;
//! the others the number and a link.

use crate::{FieldError, org::string_enum, work_order::Kind};

string_enum!(
    /// The messages an enterprise is sent about its appeal.
    SmsKind {
        Receipt = "receipt" / "受理回执",
        Answered = "answered" / "答复通知",
        Survey = "survey" / "满意度评价",
    }
);

string_enum!(
    /// How a follow-up's rating was given.
    RatingChannel {
        Phone = "phone" / "电话回访",
        Sms = "sms" / "短信评价",
        Web = "web" / "网上评价",
    }
);

impl SmsKind {
    /// The variables a template of this kind may use. None of them says what the case is about.
    pub fn variables(self) -> &'static [&'static str] {
        match self {
            SmsKind::Receipt => &["number", "code", "link", "deadline"],
            SmsKind::Answered => &["number", "link"],
            SmsKind::Survey => &["number", "link"],
        }
    }

    /// The text used until an admin writes another.
    pub fn default_template(self) -> &'static str {
        match self {
            SmsKind::Receipt => {
                "【服务企业直通车】您的诉求已受理，编号{number}，查询码{code}，办理时限{deadline}。查询办理进度：{link} 回复TD退订"
            }
            SmsKind::Answered => "【服务企业直通车】您的诉求{number}已办理答复，请查看：{link} 回复TD退订",
            SmsKind::Survey => {
                "【服务企业直通车】请对诉求{number}的办理结果作出评价（满意/基本满意/不满意）：{link} 回复TD退订"
            }
        }
    }
}

/// A message template, checked: at most 300 characters, only the kind's variables, and the link where the
/// message is nothing without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsTemplate {
    kind: SmsKind,
    text: String,
}

impl SmsTemplate {
    pub fn parse(kind: SmsKind, text: &str) -> Result<SmsTemplate, FieldError> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 300 {
            return Err(FieldError::new("text", "短信模板应为1至300字"));
        }
        if text.chars().any(|c| c.is_control()) {
            return Err(FieldError::new("text", "短信模板不能含控制字符"));
        }
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let close = after.find('}').ok_or_else(|| FieldError::new("text", "模板中的“{”没有对应的“}”"))?;
            let name = &after[..close];
            if !kind.variables().contains(&name) {
                let allowed: Vec<String> = kind.variables().iter().map(|v| format!("{{{v}}}")).collect();
                return Err(FieldError::new(
                    "text",
                    format!("模板中没有变量 {{{name}}}；{}可用：{}", kind.label(), allowed.join("、")),
                ));
            }
            rest = &after[close + 1..];
        }
        // What the admin wrote, without the variables: no address or number of its own, so a template cannot
        // send the codes and links elsewhere, or ask the enterprise to call some other number.
        let mut own = text.to_string();
        for v in kind.variables() {
            own = own.replace(&format!("{{{v}}}"), " ");
        }
        let lower = own.to_lowercase();
        let addressy =
            ["://", "www.", "http", ".cn", ".com", ".net", ".org", ".gov", "@"].iter().any(|a| lower.contains(a));
        let digits = own.split(|c: char| !c.is_ascii_digit()).any(|run| run.len() >= 5);
        if addressy || digits {
            return Err(FieldError::new("text", "短信模板不能自带网址、邮箱或号码，请使用变量 {link} 等"));
        }
        for v in ["link", "code"] {
            // A link or code must stand alone, so nothing can be glued to it.
            let var = format!("{{{v}}}");
            for (at, _) in text.match_indices(&var) {
                let before = text[..at].chars().next_back();
                let after = text[at + var.len()..].chars().next();
                let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || "/?&=%.:#".contains(c));
                if glued(before) || glued(after) {
                    return Err(FieldError::new("text", format!("变量 {var} 前后不能紧接字母、数字或网址符号")));
                }
            }
        }
        if matches!(kind, SmsKind::Survey) && !text.contains("{link}") {
            return Err(FieldError::new("text", "满意度评价短信须含评价链接 {link}"));
        }
        Ok(SmsTemplate { kind, text: text.to_string() })
    }

    pub fn kind(&self) -> SmsKind {
        self.kind
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The message, its variables filled (a variable not given is left empty).
    pub fn render(&self, values: &[(&str, &str)]) -> String {
        let mut out = self.text.clone();
        for name in self.kind.variables() {
            let value = values.iter().find(|(n, _)| n == name).map(|(_, v)| *v).unwrap_or("");
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

/// A mainland mobile number (11 digits starting 1[3-9]): only these can receive a text.
pub fn is_mobile(phone: &str) -> bool {
    phone.len() == 11
        && phone.starts_with('1')
        && matches!(phone.as_bytes()[1], b'3'..=b'9')
        && phone.bytes().all(|b| b.is_ascii_digit())
}

/// Whether an enterprise may be texted about a case at all: never about a complaint or report, a case the
/// discipline commission holds, or a confidential caller's (who gave no number to be texted on).
pub fn may_text(kind: Kind, discipline_only: bool, confidential: bool) -> bool {
    !matches!(kind, Kind::Complaint | Kind::Report) && !discipline_only && !confidential
}

/// A reply that asks for no more messages (回复TD退订): TD, T, 退订, N, STOP, in any case.
pub fn is_opt_out(reply: &str) -> bool {
    let r = reply.trim().to_uppercase();
    matches!(r.as_str(), "TD" | "T" | "N" | "STOP" | "退订" | "取消")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_templates_parse_and_render() {
        for k in SmsKind::ALL {
            let t = SmsTemplate::parse(*k, k.default_template()).unwrap();
            let text = t.render(&[("number", "ZTC-20261208-0001"), ("link", "http://x/s/ab"), ("code", "K7PQ2M9A")]);
            assert!(text.contains("ZTC-20261208-0001") && text.contains("http://x/s/ab"), "{text}");
            assert!(!text.contains('{'), "{text}");
        }
    }

    #[test]
    fn templates_refuse_unknown_variables_and_a_survey_without_its_link() {
        let e = SmsTemplate::parse(SmsKind::Answered, "诉求{title}已答复").unwrap_err();
        assert_eq!(e.field, "text");
        assert!(e.message.contains("{title}") && e.message.contains("{number}"), "{}", e.message);
        assert!(SmsTemplate::parse(SmsKind::Answered, "诉求{number").is_err());
        assert!(SmsTemplate::parse(SmsKind::Survey, "请评价诉求{number}").is_err());
        assert!(SmsTemplate::parse(SmsKind::Receipt, " ").is_err());
        assert!(SmsTemplate::parse(SmsKind::Receipt, &"长".repeat(301)).is_err());
        assert!(SmsTemplate::parse(SmsKind::Receipt, "a\u{0}b").is_err());
        assert!(SmsTemplate::parse(SmsKind::Receipt, "编号{number}，查询码{code}").is_ok());
        // No address, mailbox or number of the admin's own, and nothing glued to a link or code.
        for bad in [
            "查询：http://evil.example/t?c={code}",
            "查询码{code}请发至 a@b",
            "请访问 evil.com {link}",
            "请致电 0771-5551234 {link}",
            "评价：{link}&x=1",
            "码x{code}",
        ] {
            let kind = if bad.contains("{code}") { SmsKind::Receipt } else { SmsKind::Survey };
            assert!(SmsTemplate::parse(kind, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_mobiles_are_texted_and_never_about_complaints() {
        assert!(is_mobile("13807710001"));
        for n in ["0771-5551234", "07715551234", "12807710001", "1380771000", "1380771000a"] {
            assert!(!is_mobile(n), "{n}");
        }
        for k in Kind::ALL {
            assert_eq!(may_text(*k, false, false), !matches!(k, Kind::Complaint | Kind::Report));
            assert!(!may_text(*k, true, false) && !may_text(*k, false, true));
        }
    }

    #[test]
    fn replies_that_stop_messages() {
        for r in ["TD", "td", " 退订 ", "T", "stop"] {
            assert!(is_opt_out(r), "{r}");
        }
        for r in ["满意", "TD吗", ""] {
            assert!(!is_opt_out(r), "{r}");
        }
    }
}
