//! Who is calling: one extractor per kind of caller, all checking credentials the same way.
//!
//! A credential opens one room (facilitator key, helper key, viewer key,
//! participant token) or every room (the admin token). What each may do is
//! the table in the README ("What each key may do"). The extractors read the room
//! code from the path and the bearer credential from the `Authorization`
//! header; the socket upgrade reads its credential from `?token=`, since
//! browsers cannot set headers on a WebSocket. Both go through
//! [`role_in_room`], so a credential means the same on every route.
//! Refusals are [`AuthError`]s, never the room's intent errors.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::Deserialize;
use serde_json::Value;
use subtle::ConstantTimeEq;
use touchpoint_core::identity::{ParticipantId, Role, RoomCode, RoomCodeError};
use touchpoint_core::room::follow_up::ContactKeeper;
use touchpoint_core::room::intent::Actor;

use super::error::ApiError;
use crate::app::AppState;
use crate::rooms::{Query as RoomQuery, lifecycle};
use crate::store::StoreError;

/// Why a caller may not do what they asked.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{0}")]
    InvalidRoomCode(RoomCodeError),
    #[error("send Authorization: Bearer <participant token or facilitator key>")]
    MissingRoomCredential,
    #[error("send Authorization: Bearer <admin token>")]
    MissingAdminToken,
    #[error("connect with ?token=…")]
    MissingSocketToken,
    #[error("this token does not open this room")]
    NotForThisRoom,
    #[error("the admin token is not valid")]
    NotAdmin,
    #[error("there is no room with this code")]
    RoomNotFound,
    #[error("only the facilitator can do this")]
    FacilitatorOnly,
    #[error("only participants can do this")]
    ParticipantOnly,
    #[error("only the facilitator and the projector can read the board's history")]
    BoardReadersOnly,
    #[error("the projector's key can only show the board")]
    ViewerReadOnly,
    #[error("only the helper key can do this")]
    HelperOnly,
    #[error("this helper key was replaced; ask the facilitator for the new link")]
    KeyRotated,
    #[error("this participant erased everything they gave, and their token with it; join again")]
    Erased,
    #[error("the room is unavailable; try again")]
    RoomUnavailable,
    #[error("the room could not be looked up")]
    Store(#[from] StoreError),
}

/// The admin: creates rooms and reads across them.
#[derive(Debug)]
pub struct Admin;

/// The facilitator of the room in the path.
#[derive(Debug)]
pub struct Facilitator(pub RoomCode);

/// Whoever may take a room's data away: its facilitator or the admin.
///
/// The admin's token is not checked against the room's existence: the handler's own lookup
/// answers that, as it must for the admin anyway.
#[derive(Debug)]
pub struct Analyst(pub RoomCode);

/// Whoever may write a room's public updates ("You said, we did"): today its facilitator.
///
/// This is the seam for the programme team's own key (issue #14): once programmes exist, their
/// key is accepted here too, and every updates route follows, since none asks for a role itself.
#[derive(Debug)]
pub struct UpdateWriter(pub RoomCode);

/// Whoever may read the board's past: the analysts and the projector, which replays it on the
/// big screen. The viewer key already syncs the whole board live, so its past tells the
/// projector nothing the room did not see. Participant tokens stay refused.
#[derive(Debug)]
pub struct BoardReader(pub RoomCode);

/// Whoever may read and manage the pledge contacts of the room in the path, and which key it
/// is (the contact audit trail names it). Today that is the room's facilitator key alone; the
/// programme's key joins here once programmes have keys.
#[derive(Debug)]
pub struct ContactReader {
    pub room: RoomCode,
    pub keeper: ContactKeeper,
}

/// A participant of the room in the path.
#[derive(Debug)]
pub struct Participant {
    pub room: RoomCode,
    pub id: ParticipantId,
}

/// A table host holding the present helper key of the room in the path.
#[derive(Debug)]
pub struct Helper {
    pub room: RoomCode,
    pub generation: u64,
}

/// Whoever may send intents to the room in the path: its facilitator, a helper or a participant.
#[derive(Debug)]
pub struct IntentSender {
    pub room: RoomCode,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        if bearer(&parts.headers).is_none() {
            return Err(AuthError::MissingAdminToken.into());
        }
        if bears_admin_token(app, &parts.headers) { Ok(Admin) } else { Err(AuthError::NotAdmin.into()) }
    }
}

impl FromRequestParts<AppState> for Facilitator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let room = room_in_path(parts, app).await?;
        match bearer_role(app, &room, &parts.headers).await? {
            Role::Facilitator => Ok(Facilitator(room)),
            Role::Viewer | Role::Participant(_) | Role::Helper { .. } => Err(AuthError::FacilitatorOnly.into()),
        }
    }
}

impl FromRequestParts<AppState> for Analyst {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let room = room_in_path(parts, app).await?;
        if bears_admin_token(app, &parts.headers) {
            return Ok(Analyst(room));
        }
        match bearer_role(app, &room, &parts.headers).await? {
            Role::Facilitator => Ok(Analyst(room)),
            Role::Viewer | Role::Participant(_) | Role::Helper { .. } => Err(AuthError::FacilitatorOnly.into()),
        }
    }
}

impl FromRequestParts<AppState> for UpdateWriter {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let room = room_in_path(parts, app).await?;
        match bearer_role(app, &room, &parts.headers).await? {
            Role::Facilitator => Ok(UpdateWriter(room)),
            Role::Viewer | Role::Participant(_) | Role::Helper { .. } => Err(AuthError::FacilitatorOnly.into()),
        }
    }
}

impl FromRequestParts<AppState> for BoardReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let room = room_in_path(parts, app).await?;
        if bears_admin_token(app, &parts.headers) {
            return Ok(BoardReader(room));
        }
        match bearer_role(app, &room, &parts.headers).await? {
            Role::Facilitator | Role::Viewer => Ok(BoardReader(room)),
            Role::Participant(_) | Role::Helper { .. } => Err(AuthError::BoardReadersOnly.into()),
        }
    }
}

impl FromRequestParts<AppState> for ContactReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let Facilitator(room) = Facilitator::from_request_parts(parts, app).await?;
        Ok(ContactReader { room, keeper: ContactKeeper::Facilitator })
    }
}

impl FromRequestParts<AppState> for Participant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let room = room_in_path(parts, app).await?;
        match bearer_role(app, &room, &parts.headers).await? {
            Role::Participant(id) => Ok(Participant { room, id }),
            Role::Facilitator | Role::Viewer | Role::Helper { .. } => Err(AuthError::ParticipantOnly.into()),
        }
    }
}

impl FromRequestParts<AppState> for Helper {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let room = room_in_path(parts, app).await?;
        match bearer_role(app, &room, &parts.headers).await? {
            Role::Helper { generation } => Ok(Helper { room, generation }),
            Role::Facilitator | Role::Viewer | Role::Participant(_) => Err(AuthError::HelperOnly.into()),
        }
    }
}

impl FromRequestParts<AppState> for IntentSender {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let room = room_in_path(parts, app).await?;
        let actor = match bearer_role(app, &room, &parts.headers).await? {
            Role::Facilitator => Actor::Facilitator,
            Role::Participant(id) => Actor::Participant(id),
            Role::Helper { generation } => Actor::Helper { generation },
            Role::Viewer => return Err(AuthError::ViewerReadOnly.into()),
        };
        Ok(IntentSender { room, actor })
    }
}

/// Who a credential says its bearer is in a room that exists, from a header or a socket's query.
///
/// A helper key is signed for one generation, and only the room knows which generation is
/// current, so a helper's credential costs a question to the room; every other is checked here.
pub async fn role_in_room(app: &AppState, room: &RoomCode, credential: &str) -> Result<Role, AuthError> {
    let Some(role) = app.secret.authenticate(room, credential) else {
        return Err(AuthError::NotForThisRoom);
    };
    if !lifecycle::exists(&app.registry, &app.store, room).await? {
        return Err(AuthError::RoomNotFound);
    }
    if let Role::Helper { generation } = role {
        match app.registry.read(room, RoomQuery::HelperGeneration).await {
            Ok(current) if current.as_u64() == Some(generation) => {}
            Ok(_) => return Err(AuthError::KeyRotated),
            Err(_) => return Err(AuthError::RoomUnavailable),
        }
    }
    Ok(role)
}

/// Refuses the token of a participant who erased themselves, before a socket is upgraded.
///
/// A participant token is signed, not stored, so it cannot be revoked; the room remembers whom
/// it erased instead. Intents and `/me` are refused by the room as it handles them, in the trip
/// they make anyway; a socket must hear 401 before its upgrade, so it asks the room first.
pub async fn refuse_erased(app: &AppState, room: &RoomCode, role: &Role) -> Result<(), AuthError> {
    let Role::Participant(participant) = role else { return Ok(()) };
    match app.registry.read(room, RoomQuery::Erased(*participant)).await {
        Ok(Value::Bool(false)) => Ok(()),
        Ok(_) => Err(AuthError::Erased),
        Err(_) => Err(AuthError::RoomUnavailable),
    }
}

/// A room code as a person typed it, checked.
pub fn parse_room_code(code: &str) -> Result<RoomCode, AuthError> {
    RoomCode::parse(code).map_err(AuthError::InvalidRoomCode)
}

/// The `{code}` segment of the route.
#[derive(Debug, Deserialize)]
struct RoomPath {
    code: String,
}

/// The room named in the path. A segment that is not even text is no valid code either.
async fn room_in_path(parts: &mut Parts, app: &AppState) -> Result<RoomCode, AuthError> {
    match Path::<RoomPath>::from_request_parts(parts, app).await {
        Ok(Path(path)) => parse_room_code(&path.code),
        Err(_) => Err(AuthError::InvalidRoomCode(RoomCodeError::InvalidCharacter)),
    }
}

/// The role of the bearer credential in `room`.
async fn bearer_role(app: &AppState, room: &RoomCode, headers: &HeaderMap) -> Result<Role, AuthError> {
    let credential = bearer(headers).ok_or(AuthError::MissingRoomCredential)?;
    role_in_room(app, room, credential).await
}

fn bears_admin_token(app: &AppState, headers: &HeaderMap) -> bool {
    bearer(headers).is_some_and(|credential| bool::from(credential.as_bytes().ct_eq(app.admin_token.as_bytes())))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use touchpoint_core::identity::ParticipantId;
    use tower::ServiceExt;

    use super::*;
    use crate::config::ServeConfig;
    use crate::rooms::lifecycle::{RoomRequest, check};

    /// Method, path, bearer credential, expected status, expected error code.
    type Case<'a> = (&'a str, String, Option<&'a str>, u16, Option<&'a str>);

    const ADMIN: &str = "the-admin-token-of-this-test";

    /// A server's state over a fresh data directory, with one room in it.
    struct Fixture {
        app: AppState,
        room: RoomCode,
        _data: tempfile::TempDir,
    }

    impl Fixture {
        async fn new() -> anyhow::Result<Self> {
            let data = tempfile::tempdir()?;
            let mut config = ServeConfig::new(([127, 0, 0, 1], 0).into(), data.path().to_owned());
            config.admin_token = Some(ADMIN.to_owned());
            config.workshops_dir = data.path().join("no-workshops");
            let (app, _store_runner) = crate::open(config, ([127, 0, 0, 1], 0).into()).await?;
            let request = RoomRequest { title: "Room", programme: None, template: None, template_definition: None };
            let room = check(request, &app.templates, app.config.limits.max_title_chars)?;
            let room = lifecycle::create(&app.store, room).await?.code;
            Ok(Fixture { app, room, _data: data })
        }

        /// Sends a request through the whole router and checks its status and error code.
        async fn check(&self, method: &str, path: &str, credential: Option<&str>, expected: (u16, Option<&str>)) {
            let mut request = Request::builder().method(method).uri(path);
            if let Some(credential) = credential {
                request = request.header(header::AUTHORIZATION, format!("Bearer {credential}"));
            }
            let request = request.body(Body::empty()).expect("the test's request is well formed");
            let response = crate::http::router(self.app.clone()).oneshot(request).await;
            let response = response.expect("the router is infallible");
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("the body is small");
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let code = body["error"]["code"].as_str();
            assert_eq!((status, code), expected, "{method} {path} with {credential:?}");
        }
    }

    #[tokio::test]
    async fn extractors_refuse_with_a_status_and_a_code() -> anyhow::Result<()> {
        let fixture = Fixture::new().await?;
        let room = &fixture.room;
        let secret = &fixture.app.secret;
        let facilitator = secret.facilitator_key(room);
        let viewer = secret.viewer_key(room);
        let participant = secret.participant_token(room, ParticipantId::from_random([7; 16]));
        let helper = secret.helper_key(room, 0);
        let rotated_helper = secret.helper_key(room, 5);
        let missing = RoomCode::parse("ABCDEFGHJK")?;
        let missing_facilitator = secret.facilitator_key(&missing);
        let cases: Vec<Case<'_>> = vec![
            ("GET", format!("/api/rooms/{room}/projector"), None, 401, Some("missing_token")),
            ("GET", format!("/api/rooms/{room}/projector"), Some("nonsense"), 403, Some("invalid_token")),
            ("GET", format!("/api/rooms/{missing}/projector"), Some(&facilitator), 403, Some("invalid_token")),
            ("GET", "/api/rooms/not-a-code/projector".to_owned(), Some(&facilitator), 400, Some("invalid_room_code")),
            ("GET", format!("/api/rooms/{missing}/projector"), Some(&missing_facilitator), 404, Some("room_not_found")),
            ("GET", format!("/api/rooms/{room}/projector"), Some(&participant), 403, Some("facilitator_only")),
            ("GET", format!("/api/rooms/{room}/projector"), Some(&viewer), 403, Some("facilitator_only")),
            ("GET", format!("/api/rooms/{room}/projector"), Some(ADMIN), 403, Some("invalid_token")),
            ("GET", format!("/api/rooms/{room}/projector"), Some(&facilitator), 200, None),
            ("GET", format!("/api/rooms/{room}/export.json"), Some(&participant), 403, Some("facilitator_only")),
            ("GET", format!("/api/rooms/{room}/export.json"), Some(&viewer), 403, Some("facilitator_only")),
            ("GET", format!("/api/rooms/{room}/export.json"), Some(ADMIN), 200, None),
            ("GET", format!("/api/rooms/{missing}/export.json"), Some(ADMIN), 404, Some("room_not_found")),
            ("GET", format!("/api/rooms/{room}/history"), None, 401, Some("missing_token")),
            ("GET", format!("/api/rooms/{room}/history"), Some(&participant), 403, Some("facilitator_only")),
            ("GET", format!("/api/rooms/{room}/history"), Some(&viewer), 200, None),
            ("GET", format!("/api/rooms/{missing}/history"), Some(ADMIN), 404, Some("room_not_found")),
            ("GET", format!("/api/rooms/{room}/me"), Some(&facilitator), 403, Some("participant_only")),
            ("GET", format!("/api/rooms/{room}/me"), Some(&viewer), 403, Some("participant_only")),
            ("POST", format!("/api/rooms/{room}/intents"), Some(&viewer), 403, Some("viewer_read_only")),
            ("GET", format!("/api/rooms/{room}/projector"), Some(&helper), 403, Some("facilitator_only")),
            ("GET", format!("/api/rooms/{room}/history"), Some(&helper), 403, Some("facilitator_only")),
            ("GET", format!("/api/rooms/{room}/me"), Some(&helper), 403, Some("participant_only")),
            ("GET", format!("/api/rooms/{room}/helper/entries"), Some(&helper), 200, None),
            ("GET", format!("/api/rooms/{room}/helper/entries"), Some(&facilitator), 403, Some("helper_only")),
            ("GET", format!("/api/rooms/{room}/helper/entries"), Some(&rotated_helper), 403, Some("key_rotated")),
            ("GET", format!("/api/rooms/{room}/projector"), Some(&rotated_helper), 403, Some("key_rotated")),
            ("GET", format!("/api/rooms/{room}/helper-key"), Some(&helper), 403, Some("facilitator_only")),
            ("POST", format!("/api/rooms/{room}/intents"), None, 401, Some("missing_token")),
            ("POST", "/api/rooms".to_owned(), None, 401, Some("missing_token")),
            ("POST", "/api/rooms".to_owned(), Some(&facilitator), 403, Some("invalid_token")),
            ("GET", "/api/programmes/North/report.html".to_owned(), Some(&facilitator), 403, Some("invalid_token")),
            ("GET", "/api/programmes/North/report.html".to_owned(), Some(ADMIN), 404, Some("programme_not_found")),
        ];
        for (method, path, credential, status, code) in cases {
            fixture.check(method, &path, credential, (status, code)).await;
        }
        Ok(())
    }
}
