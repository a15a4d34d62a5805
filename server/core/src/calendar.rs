//! Calendar dates from Unix time, in UTC, without a clock or a time-zone library.

/// The date of a moment given in seconds since the Unix epoch: `(year, month 1-12, day 1-31)`.
pub fn civil_date(seconds: i64) -> (i64, usize, i64) {
    // Howard Hinnant's days-to-civil algorithm.
    let z = seconds.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, usize::try_from(month).unwrap_or(1), day)
}

/// Seconds since the Unix epoch of midnight UTC on a date (`month` 1-12): the inverse of [`civil_date`].
pub fn days_from_civil(year: i64, month: usize, day: i64) -> i64 {
    // Howard Hinnant's days-from-civil algorithm.
    let month = i64::try_from(month).unwrap_or(1);
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    (era * 146_097 + day_of_era - 719_468) * 86_400
}

/// The same day of the month `months` later, at midnight UTC; a day the later month lacks
/// becomes its last (31 January and one month is 28 or 29 February), as people count months.
pub fn months_later(seconds: i64, months: u32) -> i64 {
    let (year, month, day) = civil_date(seconds);
    let index = year * 12 + i64::try_from(month).unwrap_or(1) - 1 + i64::from(months);
    let (year, month) = (index.div_euclid(12), usize::try_from(index.rem_euclid(12) + 1).unwrap_or(1));
    let next_month = if month == 12 { days_from_civil(year + 1, 1, 1) } else { days_from_civil(year, month + 1, 1) };
    let days_in_month = (next_month - days_from_civil(year, month, 1)) / 86_400;
    days_from_civil(year, month, day.min(days_in_month))
}

/// A date as ISO 8601 writes it: `2027-02-23`.
pub fn iso_date(seconds: i64) -> String {
    let (year, month, day) = civil_date(seconds);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_on_a_calendar() {
        for (seconds, expected) in [
            (0, (1970, 1, 1)),
            (951_782_400, (2000, 2, 29)),
            (1_795_431_900, (2026, 11, 23)),
            (-86_400, (1969, 12, 31)),
        ] {
            assert_eq!(civil_date(seconds), expected, "{seconds}");
            let (year, month, day) = expected;
            assert_eq!(days_from_civil(year, month, day), seconds.div_euclid(86_400) * 86_400, "{seconds}");
        }
    }

    #[test]
    fn months_are_counted_as_people_count_them() {
        let date = |year, month, day| days_from_civil(year, month, day);
        for (from, months, expected) in [
            (date(2026, 11, 23) + 3600, 3, "2027-02-23"),
            (date(2026, 11, 30), 3, "2027-02-28"),
            (date(2027, 11, 30), 3, "2028-02-29"),
            (date(2026, 1, 31), 1, "2026-02-28"),
            (date(2026, 12, 3), 1, "2027-01-03"),
            (date(2026, 7, 31), 6, "2027-01-31"),
        ] {
            assert_eq!(iso_date(months_later(from, months)), expected, "{} + {months}", iso_date(from));
        }
    }
}
