//! Times of day as people type them on the configuration page: what `<input type="time">` sends
//! (`09:00`) and the common hand-typed forms (`9:00`, `9am`, `9:30 pm`, `21.00`, `2100`, `noon`).

use chrono::NaiveTime;

/// Why a typed time of day was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeInputError {
    /// Nothing was entered.
    #[error("enter a time, like 09:00")]
    Empty,
    /// Not a form of time we read.
    #[error("{0:?} is not a time; write it like 09:00, 9am or 9:30 pm")]
    Unreadable(String),
    /// The hour or minute is out of range.
    #[error("{0:?} is not a time of day")]
    OutOfRange(String),
}

/// A time of day from what was typed. `24:00` is midnight (a closing time at the end of a day).
pub fn parse_time_of_day(typed: &str) -> Result<NaiveTime, TimeInputError> {
    let text = typed.trim().to_ascii_lowercase();
    if text.is_empty() {
        return Err(TimeInputError::Empty);
    }
    let unreadable = || TimeInputError::Unreadable(typed.trim().to_owned());
    let (clock, meridiem) = match text.as_str() {
        "noon" | "midday" => ("12", None),
        "midnight" => ("0", None),
        _ => split_meridiem(&text),
    };
    let (hour, minute, second) = clock_parts(clock.trim()).ok_or_else(unreadable)?;
    let hour = match meridiem {
        Some(pm) => twelve_hour(hour, pm),
        None if hour == 24 && minute == 0 && second == 0 => Some(0),
        None => Some(hour),
    };
    hour.and_then(|h| NaiveTime::from_hms_opt(h, minute, second))
        .ok_or_else(|| TimeInputError::OutOfRange(typed.trim().to_owned()))
}

/// The clock part and, when there is an `am`/`pm` suffix, whether it is `pm`.
fn split_meridiem(text: &str) -> (&str, Option<bool>) {
    for (suffix, pm) in [
        ("a.m.", false),
        ("p.m.", true),
        ("am", false),
        ("pm", true),
        ("a", false),
        ("p", true),
    ] {
        if let Some(clock) = text.strip_suffix(suffix) {
            return (clock, Some(pm));
        }
    }
    (text, None)
}

/// Hour, minute and second of `9`, `09`, `9:30`, `9.30`, `9h30`, `0930`, `09:30:00`.
fn clock_parts(clock: &str) -> Option<(u32, u32, u32)> {
    let number = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let parts: Vec<&str> = clock.split([':', '.', 'h']).collect();
    match parts.as_slice() {
        [hhmm] if hhmm.len() == 4 && hhmm.bytes().all(|b| b.is_ascii_digit()) => {
            Some((number(&hhmm[..2])?, number(&hhmm[2..])?, 0))
        }
        [h] => Some((number(h)?, 0, 0)),
        // `9h` is nine o'clock.
        [h, ""] if clock.ends_with('h') => Some((number(h)?, 0, 0)),
        [h, m] if m.len() == 2 => Some((number(h)?, number(m)?, 0)),
        [h, m, s] if m.len() == 2 && s.len() == 2 => Some((number(h)?, number(m)?, number(s)?)),
        _ => None,
    }
}

/// The 24-hour hour of a 12-hour `hour` (1–12): 12 am is 0, 12 pm is 12.
fn twelve_hour(hour: u32, pm: bool) -> Option<u32> {
    match (hour, pm) {
        (1..=11, false) => Some(hour),
        (12, false) => Some(0),
        (1..=11, true) => Some(hour + 12),
        (12, true) => Some(12),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn what_a_time_input_sends() {
        assert_eq!(parse_time_of_day("09:00"), Ok(t(9, 0)));
        assert_eq!(parse_time_of_day("21:45"), Ok(t(21, 45)));
        assert_eq!(parse_time_of_day("07:05:00"), Ok(t(7, 5)));
    }

    #[test]
    fn hand_typed_forms() {
        for (typed, expected) in [
            ("9:00", t(9, 0)),
            ("9", t(9, 0)),
            ("9am", t(9, 0)),
            ("9 AM", t(9, 0)),
            ("9a.m.", t(9, 0)),
            ("9:30 pm", t(21, 30)),
            ("9:30PM", t(21, 30)),
            ("9p", t(21, 0)),
            ("12am", t(0, 0)),
            ("12 pm", t(12, 0)),
            ("12:15am", t(0, 15)),
            ("21.00", t(21, 0)),
            ("9.30", t(9, 30)),
            ("2100", t(21, 0)),
            ("0930", t(9, 30)),
            ("9h30", t(9, 30)),
            ("21h", t(21, 0)),
            ("  17:30  ", t(17, 30)),
            ("noon", t(12, 0)),
            ("Midnight", t(0, 0)),
            ("24:00", t(0, 0)),
        ] {
            assert_eq!(parse_time_of_day(typed), Ok(expected), "{typed:?}");
        }
    }

    #[test]
    fn what_is_not_a_time() {
        assert_eq!(parse_time_of_day("  "), Err(TimeInputError::Empty));
        for typed in [
            "nine", "9:3", "9:300", "9::00", "am", "-1", "9:30 xm", "1e3",
        ] {
            assert!(
                matches!(parse_time_of_day(typed), Err(TimeInputError::Unreadable(_))),
                "{typed:?}"
            );
        }
        for typed in ["25:00", "24:30", "13pm", "0am", "9:60", "99"] {
            assert!(
                matches!(parse_time_of_day(typed), Err(TimeInputError::OutOfRange(_))),
                "{typed:?}"
            );
        }
    }
}
