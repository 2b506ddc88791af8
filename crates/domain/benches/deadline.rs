//! Deadline computation for every clock (target: median under 5 µs).
//! Run: `cargo bench -p zhitong-domain --bench deadline`.

use divan::{Bencher, black_box};
use jiff::{SignedDuration, Timestamp};
use zhitong_domain::{
    calendar::{BusinessCalendar, Clock},
    work_order::Kind,
};

fn main() {
    divan::main();
}

/// Starts spread over 2023–2026 (every 7 h 13 min), so holidays and weekends are hit.
fn starts() -> Vec<Timestamp> {
    let first: Timestamp = "2023-01-01T00:00:00Z".parse().unwrap();
    (0..4096).map(|i| first + SignedDuration::from_mins(i * 433)).collect()
}

#[divan::bench(args = [("consultation", Kind::Consultation, true), ("help", Kind::Help, true), ("help non-regular", Kind::Help, false), ("complaint", Kind::Complaint, true)])]
fn deadline(bencher: Bencher, (_, kind, regular): (&str, Kind, bool)) {
    let cal = BusinessCalendar::china();
    let policy = kind.default_policy(regular).unwrap();
    let starts = starts();
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % starts.len();
        black_box(cal.deadline(policy.clock, black_box(starts[i]), policy.duration()))
    });
}

#[divan::bench]
fn warning_instant(bencher: Bencher) {
    let cal = BusinessCalendar::china();
    let starts = starts();
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % starts.len();
        let s = starts[i];
        let due = cal.deadline(Clock::WorkingDays, s, SignedDuration::from_hours(24));
        black_box(cal.share_used(Clock::WorkingDays, s, due, s + SignedDuration::from_hours(10)))
    });
}
