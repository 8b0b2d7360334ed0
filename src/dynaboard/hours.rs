//! Chat service hours: open now? and if not, when next? Hours are local times in an IANA time
//! zone, per weekday; no hours set means open at all times (DESIGN.md defaults). A window whose
//! closing time is not after its opening time runs overnight: Monday 22:00–02:00 is open from
//! Monday 22:00 to Tuesday 02:00, and equal times are a full 24 hours.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::model::ServiceHours;

/// Whether chat is open, and when it opens next when it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ChatStatus {
    /// Open now.
    pub open: bool,
    /// Next opening, when closed (`None` when open, or when no day is ever open).
    pub next_open: Option<DateTime<Utc>>,
}

/// The status at `now`.
pub fn status(hours: Option<&ServiceHours>, now: DateTime<Utc>) -> ChatStatus {
    let Some(hours) = hours else {
        return ChatStatus {
            open: true,
            next_open: None,
        };
    };
    let Ok(tz) = hours.timezone.parse::<Tz>() else {
        // Saved hours are validated; an unknown zone here means a bug, so fail closed and say so.
        tracing::error!(timezone = %hours.timezone, "service hours have an unknown time zone");
        return ChatStatus {
            open: false,
            next_open: None,
        };
    };
    let today = now.with_timezone(&tz).date_naive();
    // Yesterday too: its overnight window (or a DST shift of its UTC image) may reach today.
    let intervals =
        (-1..=8).filter_map(|offset| interval(hours, &tz, today + Duration::days(offset)));
    let mut next = None;
    for (from, to) in intervals {
        if from <= now && now < to {
            return ChatStatus {
                open: true,
                next_open: None,
            };
        }
        if from > now && next.is_none_or(|n| from < n) {
            next = Some(from);
        }
    }
    ChatStatus {
        open: false,
        next_open: next,
    }
}

/// The opening interval of the window that starts on `day`, in UTC, if that weekday is open.
fn interval(
    hours: &ServiceHours,
    tz: &Tz,
    day: NaiveDate,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let wh = hours.days[day.weekday().num_days_from_monday() as usize]?;
    let closing_day = if wh.is_overnight() {
        day + Duration::days(1)
    } else {
        day
    };
    Some((utc(tz, day, wh.from)?, utc(tz, closing_day, wh.to)?))
}

/// The UTC instant of local time `t` on `day`; in a DST gap, where the local time does not
/// exist, the first instant after it.
fn utc(tz: &Tz, day: NaiveDate, t: chrono::NaiveTime) -> Option<DateTime<Utc>> {
    let local = day.and_time(t);
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WeekdayHours;
    use chrono::NaiveTime;

    fn weekdays_9_to_17(tz: &str) -> ServiceHours {
        let day = Some(WeekdayHours {
            from: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            to: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        });
        ServiceHours {
            timezone: tz.into(),
            days: [day, day, day, day, day, None, None],
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn no_hours_means_always_open() {
        assert!(status(None, at("2026-11-22T03:00:00Z")).open);
    }

    #[test]
    fn open_and_next_open_in_the_configured_zone() {
        let h = weekdays_9_to_17("Europe/Berlin");
        // Monday 23 Nov 2026, 09:30 Berlin = 08:30 UTC.
        assert!(status(Some(&h), at("2026-11-23T08:30:00Z")).open);
        // Monday 07:59 UTC = 08:59 Berlin: opens at 09:00 Berlin.
        let s = status(Some(&h), at("2026-11-23T07:59:00Z"));
        assert_eq!(
            (s.open, s.next_open),
            (false, Some(at("2026-11-23T08:00:00Z")))
        );
        // Friday evening: next is Monday 09:00 Berlin.
        let s = status(Some(&h), at("2026-11-27T17:00:00Z"));
        assert_eq!(s.next_open, Some(at("2026-11-30T08:00:00Z")));
    }

    #[test]
    fn daylight_saving_changes_the_utc_time() {
        let h = weekdays_9_to_17("America/New_York");
        // Before DST ends (Fri 30 Oct 2026, EDT = UTC-4): 09:00 is 13:00 UTC.
        assert!(status(Some(&h), at("2026-10-30T13:00:00Z")).open);
        assert!(!status(Some(&h), at("2026-10-30T12:59:00Z")).open);
        // After (Mon 2 Nov 2026, EST = UTC-5): 09:00 is 14:00 UTC.
        assert!(!status(Some(&h), at("2026-11-02T13:30:00Z")).open);
        assert!(status(Some(&h), at("2026-11-02T14:00:00Z")).open);
    }

    fn window(from: (u32, u32), to: (u32, u32)) -> Option<WeekdayHours> {
        Some(WeekdayHours {
            from: NaiveTime::from_hms_opt(from.0, from.1, 0).unwrap(),
            to: NaiveTime::from_hms_opt(to.0, to.1, 0).unwrap(),
        })
    }

    /// Only `day` (0 = Monday) open, from `from` to `to`.
    fn only(tz: &str, day: usize, from: (u32, u32), to: (u32, u32)) -> ServiceHours {
        let mut days = [None; 7];
        days[day] = window(from, to);
        ServiceHours {
            timezone: tz.into(),
            days,
        }
    }

    fn open_at(h: &ServiceHours, t: &str) -> bool {
        status(Some(h), at(t)).open
    }

    #[test]
    fn an_overnight_window_runs_into_the_next_day() {
        // Monday 22:00–02:00 UTC; Monday is 23 Nov 2026.
        let h = only("UTC", 0, (22, 0), (2, 0));
        assert!(!open_at(&h, "2026-11-23T21:59:00Z"));
        assert!(open_at(&h, "2026-11-23T22:00:00Z"));
        assert!(open_at(&h, "2026-11-23T23:00:00Z"));
        assert!(open_at(&h, "2026-11-24T01:00:00Z"), "Tuesday 01:00");
        assert!(!open_at(&h, "2026-11-24T02:00:00Z"), "closes at 02:00");
        let s = status(Some(&h), at("2026-11-24T03:00:00Z"));
        assert_eq!(
            (s.open, s.next_open),
            (false, Some(at("2026-11-30T22:00:00Z"))),
            "closed at 03:00, opens again next Monday"
        );
        // Early Monday belongs to no window: Sunday is closed.
        assert!(!open_at(&h, "2026-11-23T01:00:00Z"));
    }

    #[test]
    fn sundays_overnight_window_wraps_into_monday() {
        // Sunday 22:00–02:00 in Tokyo (UTC+9, no DST): Sunday 13:00 to 17:00 UTC.
        let h = only("Asia/Tokyo", 6, (22, 0), (2, 0));
        assert!(open_at(&h, "2026-11-29T13:00:00Z"), "Sunday 22:00 Tokyo");
        assert!(open_at(&h, "2026-11-29T16:30:00Z"), "Monday 01:30 Tokyo");
        assert!(!open_at(&h, "2026-11-29T17:00:00Z"), "Monday 02:00 Tokyo");
        // On a Saturday evening the next opening is Sunday 22:00 Tokyo.
        let s = status(Some(&h), at("2026-11-28T12:00:00Z"));
        assert_eq!(s.next_open, Some(at("2026-11-29T13:00:00Z")));
    }

    #[test]
    fn an_overnight_window_keeps_its_local_times_across_a_dst_change() {
        // Berlin leaves summer time on Sunday 25 Oct 2026 at 03:00 CEST (01:00 UTC).
        // Saturday 22:00 CEST is 20:00 UTC; Sunday 04:00 CET is 03:00 UTC.
        let h = only("Europe/Berlin", 5, (22, 0), (4, 0));
        assert!(!open_at(&h, "2026-10-24T19:59:00Z"));
        assert!(open_at(&h, "2026-10-24T20:00:00Z"));
        assert!(open_at(&h, "2026-10-25T02:59:00Z"));
        assert!(!open_at(&h, "2026-10-25T03:00:00Z"));
    }

    #[test]
    fn equal_opening_and_closing_times_are_a_full_day() {
        let h = only("UTC", 0, (0, 0), (0, 0));
        assert!(open_at(&h, "2026-11-23T00:00:00Z"));
        assert!(open_at(&h, "2026-11-23T23:59:00Z"));
        assert!(!open_at(&h, "2026-11-24T00:00:00Z"));
    }

    #[test]
    fn consecutive_overnight_windows_chain() {
        // Monday 18:00–09:00 and Tuesday 09:00–17:00: open without a gap.
        let mut h = only("UTC", 0, (18, 0), (9, 0));
        h.days[1] = window((9, 0), (17, 0));
        assert!(open_at(&h, "2026-11-24T08:59:00Z"));
        assert!(open_at(&h, "2026-11-24T09:00:00Z"));
        assert!(!open_at(&h, "2026-11-24T17:00:00Z"));
    }

    #[test]
    fn never_open_has_no_next_opening() {
        let closed = ServiceHours {
            timezone: "UTC".into(),
            days: [None; 7],
        };
        assert_eq!(
            status(Some(&closed), Utc::now()),
            ChatStatus {
                open: false,
                next_open: None
            }
        );
    }
}
