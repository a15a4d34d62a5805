//! A room's life outside its task: created (checked against the limits), found, deleted.
//!
//! The HTTP handlers, the `serve` command's demo room and the checking of
//! credentials all come here rather than to the store, so that "this room
//! exists" has one meaning everywhere: live in the registry, or stored.

use std::collections::BTreeMap;

use touchpoint_core::identity::{CODE_LEN, RoomCode};
use touchpoint_core::room::RoomDocs;
use touchpoint_core::template::{Template, TemplateError, validate};

use crate::clock::unix_now;
use crate::rooms::RoomRegistry;
use crate::store::{RoomRecord, Store, StoreError};

/// The template the demo room runs, when it is installed.
const DEMO_TEMPLATE: &str = "current-experience";

/// A room as someone asked for it, before any check.
#[derive(Debug, Clone, Copy)]
pub struct RoomRequest<'a> {
    pub title: &'a str,
    pub programme: Option<&'a str>,
    /// The id of a template the server offers.
    pub template: Option<&'a str>,
    /// A whole template of the caller's own.
    pub template_definition: Option<&'a Template>,
}

/// A room that passed every check and can be created.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRoom {
    title: String,
    programme: Option<String>,
    template: Option<Template>,
}

/// Why a room cannot be created as asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CreateError {
    #[error("a room needs a title of 1 to {max} characters")]
    InvalidTitle { max: usize },
    #[error("a programme name has at most {max} characters")]
    InvalidProgramme { max: usize },
    #[error("give a template id or a template definition, not both")]
    TemplateConflict,
    #[error("there is no workshop template called {0:?}")]
    UnknownTemplate(String),
    #[error(transparent)]
    InvalidTemplate(#[from] TemplateError),
}

/// Checks a request against the templates on offer and the longest title allowed.
///
/// Titles and programme names are trimmed; an empty programme name means none.
pub fn check(
    request: RoomRequest<'_>,
    templates: &BTreeMap<String, Template>,
    max_title_chars: usize,
) -> Result<NewRoom, CreateError> {
    let title = request.title.trim();
    if title.is_empty() || title.chars().count() > max_title_chars {
        return Err(CreateError::InvalidTitle { max: max_title_chars });
    }
    let programme = request.programme.map(str::trim).filter(|programme| !programme.is_empty());
    if programme.is_some_and(|programme| programme.chars().count() > max_title_chars) {
        return Err(CreateError::InvalidProgramme { max: max_title_chars });
    }
    let template = match (request.template, request.template_definition) {
        (Some(_), Some(_)) => return Err(CreateError::TemplateConflict),
        (Some(id), None) => {
            Some(templates.get(id).cloned().ok_or_else(|| CreateError::UnknownTemplate(id.to_owned()))?)
        }
        (None, Some(definition)) => {
            validate(definition, "uploaded template")?;
            Some(definition.clone())
        }
        (None, None) => None,
    };
    Ok(NewRoom { title: title.to_owned(), programme: programme.map(str::to_owned), template })
}

/// Stores a new room with a fresh code and its board laid out from its template.
pub async fn create(store: &Store, room: NewRoom) -> Result<RoomRecord, StoreError> {
    store_room(store, room, false).await
}

/// The demo room made at first start, made now if there is none yet.
pub async fn demo(store: &Store, templates: &BTreeMap<String, Template>) -> Result<RoomRecord, StoreError> {
    if let Some(record) = store.demo_room().await? {
        return Ok(record);
    }
    let template = templates.get(DEMO_TEMPLATE).or_else(|| templates.values().next()).cloned();
    let room = NewRoom { title: "Demo workshop".to_owned(), programme: None, template };
    store_room(store, room, true).await
}

/// What is known of a room, or `None` if there is no such room.
pub async fn find(store: &Store, code: &RoomCode) -> Result<Option<RoomRecord>, StoreError> {
    store.room(code).await
}

/// Whether a room exists. A live room exists without asking the store: intents, the busiest
/// requests, then cost no store round trip before they reach their room.
pub async fn exists(registry: &RoomRegistry, store: &Store, code: &RoomCode) -> Result<bool, StoreError> {
    Ok(registry.is_live(code) || find(store, code).await?.is_some())
}

/// Deletes a room and everything kept of it; false if there was no such room.
pub async fn delete(registry: &RoomRegistry, store: &Store, code: &RoomCode) -> Result<bool, StoreError> {
    if find(store, code).await?.is_none() {
        return Ok(false);
    }
    registry.delete(code).await?;
    Ok(true)
}

async fn store_room(store: &Store, room: NewRoom, is_demo: bool) -> Result<RoomRecord, StoreError> {
    let record = RoomRecord {
        code: RoomCode::from_random(rand::random::<[u8; CODE_LEN]>()),
        title: room.title,
        is_demo,
        created_at: unix_now() as i64,
        template: room.template,
        programme: room.programme,
    };
    let layout = RoomDocs::default().initialise(&record.title, record.programme.as_deref(), record.template.as_ref());
    store.create_room(record.clone(), layout).await?;
    tracing::info!(room = %record.code, template = ?record.template.as_ref().map(|t| &t.id), "room created");
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 10;

    fn check_request(request: RoomRequest<'_>, expected: Result<(&str, Option<&str>, Option<&str>), CreateError>) {
        let mut templates = BTreeMap::new();
        templates.insert("shipped".to_owned(), template("shipped"));
        let actual = check(request, &templates, MAX);
        let actual = actual.as_ref().map(|room| {
            (room.title.as_str(), room.programme.as_deref(), room.template.as_ref().map(|t| t.id.as_str()))
        });
        assert_eq!(actual, expected.as_ref().map(|expected| *expected), "{request:?}");
    }

    /// A shipped template under another id: it is known to be valid.
    fn template(id: &str) -> Template {
        let text = include_str!("../../../../workshops/current-experience.toml");
        let template = touchpoint_core::template::parse_template(text, "current-experience.toml");
        Template { id: id.to_owned(), ..template.expect("a shipped template parses") }
    }

    fn request(title: &str) -> RoomRequest<'_> {
        RoomRequest { title, programme: None, template: None, template_definition: None }
    }

    #[test]
    fn titles_are_trimmed_and_bounded() {
        check_request(request("  Room  "), Ok(("Room", None, None)));
        check_request(request("ten chars!"), Ok(("ten chars!", None, None)));
        check_request(request("   "), Err(CreateError::InvalidTitle { max: MAX }));
        check_request(request("eleven char"), Err(CreateError::InvalidTitle { max: MAX }));
    }

    #[test]
    fn an_empty_programme_is_none_and_a_long_one_is_refused() {
        check_request(RoomRequest { programme: Some("  "), ..request("Room") }, Ok(("Room", None, None)));
        check_request(RoomRequest { programme: Some(" North "), ..request("Room") }, Ok(("Room", Some("North"), None)));
        check_request(
            RoomRequest { programme: Some("eleven char"), ..request("Room") },
            Err(CreateError::InvalidProgramme { max: MAX }),
        );
    }

    #[test]
    fn a_template_is_named_or_given_never_both() {
        let own = template("own");
        check_request(
            RoomRequest { template: Some("shipped"), ..request("Room") },
            Ok(("Room", None, Some("shipped"))),
        );
        check_request(
            RoomRequest { template: Some("nope"), ..request("Room") },
            Err(CreateError::UnknownTemplate("nope".to_owned())),
        );
        check_request(
            RoomRequest { template_definition: Some(&own), ..request("Room") },
            Ok(("Room", None, Some("own"))),
        );
        check_request(
            RoomRequest { template: Some("shipped"), template_definition: Some(&own), ..request("Room") },
            Err(CreateError::TemplateConflict),
        );
    }

    #[test]
    fn the_title_is_checked_before_the_template() {
        check_request(
            RoomRequest { template: Some("nope"), ..request("") },
            Err(CreateError::InvalidTitle { max: MAX }),
        );
    }
}
