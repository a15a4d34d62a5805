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
        }
    }
}
