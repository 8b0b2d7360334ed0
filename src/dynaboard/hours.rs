//! Chat service hours: open now? and if not, when next? Hours are local times in an IANA time
//! zone, per weekday; no hours set means open at all times (DESIGN.md defaults).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::store::ServiceHours;

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
    // Yesterday too: an interval is never past midnight, but a DST shift can move its UTC image.
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

/// The opening interval of `day` in UTC, if that weekday is open.
fn interval(
    hours: &ServiceHours,
    tz: &Tz,
    day: NaiveDate,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let wh = hours.days[day.weekday().num_days_from_monday() as usize]?;
    // In a DST gap a local time does not exist: take the first instant after it.
    let utc = |t: chrono::NaiveTime| {
        let local = day.and_time(t);
        tz.from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(local + Duration::hours(1)))
                    .earliest()
            })
            .map(|d| d.with_timezone(&Utc))
    };
    Some((utc(wh.from)?, utc(wh.to)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::WeekdayHours;
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
