//! Business calendars and SLA policies per jurisdiction: the shipped
//! national calendar, corrected by admins (for everyone or for one
//! jurisdiction and what lies below it), service hours, and policies that
//! override DOMAIN.md §5's defaults. Held in memory, rebuilt on change.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::civil::{Date, Time};
use zhitong_domain::{
    FieldError,
    calendar::{BusinessCalendar, CalendarFile, Clock, SlaPolicy, SpecialDay},
    org::{DivisionCode, JurisdictionTree, required_text},
    permission::may_administer,
    work_order::{Actor, Kind, Refusal, Urgency},
};

use crate::{Result, Store, rows::RowExt};

/// Everything deadlines depend on, for every jurisdiction.
#[derive(Debug, Clone)]
pub struct DeadlineBook {
    default_calendar: Arc<BusinessCalendar>,
    calendars: BTreeMap<DivisionCode, Arc<BusinessCalendar>>,
    policies: BTreeMap<(DivisionCode, Kind, bool), SlaPolicy>,
    urgent: BTreeMap<(DivisionCode, Kind), SlaPolicy>,
    tree: JurisdictionTree,
}

impl Default for DeadlineBook {
    fn default() -> Self {
        Self {
            default_calendar: Arc::new(BusinessCalendar::china()),
            calendars: BTreeMap::new(),
            policies: BTreeMap::new(),
            urgent: BTreeMap::new(),
            tree: JurisdictionTree::default(),
        }
    }
}

impl DeadlineBook {
    pub fn calendar(&self, jurisdiction: &DivisionCode) -> Arc<BusinessCalendar> {
        self.calendars.get(jurisdiction).cloned().unwrap_or_else(|| self.default_calendar.clone())
    }

    /// The nearest jurisdiction's own policy (itself, then upwards), else the default.
    pub fn policy(&self, jurisdiction: &DivisionCode, kind: Kind, regular: bool) -> Option<SlaPolicy> {
        self.policy_with_source(jurisdiction, kind, regular).0
    }

    /// The policy of a case at an urgency: urgent appeals have their own, whatever their regularity.
    pub fn policy_at(
        &self,
        jurisdiction: &DivisionCode,
        kind: Kind,
        regular: bool,
        urgency: Urgency,
    ) -> Option<SlaPolicy> {
        match urgency {
            Urgency::Normal => self.policy(jurisdiction, kind, regular),
            Urgency::Urgent => self.urgent_with_source(jurisdiction, kind).0,
        }
    }

    fn urgent_with_source(&self, jurisdiction: &DivisionCode, kind: Kind) -> (Option<SlaPolicy>, Option<DivisionCode>) {
        self.nearest(jurisdiction, |j| self.urgent.get(&(j.clone(), kind)))
            .unwrap_or_else(|| (kind.default_urgent_policy(), None))
    }

    /// The policy set nearest to `jurisdiction` (itself, then upwards), with the jurisdiction that set it.
    fn nearest<'a>(
        &'a self,
        jurisdiction: &DivisionCode,
        set_at: impl Fn(&DivisionCode) -> Option<&'a SlaPolicy>,
    ) -> Option<(Option<SlaPolicy>, Option<DivisionCode>)> {
        let path = self.tree.path_from_root(jurisdiction);
        path.iter().rev().find_map(|j| set_at(j).map(|p| (Some(*p), Some(j.clone()))))
    }

    fn policy_with_source(
        &self,
        jurisdiction: &DivisionCode,
        kind: Kind,
        regular: bool,
    ) -> (Option<SlaPolicy>, Option<DivisionCode>) {
        // Regular and non-regular differ only for help and suggestions.
        let regular = regular || !matches!(kind, Kind::Help | Kind::Suggestion);
        self.nearest(jurisdiction, |j| self.policies.get(&(j.clone(), kind, regular)))
            .unwrap_or_else(|| (kind.default_policy(regular), None))
    }
}

/// One policy in force for a jurisdiction: the kind, regularity and urgency it is for, the policy (none: the
/// kind has no deadline), and the jurisdiction that set it (none: the built-in default).
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyEntry {
    pub kind: Kind,
    pub regular: bool,
    pub urgency: Urgency,
    pub policy: Option<SlaPolicy>,
    pub set_by: Option<DivisionCode>,
}

/// A policy to set for a jurisdiction and below, its codes parsed. The jurisdiction is checked here, against
/// the organisation, as are the kinds that can have no deadline and the duration's range.
#[derive(Debug, Clone)]
pub struct PolicySetting {
    pub jurisdiction: String,
    pub kind: Kind,
    pub regular: bool,
    pub urgency: Urgency,
    pub policy: SlaPolicy,
}

/// A jurisdiction's business calendar for a year, as it sees it: its service hours and the days that differ
/// from Monday–Friday.
#[derive(Debug, Clone)]
pub struct CalendarYear {
    pub jurisdiction: DivisionCode,
    pub year: i16,
    pub service_start: Time,
    pub service_end: Time,
    pub days: Vec<SpecialDay>,
}

fn admin_check(actor: &Actor, jurisdiction: &DivisionCode, tree: &JurisdictionTree) -> Result<()> {
    if may_administer(actor, jurisdiction, tree) {
        Ok(())
    } else {
        Err(Refusal::Forbidden("只有本辖区的管理员可以修改日历和办理时限".into()).into())
    }
}

/// A stored policy row: where it applies, the kind, and the policy. A row naming a jurisdiction, kind or
/// clock this version does not know is left out.
fn policy_row(r: &sqlx::any::AnyRow) -> Result<Option<(DivisionCode, Kind, SlaPolicy)>> {
    let (Ok(j), Some(kind), Some(clock)) = (
        DivisionCode::parse("jurisdiction", &r.text("jurisdiction")?),
        Kind::from_code(&r.text("kind")?),
        Clock::from_code(&r.text("clock")?),
    ) else {
        return Ok(None);
    };
    Ok(Some((j, kind, SlaPolicy { clock, minutes: r.int("minutes")?, pausable: r.flag("pausable")? })))
}

fn parse_hhmm(field: &str, s: &str) -> Result<Time, FieldError> {
    Time::strptime("%H:%M", s.trim()).map_err(|_| FieldError::new(field, "时间格式应为 HH:MM，例如 08:00"))
}

impl Store {
    pub fn deadlines(&self) -> Arc<DeadlineBook> {
        self.deadlines.read().expect("deadline lock").clone()
    }

    pub(crate) async fn reload_deadlines(&self, tree: &JurisdictionTree) -> Result<()> {
        let days = sqlx::query("SELECT jurisdiction, date, name, off_day FROM calendar_days ORDER BY date")
            .fetch_all(self.reader())
            .await?;
        let mut national = vec![];
        let mut own: BTreeMap<String, Vec<SpecialDay>> = BTreeMap::new();
        for r in &days {
            let day = SpecialDay {
                date: r
                    .text("date")?
                    .parse()
                    .map_err(|e| crate::StoreError::Internal(format!("bad stored date: {e}")))?,
                name: r.text("name")?,
                off_day: r.flag("off_day")?,
            };
            match r.text("jurisdiction")?.as_str() {
                "*" => national.push(day),
                j => own.entry(j.to_string()).or_default().push(day),
            }
        }
        let hours: BTreeMap<String, (i64, i64)> =
            sqlx::query_as::<_, (String, i64, i64)>("SELECT jurisdiction, start_minute, end_minute FROM service_hours")
                .fetch_all(self.reader())
                .await?
                .into_iter()
                .map(|(j, s, e)| (j, (s, e)))
                .collect();
        let mut base = BusinessCalendar::china();
        base.apply(&national);
        let mut calendars = BTreeMap::new();
        for j in tree.subtree_all() {
            let mut cal = base.clone();
            let mut service = None;
            for a in tree.path_from_root(&j) {
                if let Some(d) = own.get(a.as_str()) {
                    cal.apply(d);
                }
                if let Some(h) = hours.get(a.as_str()) {
                    service = Some(*h);
                }
            }
            if let Some((s, e)) = service {
                let t = |m: i64| Time::new((m / 60) as i8, (m % 60) as i8, 0, 0).expect("stored minutes in range");
                cal = cal.with_service_hours(t(s), t(e))?;
            }
            calendars.insert(j, Arc::new(cal));
        }
        let mut policies = BTreeMap::new();
        let rows = sqlx::query("SELECT jurisdiction, kind, regular, clock, minutes, pausable FROM sla_policies")
            .fetch_all(self.reader())
            .await?;
        for r in &rows {
            if let Some((j, kind, p)) = policy_row(r)? {
                policies.insert((j, kind, r.flag("regular")?), p);
            }
        }
        let mut urgent = BTreeMap::new();
        let rows = sqlx::query("SELECT jurisdiction, kind, clock, minutes, pausable FROM sla_urgent_policies")
            .fetch_all(self.reader())
            .await?;
        for r in &rows {
            if let Some((j, kind, p)) = policy_row(r)? {
                urgent.insert((j, kind), p);
            }
        }
        let book = DeadlineBook { default_calendar: Arc::new(base), calendars, policies, urgent, tree: tree.clone() };
        *self.deadlines.write().expect("deadline lock") = Arc::new(book);
        Ok(())
    }

    fn known_jurisdiction(&self, field: &str, code: &str) -> Result<DivisionCode, FieldError> {
        let j = DivisionCode::parse(field, code)?;
        if self.org().tree.contains(&j) { Ok(j) } else { Err(FieldError::new(field, "没有这个辖区")) }
    }

    /// Add or correct days, for one jurisdiction (and below) or for all (`None`). Each name is checked here, as
    /// `days[i].name`: an imported file's days come this way too.
    pub async fn set_calendar_days(
        &self,
        actor: &Actor,
        jurisdiction: Option<&str>,
        days: &[SpecialDay],
    ) -> Result<usize> {
        let org = self.org();
        let scope = match jurisdiction {
            Some(j) => self.known_jurisdiction("jurisdiction", j)?,
            None => actor.jurisdiction.clone(),
        };
        admin_check(actor, &scope, &org.tree)?;
        if jurisdiction.is_none() && org.tree.parent(&actor.jurisdiction).is_some() {
            return Err(Refusal::Forbidden("只有最上级辖区的管理员可以修改全市通用日历".into()).into());
        }
        if days.is_empty() {
            return Err(FieldError::new("days", "请至少提供一天").into());
        }
        let mut parsed = vec![];
        for (i, d) in days.iter().enumerate() {
            let name = required_text(&format!("days[{i}].name"), "名称", &d.name, 50)?;
            parsed.push((d.date, name, d.off_day));
        }
        let key = jurisdiction.unwrap_or("*");
        let now = jiff::Timestamp::now().as_millisecond();
        let mut tx = self.begin().await?;
        for (date, name, off) in &parsed {
            sqlx::query(
                "INSERT INTO calendar_days (jurisdiction, date, name, off_day, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (jurisdiction, date) DO UPDATE SET name = excluded.name, off_day = excluded.off_day, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(key)
            .bind(date.to_string())
            .bind(name)
            .bind(*off as i64)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        self.commit_org_change(tx).await?;
        Ok(parsed.len())
    }

    /// Load a year file: the shipped format or holiday-cn's (`isOffDay`).
    pub async fn import_calendar(&self, actor: &Actor, jurisdiction: Option<&str>, json: &str) -> Result<usize> {
        let file: CalendarFile = serde_json::from_str(json).map_err(|e| {
            FieldError::new("file", format!("日历文件格式不正确（需要 days: [{{date, name, isOffDay}}]）：{e}"))
        })?;
        self.set_calendar_days(actor, jurisdiction, &file.days).await
    }

    /// The server's command line imports a notice (`zhitong calendar import`), as the top jurisdiction's
    /// administrator would, on the audit record. Returns the file's year (when it says) and the days saved.
    pub async fn import_calendar_from_command_line(
        &self,
        operator: &str,
        jurisdiction: Option<&str>,
        json: &str,
    ) -> Result<(Option<i16>, usize)> {
        let file: CalendarFile = serde_json::from_str(json).map_err(|e| {
            FieldError::new("file", format!("日历文件格式不正确（需要 days: [{{date, name, isOffDay}}]）：{e}"))
        })?;
        let year: Option<i16> = serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|v| v["year"].as_i64())
            .and_then(|y| i16::try_from(y).ok());
        let mut actor = self.service_user(crate::SYSTEM_USER).await?.actor();
        actor.role = zhitong_domain::org::Role::Admin;
        actor.jurisdiction = self.org().root().cloned().ok_or(crate::StoreError::NotFound)?;
        let saved = self.set_calendar_days(&actor, jurisdiction, &file.days).await?;
        let entry = crate::AuditEntry::new(None, operator, crate::AuditAction::CommandLine).on("calendar").with(
            serde_json::json!({ "calendar_import": { "year": year, "days": saved, "jurisdiction": jurisdiction } }),
        );
        self.audit(&entry, jiff::Timestamp::now()).await?;
        Ok((year, saved))
    }

    pub async fn set_service_hours(&self, actor: &Actor, jurisdiction: &str, start: &str, end: &str) -> Result<()> {
        let j = self.known_jurisdiction("jurisdiction", jurisdiction)?;
        let org = self.org();
        admin_check(actor, &j, &org.tree)?;
        let (s, e) = (parse_hhmm("start", start)?, parse_hhmm("end", end)?);
        BusinessCalendar::weekdays_only().with_service_hours(s, e)?;
        let minutes = |t: Time| t.hour() as i64 * 60 + t.minute() as i64;
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO service_hours (jurisdiction, start_minute, end_minute, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (jurisdiction) DO UPDATE SET start_minute = excluded.start_minute, end_minute = excluded.end_minute, \
             updated_at = excluded.updated_at",
        )
        .bind(j.as_str())
        .bind(minutes(s))
        .bind(minutes(e))
        .bind(jiff::Timestamp::now().as_millisecond())
        .execute(&mut *tx)
        .await?;
        self.commit_org_change(tx).await
    }

    /// The year of an open case's deadline when that year's holiday notice is not in its calendar (the deadline
    /// then counts weekends only).
    pub fn calendar_missing_year(&self, case: &zhitong_domain::work_order::Lifecycle) -> Option<i16> {
        let deadline = case.deadline.filter(|_| case.closed_at.is_none())?;
        let year = zhitong_domain::time::local(deadline).year();
        (!self.deadlines().calendar(&case.jurisdiction).covers(year)).then_some(year)
    }

    pub fn calendar_year(&self, jurisdiction: &str, year: i16) -> Result<CalendarYear> {
        let j = self.known_jurisdiction("jurisdiction", jurisdiction)?;
        let cal = self.deadlines().calendar(&j);
        let (s, e) = cal.service_hours();
        let mut days = vec![];
        let Ok(mut d) = Date::new(year, 1, 1) else { return Err(FieldError::new("year", "年份不正确").into()) };
        while d.year() == year {
            let weekend = matches!(d.weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday);
            let working = cal.is_working_day(d);
            if working == weekend {
                let name = cal.day_name(d).unwrap_or(if working { "调休上班" } else { "休息" }).to_string();
                days.push(SpecialDay { date: d, name, off_day: !working });
            }
            d = d.tomorrow().map_err(|_| FieldError::new("year", "年份不正确"))?;
        }
        Ok(CalendarYear { jurisdiction: j, year, service_start: s, service_end: e, days })
    }

    /// Every policy in force for a jurisdiction: per kind (and regularity, where it matters), then urgent.
    pub fn policies_in_force(&self, jurisdiction: &str) -> Result<Vec<PolicyEntry>> {
        let j = self.known_jurisdiction("jurisdiction", jurisdiction)?;
        let book = self.deadlines();
        let mut out = vec![];
        for kind in Kind::ALL {
            let variants: &[bool] =
                if matches!(kind, Kind::Help | Kind::Suggestion) { &[true, false] } else { &[true] };
            for regular in variants {
                let (policy, set_by) = book.policy_with_source(&j, *kind, *regular);
                out.push(PolicyEntry { kind: *kind, regular: *regular, urgency: Urgency::Normal, policy, set_by });
            }
            if *kind == Kind::OutOfScope {
                continue;
            }
            let (policy, set_by) = book.urgent_with_source(&j, *kind);
            out.push(PolicyEntry { kind: *kind, regular: true, urgency: Urgency::Urgent, policy, set_by });
        }
        Ok(out)
    }

    pub async fn set_policy(&self, actor: &Actor, setting: &PolicySetting) -> Result<()> {
        let PolicySetting { jurisdiction, kind, regular, urgency, policy } = setting;
        let j = self.known_jurisdiction("jurisdiction", jurisdiction)?;
        let org = self.org();
        admin_check(actor, &j, &org.tree)?;
        if *kind == Kind::OutOfScope {
            return Err(FieldError::new("kind", "非营商环境类诉求转12345办理，没有办理时限").into());
        }
        if !(1..=366 * 24 * 60).contains(&policy.minutes) {
            return Err(FieldError::new("minutes", "时限应在1分钟到366天之间").into());
        }
        let regular = *regular || !matches!(kind, Kind::Help | Kind::Suggestion);
        let mut tx = self.begin().await?;
        if *urgency == Urgency::Urgent {
            sqlx::query(
                "INSERT INTO sla_urgent_policies (jurisdiction, kind, clock, minutes, pausable, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (jurisdiction, kind) DO UPDATE SET clock = excluded.clock, minutes = excluded.minutes, \
                 pausable = excluded.pausable, updated_at = excluded.updated_at",
            )
            .bind(j.as_str())
            .bind(kind.code())
            .bind(policy.clock.code())
            .bind(policy.minutes)
            .bind(policy.pausable as i64)
            .bind(jiff::Timestamp::now().as_millisecond())
            .execute(&mut *tx)
            .await?;
            return self.commit_org_change(tx).await;
        }
        sqlx::query(
            "INSERT INTO sla_policies (jurisdiction, kind, regular, clock, minutes, pausable, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (jurisdiction, kind, regular) DO UPDATE SET clock = excluded.clock, minutes = excluded.minutes, \
             pausable = excluded.pausable, updated_at = excluded.updated_at",
        )
        .bind(j.as_str())
        .bind(kind.code())
        .bind(regular as i64)
        .bind(policy.clock.code())
        .bind(policy.minutes)
        .bind(policy.pausable as i64)
        .bind(jiff::Timestamp::now().as_millisecond())
        .execute(&mut *tx)
        .await?;
        self.commit_org_change(tx).await
    }
}
