//! Whether a text looks like it names or identifies a person, and why.
//!
//! What people write reaches the big screen, and a room of forty people is
//! no place for a nurse's name, a phone number or an NHS number. The checks
//! are deliberately simple and err towards holding a note for the
//! facilitator, who sees the reasons and approves it with one tap: a false
//! alarm costs a moment, a name on the projector cannot be taken back. They
//! read the text alone, with no list of names, so they work in any room.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Why a text looks like it identifies someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A title such as Dr or Nurse followed by a capitalised word: "Dr Patel".
    TitledName,
    /// A UK phone number, mobile or landline, national or with +44.
    PhoneNumber,
    Email,
    /// Ten digits whose last is a valid NHS modulus-11 check digit.
    NhsNumber,
}

/// Titles that, written with a capital and followed by a capitalised word, name a person.
const TITLES: [&str; 20] = [
    "dr",
    "doctor",
    "nurse",
    "sister",
    "matron",
    "midwife",
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "prof",
    "professor",
    "sir",
    "dame",
    "lady",
    "lord",
    "rev",
    "reverend",
    "father",
];

/// Every reason `text` looks like it identifies someone, in order, each once; empty if none.
pub fn identifying(text: &str) -> Vec<Reason> {
    let mut reasons = Vec::new();
    if has_titled_name(text) {
        reasons.push(Reason::TitledName);
    }
    for digits in number_runs(text) {
        if is_phone_number(&digits) {
            reasons.push(Reason::PhoneNumber);
        }
        if is_nhs_number(&digits) {
            reasons.push(Reason::NhsNumber);
        }
    }
    if has_email(text) {
        reasons.push(Reason::Email);
    }
    reasons.sort();
    reasons.dedup();
    reasons
}

/// A capitalised title ("Dr", "Dr.", "NURSE") followed by a word that starts with a capital.
fn has_titled_name(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(2).any(|pair| {
        let title = pair[0].trim_end_matches(['.', ',', ':']);
        let starts_upper = |word: &str| word.chars().next().is_some_and(char::is_uppercase);
        let name = pair[1].trim_start_matches(['(', '"', '\'', '“', '‘']);
        starts_upper(title) && TITLES.contains(&title.to_lowercase().as_str()) && starts_upper(name)
    })
}

/// The digits of each run of a number as people write one: digits in groups split by a
/// space, a dash or brackets ("07700 900123", "+44 (0)20 7946 0000"), a leading `+`
/// kept. A colon, slash or dot ends a run, so times and dates stay short runs of their own.
fn number_runs(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts =
            chars[i].is_ascii_digit() || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit));
        if !starts || (i > 0 && chars[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let mut digits = String::new();
        if chars[i] == '+' {
            digits.push('+');
            i += 1;
        }
        loop {
            while i < chars.len() && chars[i].is_ascii_digit() {
                digits.push(chars[i]);
                i += 1;
            }
            // At most two separators between groups ("07700 - 900123" is two numbers, not one).
            let mut j = i;
            while j < chars.len() && j - i < 2 && matches!(chars[j], ' ' | '-' | '(' | ')') {
                j += 1;
            }
            if j > i && chars.get(j).is_some_and(char::is_ascii_digit) {
                i = j;
            } else {
                break;
            }
        }
        runs.push(digits);
    }
    runs
}

/// A UK number: 10 or 11 digits from a leading 0, or +44 (or 0044) and 9 or 10 more, an
/// optional "(0)" after the country code left out.
fn is_phone_number(digits: &str) -> bool {
    let national = match digits.strip_prefix("+44").or_else(|| digits.strip_prefix("0044")) {
        Some(rest) => rest.strip_prefix('0').unwrap_or(rest).to_owned(),
        None => match digits.strip_prefix('0') {
            Some(rest) if !rest.starts_with('0') => rest.to_owned(),
            _ => return false,
        },
    };
    (9..=10).contains(&national.len()) && national.starts_with(['1', '2', '3', '5', '7', '8'])
}

/// Ten digits, spaced or not, whose tenth is the modulus-11 check digit of the first nine.
fn is_nhs_number(digits: &str) -> bool {
    let values: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.starts_with('+') || values.len() != 10 {
        return false;
    }
    let sum: u32 = values[..9].iter().zip((2..=10).rev()).map(|(digit, weight)| digit * weight).sum();
    match 11 - sum % 11 {
        11 => values[9] == 0,
        10 => false,
        check => values[9] == check,
    }
}

/// Something `@` something with a dot in its domain.
fn has_email(text: &str) -> bool {
    let local = |c: char| c.is_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c);
    let domain = |c: char| c.is_alphanumeric() || c == '.' || c == '-';
    text.match_indices('@').any(|(at, _)| {
        let before = text[..at].chars().rev().take_while(|c| local(*c)).count();
        let after: String = text[at + 1..].chars().take_while(|c| domain(*c)).collect();
        let after = after.trim_end_matches('.');
        let labels: Vec<&str> = after.split('.').collect();
        before > 0 && labels.len() >= 2 && labels.iter().all(|label| !label.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::Reason::{Email, NhsNumber, PhoneNumber, TitledName};
    use super::*;

    fn check(text: &str, expected: &[Reason]) {
        assert_eq!(identifying(text), expected, "{text:?}");
    }

    #[test]
    fn what_identifies_a_person_and_what_does_not() {
        let table: &[(&str, &[Reason])] = &[
            // Names after a title.
            ("Dr Patel was kind", &[TitledName]),
            ("Dr. Patel was kind", &[TitledName]),
            ("thank you Nurse Jones!", &[TitledName]),
            ("Sister O'Brien on ward 4", &[TitledName]),
            ("MRS Evans at reception", &[TitledName]),
            ("Prof Ahmed explained it", &[TitledName]),
            ("the doctor was kind", &[]),
            ("Doctor was kind", &[]),
            ("I saw a nurse, Helen", &[]),
            ("the nurse Practitioner", &[]),
            ("Missed appointments", &[]),
            ("I miss Manchester", &[]),
            // Phone numbers.
            ("call me on 07700 900123", &[PhoneNumber]),
            ("07700900123", &[PhoneNumber]),
            ("07700-900-123", &[PhoneNumber]),
            ("+44 7700 900123", &[PhoneNumber]),
            ("+44 (0)20 7946 0000", &[PhoneNumber]),
            ("ring 020 7946 0000 anytime", &[PhoneNumber]),
            ("0113 496 0000", &[PhoneNumber]),
            ("0044 7700 900123", &[PhoneNumber]),
            // Times, dates and other numbers are not phone numbers.
            ("clinic 09:00 - 17:00", &[]),
            ("seen on 01/02/2024 at 10.30", &[]),
            ("from 2024-03-12 to 2024-03-19", &[]),
            ("waited 0 to 10 minutes", &[]),
            ("ward 12, bed 4, 111 calls", &[]),
            ("call 111 or 999", &[]),
            ("12 03 2024", &[]),
            // NHS numbers: ten digits with a valid check digit, spaced 3-3-4 or not.
            ("my number is 943 476 5919", &[NhsNumber]),
            ("9434765919", &[NhsNumber]),
            ("943-476-5919", &[NhsNumber]),
            ("1234567890", &[]),
            ("943 476 5918", &[]),
            ("ref 4010232137 is fine", &[NhsNumber]),
            // Email addresses.
            ("write to jo.bloggs@nhs.net", &[Email]),
            ("JO@example.org.uk.", &[Email]),
            ("meet @ 3pm", &[]),
            ("me@home", &[]),
            ("@nhs.net", &[]),
            // Several reasons at once, each once.
            ("Dr Patel 07700 900123 or 07700 900124, dr.p@nhs.net", &[TitledName, PhoneNumber, Email]),
            ("", &[]),
            ("Привет 🙂 مرحبا", &[]),
        ];
        for (text, expected) in table {
            check(text, expected);
        }
    }
}
