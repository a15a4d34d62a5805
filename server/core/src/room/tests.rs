//! Every intent rule at the level of the room's documents, from one table of cases.
//!
//! Each case starts from the same scene: a room laid out from the shipped
//! workshops under `workshops/` (their activities together in one room),
//! two participants (Alice, a person; Bob, who said nothing of himself), and
//! the emotion map, the PATH, the pledges, the ideas and the feedback open. A case may set
//! up more (`given`), then applies one intent and compares the answer with
//! the JSON every client reads, or the refusal with its stable code. Every
//! accepted intent is also retried with its key, which must answer the same.

use serde_json::Value;
use yrs::{Map, MapRef, Out, ReadTxn, Transact, WriteTxn};

use super::holds::Status;
use super::intent::{Actor, IntentError, IntentRequest, MAX_FEEDBACK_CHARS, MAX_NAME_CHARS, MAX_NOTE_CHARS, Profile};
use super::layout::{ActivityKind, Collection, board, ledger};
use super::{Context, RoomDocs};
use crate::disclosure::MinCount;
use crate::identity::ParticipantId;
use crate::template::{Template, parse_template};

/// The scene's clock: seconds since the Unix epoch.
const NOW: u64 = 1_700_000_000;

const SHIPPED: [(&str, &str); 5] = [
    ("current-experience.toml", include_str!("../../../../workshops/current-experience.toml")),
    ("desired-experience.toml", include_str!("../../../../workshops/desired-experience.toml")),
    ("improvement-planning.toml", include_str!("../../../../workshops/improvement-planning.toml")),
    ("path-planning.toml", include_str!("../../../../workshops/path-planning.toml")),
    ("pledge-event.toml", include_str!("../../../../workshops/pledge-event.toml")),
];

#[derive(Debug, Clone, Copy)]
enum Who {
    Alice,
    Bob,
    Facilitator,
    /// A table host with the room's helper key (never rotated).
    Helper,
}

/// What a case sets up before its intent.
enum Given {
    /// An intent that must be accepted; the n-th step creates `id<n>` if it creates anything.
    Intent(Who, &'static str),
    /// A change the facilitator's client writes on the board directly.
    Write(fn(&RoomDocs)),
    /// A room made without a template, instead of the scene.
    Bare,
}

enum Expected {
    /// The answer's JSON.
    Answer(&'static str),
    /// The refusal's code.
    Refused(&'static str),
}

use Expected::{Answer, Refused};
use Who::{Alice, Bob, Facilitator, Helper};

struct Case {
    name: &'static str,
    given: Vec<Given>,
    who: Who,
    intent: String,
    expected: Expected,
}

fn case(name: &'static str, who: Who, intent: impl Into<String>, expected: Expected) -> Case {
    Case { name, given: Vec::new(), who, intent: intent.into(), expected }
}

impl Case {
    fn given(mut self, given: Given) -> Self {
        self.given.push(given);
        self
    }

    fn by(self, who: Who, intent: &'static str) -> Self {
        self.given(Given::Intent(who, intent))
    }
}

const ALICE_CARD: &str = r#"{"kind":"add_card","activity":"current-map","touchpoint":"booking","emotion":"hopeful"}"#;
const ALICE_IDEA: &str = r#"{"kind":"add_idea","activity":"ideas","text":"A phone line for carers"}"#;
const ALICE_PLEDGE: &str =
    r#"{"kind":"add_pledge","activity":"pledges","text":"I will call back","contact":"a@b.c","contact_consent":true}"#;
const ALICE_FEEDBACK: &str = r#"{"kind":"set_feedback","activity":"feedback","rating":4,"worked":"Small tables"}"#;
const LOCK_FEEDBACK: &str = r#"{"kind":"lock_activity","activity":"feedback"}"#;
const OPEN_VOTE: &str = r#"{"kind":"open_activity","activity":"options"}"#;
const LOCK_MAP: &str = r#"{"kind":"lock_activity","activity":"current-map"}"#;
const ALICE_NAMING: &str = r#"{"kind":"add_card","activity":"current-map","touchpoint":"booking","emotion":"hopeful","note":"Dr Patel was kind"}"#;
const MODERATE_IDEAS: &str = r#"{"kind":"set_moderation","activity":"ideas","moderated":true}"#;
const PAPER_CARD: &str = r#"{"kind":"add_card","activity":"current-map","touchpoint":"booking","emotion":"anxious","on_behalf_of":{"perspective":"carer"}}"#;
const PAPER_BALLOT: &str = r#"{"kind":"add_paper_ballot","activity":"options","dots":{"same-day-callback":2},"scores":{"one-review":5},"on_behalf_of":{"perspective":"staff","role":"gp"}}"#;

fn cases() -> Vec<Case> {
    vec![
        // Any intent.
        case("a key is needed", Alice, r#"{"key":"","kind":"stop_timer"}"#, Refused("invalid_key")),
        case("a room without a template takes no intent", Alice, ALICE_CARD, Refused("no_template")).given(Given::Bare),
        // A board its facilitator's client wrote in the wrong shape: the place is named, the rest works.
        case("an activity of no known kind is a damaged board", Alice, ALICE_IDEA, Refused("board_damaged"))
            .given(Given::Write(unknown_kind_of_ideas)),
        case("touchpoints that are not a list are a damaged board", Alice, ALICE_CARD, Refused("board_damaged"))
            .given(Given::Write(touchpoints_not_a_list)),
        case("a state that is not a stage is a damaged board", Alice, ALICE_CARD, Refused("board_damaged"))
            .given(Given::Write(state_a_number)),
        case("an activity that is not a map is a damaged board", Alice, ALICE_CARD, Refused("board_damaged"))
            .given(Given::Write(activity_a_string)),
        case("a card that is not a card is a damaged board", Alice, r#"{"kind":"edit_card","id":"id1","note":"x"}"#,
            Refused("board_damaged"))
            .by(Alice, ALICE_CARD)
            .given(Given::Write(card_a_number)),
        case("other activities work on a damaged board", Alice, ALICE_IDEA, Answer(r#"{"id":"id1"}"#))
            .given(Given::Write(touchpoints_not_a_list)),
        case("a perspective is refused while the list is damaged", Alice,
            r#"{"kind":"set_profile","profile":{"perspective":"carer"}}"#, Refused("board_damaged"))
            .given(Given::Write(perspectives_not_a_list)),
        case("no perspective is given while the list is damaged", Alice,
            r#"{"kind":"set_profile","profile":{"remote":true}}"#, Answer(r#"{"profile":{"remote":true}}"#))
            .given(Given::Write(perspectives_not_a_list)),
        case("someone is erased from a board whose vote is damaged", Alice, r#"{"kind":"erase_me"}"#,
            Answer(r#"{"erased":1}"#))
            .by(Alice, ALICE_CARD)
            .given(Given::Write(options_not_a_list)),
        case("a ledger in an unexpected state is the server's fault", Alice, r#"{"kind":"withdraw","id":"id1"}"#,
            Refused("corrupt_room"))
            .by(Alice, ALICE_CARD)
            .given(Given::Write(owner_a_number)),
        // Profiles.
        case("a profile", Alice, r#"{"kind":"set_profile","profile":{"perspective":"carer"}}"#,
            Answer(r#"{"profile":{"perspective":"carer"}}"#)),
        case("a profile with segments", Bob,
            r#"{"kind":"set_profile","profile":{"perspective":"staff","role":"gp","segments":{"working":"retired"},"remote":true}}"#,
            Answer(r#"{"profile":{"perspective":"staff","role":"gp","segments":{"working":"retired"},"remote":true}}"#)),
        case("only participants have a profile", Facilitator, r#"{"kind":"set_profile","profile":{}}"#,
            Refused("participant_only")),
        case("a perspective the room has", Alice, r#"{"kind":"set_profile","profile":{"perspective":"alien"}}"#,
            Refused("invalid_profile")),
        case("a role of the perspective", Alice,
            r#"{"kind":"set_profile","profile":{"perspective":"person","role":"gp"}}"#, Refused("invalid_profile")),
        case("a role needs a perspective", Alice, r#"{"kind":"set_profile","profile":{"role":"gp"}}"#,
            Refused("invalid_profile")),
        case("a segment the room has", Alice, r#"{"kind":"set_profile","profile":{"segments":{"shoe-size":"9"}}}"#,
            Refused("invalid_profile")),
        case("an answer the segment offers", Alice,
            r#"{"kind":"set_profile","profile":{"segments":{"working":"sometimes"}}}"#, Refused("invalid_profile")),
        // Cards.
        case("a card with an emotion", Alice, ALICE_CARD, Answer(r#"{"id":"id1"}"#)),
        case("a card with one's own word", Alice,
            r#"{"kind":"add_card","activity":"current-map","touchpoint":"booking","word":" rushed ","note":"hi"}"#,
            Answer(r#"{"id":"id1"}"#)),
        case("an emotion or a word, not both", Alice,
            r#"{"kind":"add_card","activity":"current-map","touchpoint":"booking","emotion":"hopeful","word":"x"}"#,
            Refused("emotion_or_word")),
        case("an emotion or a word, not neither", Alice,
            r#"{"kind":"add_card","activity":"current-map","touchpoint":"booking"}"#, Refused("emotion_or_word")),
        case("a word only where a blank card is offered", Alice,
            r#"{"kind":"add_card","activity":"current-map","touchpoint":"booking","word":"rushed"}"#,
            Refused("no_own_word"))
        .given(Given::Write(no_own_word)),
        case("a card on an activity the room has", Alice,
            r#"{"kind":"add_card","activity":"nope","touchpoint":"booking","emotion":"hopeful"}"#,
            Refused("unknown_activity")),
        case("a card on an emotion map", Alice,
            r#"{"kind":"add_card","activity":"path","touchpoint":"booking","emotion":"hopeful"}"#,
            Refused("wrong_activity_kind")),
        case("a card at a touchpoint of the map", Alice,
            r#"{"kind":"add_card","activity":"current-map","touchpoint":"nope","emotion":"hopeful"}"#,
            Refused("unknown_choice")),
        case("a card with an emotion of the vocabulary", Alice,
            r#"{"kind":"add_card","activity":"current-map","touchpoint":"booking","emotion":"smug"}"#,
            Refused("unknown_choice")),
        case("a card on an open map", Alice,
            r#"{"kind":"add_card","activity":"desired-map","touchpoint":"booking","emotion":"hopeful"}"#,
            Refused("activity_not_open")),
        case("a note of at most 280 characters", Alice, long_note(), Refused("too_long")),
        case("a facilitator's card is a paper card", Facilitator, ALICE_CARD, Refused("participant_only")),
        case("a paper card", Facilitator,
            r#"{"kind":"add_card","activity":"current-map","touchpoint":"booking","emotion":"hopeful","on_behalf_of":{"perspective":"staff","role":"gp"}}"#,
            Answer(r#"{"id":"id1"}"#)),
        case("a paper card on a locked map", Facilitator,
            r#"{"kind":"add_card","activity":"current-map","touchpoint":"booking","emotion":"hopeful","on_behalf_of":{}}"#,
            Answer(r#"{"id":"id2"}"#))
        .by(Facilitator, LOCK_MAP),
        case("a paper card from a perspective the room has", Facilitator,
            r#"{"kind":"add_card","activity":"current-map","touchpoint":"booking","emotion":"hopeful","on_behalf_of":{"perspective":"alien"}}"#,
            Refused("invalid_profile")),
        case("only the facilitator types in paper cards", Alice,
            r#"{"kind":"add_card","activity":"current-map","touchpoint":"booking","emotion":"hopeful","on_behalf_of":{}}"#,
            Refused("facilitator_only")),
        case("one's own card changes", Alice,
            r#"{"kind":"edit_card","id":"id1","touchpoint":"tests","word":"lost","note":""}"#, Answer(r#"{"id":"id1"}"#))
        .by(Alice, ALICE_CARD),
        case("only one's own card changes", Bob, r#"{"kind":"edit_card","id":"id1","note":"mine now"}"#,
            Refused("not_yours"))
        .by(Alice, ALICE_CARD),
        case("a card that is there changes", Alice, r#"{"kind":"edit_card","id":"nope"}"#,
            Refused("unknown_contribution")),
        case("an idea is not a card", Alice, r#"{"kind":"edit_card","id":"id1","note":"x"}"#,
            Refused("unknown_contribution"))
        .by(Alice, ALICE_IDEA),
        case("a card changes while its map is open", Alice, r#"{"kind":"edit_card","id":"id1","note":"x"}"#,
            Refused("activity_not_open"))
        .by(Alice, ALICE_CARD)
        .by(Facilitator, LOCK_MAP),
        // Late contributions: after the close, kept and marked, never before the opening.
        case("a card after its map closed is kept as late", Alice, ALICE_CARD, Answer(r#"{"id":"id2","late":true}"#))
            .by(Facilitator, LOCK_MAP),
        case("no late card where the map never opened", Alice,
            r#"{"kind":"add_card","activity":"desired-map","touchpoint":"booking","emotion":"hopeful"}"#,
            Refused("activity_not_open"))
        .by(Facilitator, r#"{"kind":"lock_activity","activity":"desired-map"}"#),
        case("a late PATH note", Bob, r#"{"kind":"add_path_note","activity":"path","section":"goal","text":"People can"}"#,
            Answer(r#"{"id":"id2","late":true}"#))
        .by(Facilitator, r#"{"kind":"lock_activity","activity":"path"}"#),
        case("a late idea", Bob, ALICE_IDEA, Answer(r#"{"id":"id2","late":true}"#))
            .by(Facilitator, r#"{"kind":"lock_activity","activity":"ideas"}"#),
        case("a late pledge", Alice, ALICE_PLEDGE, Answer(r#"{"id":"id2","late":true}"#))
            .by(Facilitator, r#"{"kind":"lock_activity","activity":"pledges"}"#),
        case("a late touchstone", Alice, r#"{"kind":"add_touchstone","activity":"pledges","word":"kindness"}"#,
            Answer(r#"{"id":"id2","late":true}"#))
        .by(Facilitator, r#"{"kind":"lock_activity","activity":"pledges"}"#),
        case("a late comment on an option", Alice,
            r#"{"kind":"add_idea","activity":"options","option":"one-review","text":"Yes please"}"#,
            Answer(r#"{"id":"id3","late":true}"#))
        .by(Facilitator, OPEN_VOTE)
        .by(Facilitator, r#"{"kind":"lock_activity","activity":"options"}"#),
        case("late dots are not counted", Alice,
            r#"{"kind":"set_dots","activity":"options","option":"one-review","dots":1}"#, Refused("activity_not_open"))
        .by(Facilitator, OPEN_VOTE)
        .by(Facilitator, r#"{"kind":"lock_activity","activity":"options"}"#),
        case("a late score is not counted", Alice,
            r#"{"kind":"set_score","activity":"options","option":"one-review","score":4}"#,
            Refused("activity_not_open"))
        .by(Facilitator, OPEN_VOTE)
        .by(Facilitator, r#"{"kind":"lock_activity","activity":"options"}"#),
        // Withdrawing.
        case("one's own card withdrawn", Alice, r#"{"kind":"withdraw","id":"id1"}"#,
            Answer(r#"{"id":"id1","withdrawn":true}"#))
        .by(Alice, ALICE_CARD),
        case("only one's own contribution withdrawn", Bob, r#"{"kind":"withdraw","id":"id1"}"#, Refused("not_yours"))
            .by(Alice, ALICE_IDEA),
        case("nothing withdrawn from a locked activity", Alice, r#"{"kind":"withdraw","id":"id1"}"#,
            Refused("activity_not_open"))
        .by(Alice, ALICE_CARD)
        .by(Facilitator, LOCK_MAP),
        // PATH notes, ideas, pledges, touchstones.
        case("a PATH note", Alice, r#"{"kind":"add_path_note","activity":"path","section":"goal","text":"People can"}"#,
            Answer(r#"{"id":"id1"}"#)),
        case("a note under a section of the PATH", Alice,
            r#"{"kind":"add_path_note","activity":"path","section":"nope","text":"x"}"#, Refused("unknown_choice")),
        case("a note says something", Alice,
            r#"{"kind":"add_path_note","activity":"path","section":"goal","text":"  "}"#, Refused("empty")),
        case("an idea", Bob, ALICE_IDEA, Answer(r#"{"id":"id1"}"#)),
        case("a comment on an option", Alice,
            r#"{"kind":"add_idea","activity":"options","option":"one-review","text":"Yes please"}"#,
            Answer(r#"{"id":"id2"}"#))
        .by(Facilitator, OPEN_VOTE),
        case("a comment names its option", Alice, r#"{"kind":"add_idea","activity":"options","text":"Yes"}"#,
            Refused("no_comments"))
        .by(Facilitator, OPEN_VOTE),
        case("comments only where the vote takes them", Alice,
            r#"{"kind":"add_idea","activity":"options","option":"one-review","text":"Yes"}"#, Refused("no_comments"))
        .by(Facilitator, OPEN_VOTE)
        .given(Given::Write(no_comments)),
        case("ideas go to ideas or a vote", Alice, r#"{"kind":"add_idea","activity":"path","text":"x"}"#,
            Refused("wrong_activity_kind")),
        case("a pledge with a contact", Alice, ALICE_PLEDGE, Answer(r#"{"id":"id1"}"#)),
        case("a contact needs consent", Alice,
            r#"{"kind":"add_pledge","activity":"pledges","text":"I will","contact":"a@b.c"}"#,
            Refused("contact_without_consent")),
        case("a pledge's name is short", Alice, long_name(), Refused("too_long")),
        case("a touchstone", Alice, r#"{"kind":"add_touchstone","activity":"pledges","word":"kindness"}"#,
            Answer(r#"{"id":"id1"}"#)),
        case("touchstones only where the pledges take them", Alice,
            r#"{"kind":"add_touchstone","activity":"pledges","word":"kindness"}"#, Refused("no_touchstones"))
        .given(Given::Write(no_touchstones)),
        case("a pledge's contact erased", Alice, r#"{"kind":"erase_contact","id":"id1"}"#,
            Answer(r#"{"id":"id1","erased":true}"#))
        .by(Alice, ALICE_PLEDGE),
        case("only a pledge has a contact", Alice, r#"{"kind":"erase_contact","id":"id1"}"#,
            Refused("unknown_contribution"))
        .by(Alice, ALICE_CARD),
        // Votes.
        case("dots on an option", Alice,
            r#"{"kind":"set_dots","activity":"options","option":"same-day-callback","dots":2}"#,
            Answer(r#"{"dots":{"same-day-callback":2},"remaining":1}"#))
        .by(Facilitator, OPEN_VOTE),
        case("dots taken back", Alice,
            r#"{"kind":"set_dots","activity":"options","option":"same-day-callback","dots":0}"#,
            Answer(r#"{"dots":{},"remaining":3}"#))
        .by(Facilitator, OPEN_VOTE)
        .by(Alice, r#"{"kind":"set_dots","activity":"options","option":"same-day-callback","dots":2}"#),
        case("at most max_per_option dots on one option", Alice,
            r#"{"kind":"set_dots","activity":"options","option":"same-day-callback","dots":3}"#,
            Refused("over_option_limit"))
        .by(Facilitator, OPEN_VOTE),
        case("at most the budget in all", Alice,
            r#"{"kind":"set_dots","activity":"options","option":"one-review","dots":2}"#, Refused("over_budget"))
        .by(Facilitator, OPEN_VOTE)
        .by(Alice, r#"{"kind":"set_dots","activity":"options","option":"same-day-callback","dots":2}"#),
        case("dots only where the vote has a budget", Alice,
            r#"{"kind":"set_dots","activity":"options","option":"one-review","dots":1}"#, Refused("no_dots"))
        .by(Facilitator, r#"{"kind":"set_budget","activity":"options","budget":0}"#)
        .by(Facilitator, OPEN_VOTE),
        case("dots on an option of the vote", Alice,
            r#"{"kind":"set_dots","activity":"options","option":"nope","dots":1}"#, Refused("unknown_choice"))
        .by(Facilitator, OPEN_VOTE),
        case("dots on an open vote", Alice,
            r#"{"kind":"set_dots","activity":"options","option":"one-review","dots":1}"#, Refused("activity_not_open")),
        case("dots are a participant's", Facilitator,
            r#"{"kind":"set_dots","activity":"options","option":"one-review","dots":1}"#, Refused("participant_only"))
        .by(Facilitator, OPEN_VOTE),
        case("a score", Alice, r#"{"kind":"set_score","activity":"options","option":"one-review","score":4}"#,
            Answer(r#"{"scores":{"one-review":4}}"#))
        .by(Facilitator, OPEN_VOTE),
        case("a score cleared", Alice, r#"{"kind":"set_score","activity":"options","option":"one-review"}"#,
            Answer(r#"{"scores":{}}"#))
        .by(Facilitator, OPEN_VOTE)
        .by(Alice, r#"{"kind":"set_score","activity":"options","option":"one-review","score":4}"#),
        case("a score from 1 to 5", Alice, r#"{"kind":"set_score","activity":"options","option":"one-review","score":6}"#,
            Refused("invalid_score"))
        .by(Facilitator, OPEN_VOTE),
        case("scores only where the vote has a scale", Alice,
            r#"{"kind":"set_score","activity":"options","option":"one-review","score":4}"#, Refused("no_scale"))
        .by(Facilitator, OPEN_VOTE)
        .given(Given::Write(no_scale)),
        case("a paper ballot", Facilitator, PAPER_BALLOT,
            Answer(r#"{"id":"id2","dots":{"same-day-callback":2},"scores":{"one-review":5}}"#))
        .by(Facilitator, OPEN_VOTE),
        case("a paper ballot on a locked vote", Facilitator, PAPER_BALLOT,
            Answer(r#"{"id":"id3","dots":{"same-day-callback":2},"scores":{"one-review":5}}"#))
        .by(Facilitator, OPEN_VOTE)
        .by(Facilitator, r#"{"kind":"lock_activity","activity":"options"}"#),
        case("no paper ballot before the vote opens", Facilitator, PAPER_BALLOT, Refused("activity_not_open")),
        case("a paper ballot is the facilitator's", Alice, PAPER_BALLOT, Refused("facilitator_only"))
            .by(Facilitator, OPEN_VOTE),
        case("a paper ballot has something in it", Facilitator,
            r#"{"kind":"add_paper_ballot","activity":"options","dots":{"one-review":0}}"#, Refused("empty"))
        .by(Facilitator, OPEN_VOTE),
        case("a paper ballot within the budget", Facilitator,
            r#"{"kind":"add_paper_ballot","activity":"options","dots":{"one-review":2,"same-day-callback":2}}"#,
            Refused("over_budget"))
        .by(Facilitator, OPEN_VOTE),
        case("a paper ballot's scores from 1 to 5", Facilitator,
            r#"{"kind":"add_paper_ballot","activity":"options","scores":{"one-review":0}}"#, Refused("invalid_score"))
        .by(Facilitator, OPEN_VOTE),
        case("a paper ballot on a vote", Facilitator,
            r#"{"kind":"add_paper_ballot","activity":"ideas","dots":{"one-review":1}}"#,
            Refused("wrong_activity_kind")),
        case("a paper ballot taken back", Facilitator, r#"{"kind":"withdraw","id":"id2"}"#,
            Answer(r#"{"id":"id2","withdrawn":true}"#))
        .by(Facilitator, OPEN_VOTE)
        .by(Facilitator, PAPER_BALLOT),
        case("a paper ballot is no participant's to take back", Alice, r#"{"kind":"withdraw","id":"id2"}"#,
            Refused("unknown_contribution"))
        .by(Facilitator, OPEN_VOTE)
        .by(Facilitator, PAPER_BALLOT),
        case("results revealed", Facilitator, r#"{"kind":"reveal_activity","activity":"options"}"#,
            Answer(r#"{"activity":"options","revealed":true}"#)),
        case("results concealed", Facilitator, r#"{"kind":"reveal_activity","activity":"options","revealed":false}"#,
            Answer(r#"{"activity":"options","revealed":false}"#)),
        case("an emotion map's counts revealed", Facilitator,
            r#"{"kind":"reveal_activity","activity":"current-map"}"#,
            Answer(r#"{"activity":"current-map","revealed":true}"#)),
        case("only a vote has results", Facilitator, r#"{"kind":"reveal_activity","activity":"path"}"#,
            Refused("wrong_activity_kind")),
        case("a budget", Facilitator, r#"{"kind":"set_budget","activity":"options","budget":5}"#,
            Answer(r#"{"activity":"options","budget":5}"#)),
        case("a budget of at most 50 dots", Facilitator, r#"{"kind":"set_budget","activity":"options","budget":51}"#,
            Refused("invalid_budget")),
        case("a budget only before the vote opens", Facilitator,
            r#"{"kind":"set_budget","activity":"options","budget":5}"#, Refused("activity_started"))
        .by(Facilitator, OPEN_VOTE),
        // The run of the event.
        case("an activity opened", Facilitator, r#"{"kind":"open_activity","activity":"desired-map"}"#,
            Answer(r#"{"activity":"desired-map","state":"open"}"#)),
        case("the facilitator runs the event", Alice, r#"{"kind":"open_activity","activity":"desired-map"}"#,
            Refused("facilitator_only")),
        case("an activity the room has opens", Facilitator, r#"{"kind":"open_activity","activity":"nope"}"#,
            Refused("unknown_activity")),
        case("an activity locked", Facilitator, LOCK_MAP, Answer(r#"{"activity":"current-map","state":"locked"}"#)),
        case("the activity everyone follows", Facilitator, r#"{"kind":"set_current","activity":"path"}"#,
            Answer(r#"{"current":"path"}"#)),
        case("back to the lobby", Facilitator, r#"{"kind":"set_current","activity":null}"#,
            Answer(r#"{"current":null}"#)),
        case("everyone follows an activity the room has", Facilitator,
            r#"{"kind":"set_current","activity":"nope"}"#, Refused("unknown_activity")),
        case("a timer", Facilitator, r#"{"kind":"start_timer","seconds":60}"#, Answer(r#"{"ends_at":1700000060}"#)),
        case("a timer runs a while", Facilitator, r#"{"kind":"start_timer","seconds":0}"#, Refused("invalid_timer")),
        case("a timer runs at most four hours", Facilitator, r#"{"kind":"start_timer","seconds":14401}"#,
            Refused("invalid_timer")),
        case("a timer stopped", Facilitator, r#"{"kind":"stop_timer"}"#, Answer("{}")),
        case("a snapshot", Facilitator, r#"{"kind":"take_snapshot","name":"Break"}"#,
            Answer(r#"{"snapshot":"Break"}"#)),
        case("a snapshot has a name", Facilitator, r#"{"kind":"take_snapshot","name":" "}"#, Refused("empty")),
        // Moderation and choices.
        case("a card hidden", Facilitator, r#"{"kind":"set_hidden","id":"id1","hidden":true}"#,
            Answer(r#"{"id":"id1","hidden":true}"#))
        .by(Alice, ALICE_CARD),
        case("a contribution that is there hidden", Facilitator, r#"{"kind":"set_hidden","id":"id1","hidden":true}"#,
            Refused("unknown_contribution")),
        // Holding for approval.
        case("a note naming a person is held", Alice, ALICE_NAMING, Answer(r#"{"held":true,"id":"id1"}"#)),
        case("a paper card with a phone number is held too", Facilitator,
            r#"{"kind":"add_card","activity":"current-map","touchpoint":"booking","emotion":"hopeful","note":"07700 900123","on_behalf_of":{}}"#,
            Answer(r#"{"held":true,"id":"id1"}"#)),
        case("a pledge's own name is not held", Alice,
            r#"{"kind":"add_pledge","activity":"pledges","text":"I will listen","name":"Dr Jo Bloggs"}"#,
            Answer(r#"{"id":"id1"}"#)),
        case("feedback is never held", Alice,
            r#"{"kind":"set_feedback","activity":"feedback","rating":4,"worked":"Nurse Jones"}"#,
            Answer(r#"{"id":"id1"}"#)),
        case("moderation set", Facilitator, MODERATE_IDEAS, Answer(r#"{"activity":"ideas","moderated":true}"#)),
        case("feedback is not moderated", Facilitator,
            r#"{"kind":"set_moderation","activity":"feedback","moderated":true}"#, Refused("wrong_activity_kind")),
        case("only the facilitator moderates", Alice, MODERATE_IDEAS, Refused("facilitator_only")),
        case("a moderated activity holds an idea", Alice, ALICE_IDEA, Answer(r#"{"held":true,"id":"id2"}"#))
            .by(Facilitator, MODERATE_IDEAS),
        case("a moderated activity takes a facilitator's paper idea", Facilitator,
            r#"{"kind":"add_idea","activity":"ideas","text":"More chairs","on_behalf_of":{}}"#,
            Answer(r#"{"id":"id2"}"#))
            .by(Facilitator, MODERATE_IDEAS),
        case("a held note approved", Facilitator, r#"{"kind":"review","id":"id1","approved":true}"#,
            Answer(r#"{"approved":true,"id":"id1"}"#))
            .by(Alice, ALICE_NAMING),
        case("a held note turned down", Facilitator, r#"{"kind":"review","id":"id1","approved":false}"#,
            Answer(r#"{"approved":false,"id":"id1"}"#))
            .by(Alice, ALICE_NAMING),
        case("only a held note is reviewed", Facilitator, r#"{"kind":"review","id":"id1","approved":true}"#,
            Refused("not_held"))
            .by(Alice, ALICE_CARD),
        case("a held note edited stays held", Alice, r#"{"kind":"edit_card","id":"id1","note":"kind staff"}"#,
            Answer(r#"{"held":true,"id":"id1"}"#))
            .by(Alice, ALICE_NAMING),
        case("a card edited to name someone is held", Alice, r#"{"kind":"edit_card","id":"id1","note":"Dr Patel"}"#,
            Answer(r#"{"held":true,"id":"id1"}"#))
            .by(Alice, ALICE_CARD),
        case("a held note withdrawn", Alice, r#"{"kind":"withdraw","id":"id1"}"#,
            Answer(r#"{"id":"id1","withdrawn":true}"#))
            .by(Alice, ALICE_NAMING),
        case("someone else's held note is not theirs", Bob, r#"{"kind":"withdraw","id":"id1"}"#, Refused("not_yours"))
            .by(Alice, ALICE_NAMING),
        case("a section added", Facilitator, r#"{"kind":"add_choice","activity":"path","label":"A new section!"}"#,
            Answer(r#"{"id":"a-new-section"}"#)),
        case("choices only where an activity has them", Facilitator,
            r#"{"kind":"add_choice","activity":"pledges","label":"x"}"#, Refused("wrong_activity_kind")),
        case("a choice has a label", Facilitator, r#"{"kind":"add_choice","activity":"path","label":""}"#,
            Refused("empty")),
        case("a choice renamed", Facilitator, r#"{"kind":"rename_choice","activity":"path","id":"goal","label":"Aim"}"#,
            Answer(r#"{"id":"goal"}"#)),
        case("a choice the activity has renamed", Facilitator,
            r#"{"kind":"rename_choice","activity":"path","id":"nope","label":"Aim"}"#, Refused("unknown_choice")),
        case("a choice moved", Facilitator, r#"{"kind":"move_choice","activity":"path","id":"goal","to":0}"#,
            Answer(r#"{"id":"goal","position":0}"#)),
        case("a choice moved within the list", Facilitator,
            r#"{"kind":"move_choice","activity":"path","id":"goal","to":99}"#, Refused("invalid_position")),
        // Feedback on the event.
        case("feedback", Alice, ALICE_FEEDBACK, Answer(r#"{"id":"id1"}"#)),
        case("feedback with a rating only", Bob, r#"{"kind":"set_feedback","activity":"feedback","rating":1}"#,
            Answer(r#"{"id":"id1"}"#)),
        case("a second answer replaces the first", Alice,
            r#"{"kind":"set_feedback","activity":"feedback","rating":2,"change":"More breaks"}"#,
            Answer(r#"{"id":"id1"}"#))
        .by(Alice, ALICE_FEEDBACK),
        case("each person answers for themselves", Bob, ALICE_FEEDBACK, Answer(r#"{"id":"id2"}"#))
            .by(Alice, ALICE_FEEDBACK),
        case("an answer withdrawn is answered afresh", Alice, ALICE_FEEDBACK, Answer(r#"{"id":"id3"}"#))
            .by(Alice, ALICE_FEEDBACK)
            .by(Alice, r#"{"kind":"withdraw","id":"id1"}"#),
        case("one's own feedback withdrawn", Alice, r#"{"kind":"withdraw","id":"id1"}"#,
            Answer(r#"{"id":"id1","withdrawn":true}"#))
        .by(Alice, ALICE_FEEDBACK),
        case("only one's own feedback withdrawn", Bob, r#"{"kind":"withdraw","id":"id1"}"#, Refused("not_yours"))
            .by(Alice, ALICE_FEEDBACK),
        case("a rating of at least 1", Alice, r#"{"kind":"set_feedback","activity":"feedback","rating":0}"#,
            Refused("invalid_score")),
        case("a rating of at most 5", Alice, r#"{"kind":"set_feedback","activity":"feedback","rating":6}"#,
            Refused("invalid_score")),
        case("what worked in at most 280 characters", Alice, long_feedback("worked"), Refused("too_long")),
        case("what to change in at most 280 characters", Alice, long_feedback("change"), Refused("too_long")),
        case("feedback goes to a feedback activity", Alice,
            r#"{"kind":"set_feedback","activity":"ideas","rating":3}"#, Refused("wrong_activity_kind")),
        case("feedback on an activity the room has", Alice,
            r#"{"kind":"set_feedback","activity":"nope","rating":3}"#, Refused("unknown_activity")),
        case("feedback after the activity closed is kept as late", Alice, ALICE_FEEDBACK,
            Answer(r#"{"id":"id2","late":true}"#))
        .by(Facilitator, LOCK_FEEDBACK),
        case("an answer changes while the activity is open", Alice, ALICE_FEEDBACK, Refused("activity_not_open"))
            .by(Alice, ALICE_FEEDBACK)
            .by(Facilitator, LOCK_FEEDBACK),
        case("a facilitator's feedback is a paper form", Facilitator, ALICE_FEEDBACK, Refused("participant_only")),
        case("each paper form is one more answer", Facilitator,
            r#"{"kind":"set_feedback","activity":"feedback","rating":5,"on_behalf_of":{"perspective":"staff"}}"#,
            Answer(r#"{"id":"id2"}"#))
        .by(Facilitator, r#"{"kind":"set_feedback","activity":"feedback","rating":3,"on_behalf_of":{}}"#),
        case("a paper form after the activity locked", Facilitator,
            r#"{"kind":"set_feedback","activity":"feedback","rating":3,"on_behalf_of":{}}"#, Answer(r#"{"id":"id2"}"#))
        .by(Facilitator, LOCK_FEEDBACK),
        case("a paper form from a perspective the room has", Facilitator,
            r#"{"kind":"set_feedback","activity":"feedback","rating":3,"on_behalf_of":{"perspective":"alien"}}"#,
            Refused("invalid_profile")),
        case("only the facilitator types in paper forms", Alice,
            r#"{"kind":"set_feedback","activity":"feedback","rating":3,"on_behalf_of":{}}"#, Refused("facilitator_only")),
        case("feedback hidden by moderation", Facilitator, r#"{"kind":"set_hidden","id":"id1","hidden":true}"#,
            Answer(r#"{"id":"id1","hidden":true}"#))
        .by(Alice, ALICE_FEEDBACK),
        // Erasure.
        case("everything of a participant erased", Alice, r#"{"kind":"erase_me"}"#, Answer(r#"{"erased":2}"#))
            .by(Alice, ALICE_CARD)
            .by(Alice, ALICE_PLEDGE)
            .by(Bob, ALICE_IDEA),
        case("a participant's feedback erased", Alice, r#"{"kind":"erase_me"}"#, Answer(r#"{"erased":1}"#))
            .by(Alice, ALICE_FEEDBACK)
            .by(Alice, ALICE_FEEDBACK)
            .by(Bob, ALICE_FEEDBACK),
        case("only a participant erases themselves", Facilitator, r#"{"kind":"erase_me"}"#,
            Refused("participant_only")),
        // A helper: paper entries on someone's behalf, and taking back its own.
        case("a helper's paper card", Helper, PAPER_CARD, Answer(r#"{"id":"id1"}"#)),
        case("a helper's paper card needs no perspective", Helper,
            r#"{"kind":"add_card","activity":"current-map","touchpoint":"booking","emotion":"hopeful"}"#,
            Answer(r#"{"id":"id1"}"#)),
        case("a helper's paper card after the close", Helper, PAPER_CARD, Answer(r#"{"id":"id2"}"#))
            .by(Facilitator, LOCK_MAP),
        case("a helper's paper card waits for its activity to open", Helper,
            r#"{"kind":"add_idea","activity":"options","option":"one-review","text":"x"}"#,
            Refused("activity_not_open")),
        case("a helper's paper card from a perspective the room has", Helper,
            r#"{"kind":"add_idea","activity":"ideas","text":"x","on_behalf_of":{"perspective":"alien"}}"#,
            Refused("invalid_profile")),
        case("a helper's paper note", Helper,
            r#"{"kind":"add_path_note","activity":"path","section":"goal","text":"Calls back","on_behalf_of":{}}"#,
            Answer(r#"{"id":"id1"}"#)),
        case("a helper's paper pledge", Helper, r#"{"kind":"add_pledge","activity":"pledges","text":"I will listen"}"#,
            Answer(r#"{"id":"id1"}"#)),
        case("a helper's paper word", Helper, r#"{"kind":"add_touchstone","activity":"pledges","word":"Kindness"}"#,
            Answer(r#"{"id":"id1"}"#)),
        case("a helper's paper feedback form", Helper, r#"{"kind":"set_feedback","activity":"feedback","rating":5}"#,
            Answer(r#"{"id":"id1"}"#)),
        case("a helper's paper ballot", Helper, PAPER_BALLOT,
            Answer(r#"{"id":"id2","dots":{"same-day-callback":2},"scores":{"one-review":5}}"#))
            .by(Facilitator, OPEN_VOTE),
        case("a helper's entry in a moderated activity waits for approval", Helper,
            r#"{"kind":"add_idea","activity":"ideas","text":"More chairs"}"#, Answer(r#"{"held":true,"id":"id2"}"#))
            .by(Facilitator, MODERATE_IDEAS),
        case("a helper takes back its own card", Helper, r#"{"kind":"withdraw","id":"id1"}"#,
            Answer(r#"{"id":"id1","withdrawn":true}"#))
            .by(Helper, PAPER_CARD),
        case("a helper takes back its own card after the close", Helper, r#"{"kind":"withdraw","id":"id1"}"#,
            Answer(r#"{"id":"id1","withdrawn":true}"#))
            .by(Helper, PAPER_CARD)
            .by(Facilitator, LOCK_MAP),
        case("a helper takes back its own paper ballot", Helper, r#"{"kind":"withdraw","id":"id2"}"#,
            Answer(r#"{"id":"id2","withdrawn":true}"#))
            .by(Facilitator, OPEN_VOTE)
            .by(Helper, PAPER_BALLOT),
        case("a helper may not take back a participant's card", Helper, r#"{"kind":"withdraw","id":"id1"}"#,
            Refused("not_yours"))
            .by(Alice, ALICE_CARD),
        case("a helper may not take back the facilitator's paper card", Helper, r#"{"kind":"withdraw","id":"id1"}"#,
            Refused("not_yours"))
            .by(Facilitator, PAPER_CARD),
        case("a helper may not take back the facilitator's paper ballot", Helper, r#"{"kind":"withdraw","id":"id2"}"#,
            Refused("unknown_contribution"))
            .by(Facilitator, OPEN_VOTE)
            .by(Facilitator, PAPER_BALLOT),
        case("the facilitator takes back a helper's card", Facilitator, r#"{"kind":"withdraw","id":"id1"}"#,
            Answer(r#"{"id":"id1","withdrawn":true}"#))
            .by(Helper, PAPER_CARD),
        case("a participant's card stays after the close, even for the facilitator", Facilitator,
            r#"{"kind":"withdraw","id":"id1"}"#, Refused("activity_not_open"))
            .by(Alice, ALICE_CARD)
            .by(Facilitator, LOCK_MAP),
        case("a helper opens nothing", Helper, OPEN_VOTE, Refused("facilitator_only")),
        case("a helper closes nothing", Helper, LOCK_MAP, Refused("facilitator_only")),
        case("a helper reveals nothing", Helper, r#"{"kind":"reveal_activity","activity":"options"}"#,
            Refused("facilitator_only")),
        case("a helper hides nothing", Helper, r#"{"kind":"set_hidden","id":"id1","hidden":true}"#,
            Refused("facilitator_only"))
            .by(Alice, ALICE_CARD),
        case("a helper approves nothing", Helper, r#"{"kind":"review","id":"id1","approved":true}"#,
            Refused("facilitator_only"))
            .by(Alice, ALICE_NAMING),
        case("a helper sets no moderation", Helper, MODERATE_IDEAS, Refused("facilitator_only")),
        case("a helper takes no snapshot", Helper, r#"{"kind":"take_snapshot","name":"x"}"#, Refused("facilitator_only")),
        case("a helper starts no timer", Helper, r#"{"kind":"start_timer","seconds":60}"#, Refused("facilitator_only")),
        case("a helper changes no choice", Helper, r#"{"kind":"add_choice","activity":"path","label":"x"}"#,
            Refused("facilitator_only")),
        case("a helper has no profile", Helper, r#"{"kind":"set_profile","profile":{}}"#, Refused("participant_only")),
        case("a helper places no dots of its own", Helper,
            r#"{"kind":"set_dots","activity":"options","option":"one-review","dots":1}"#, Refused("participant_only"))
            .by(Facilitator, OPEN_VOTE),
        case("a helper edits no card", Helper, r#"{"kind":"edit_card","id":"id1","note":"x"}"#,
            Refused("participant_only"))
            .by(Helper, PAPER_CARD),
        case("a helper erases no one", Helper, r#"{"kind":"erase_me"}"#, Refused("participant_only")),
        case("a helper erases no contact", Helper, r#"{"kind":"erase_contact","id":"id1"}"#,
            Refused("participant_only"))
            .by(Alice, ALICE_PLEDGE),
    ]
}

fn long_note() -> String {
    let note = "n".repeat(MAX_NOTE_CHARS + 1);
    format!(
        r#"{{"kind":"add_card","activity":"current-map","touchpoint":"booking","emotion":"hopeful","note":"{note}"}}"#
    )
}

fn long_feedback(field: &str) -> String {
    let text = "t".repeat(MAX_FEEDBACK_CHARS + 1);
    format!(r#"{{"kind":"set_feedback","activity":"feedback","rating":3,"{field}":"{text}"}}"#)
}

fn long_name() -> String {
    let name = "n".repeat(MAX_NAME_CHARS + 1);
    format!(r#"{{"kind":"add_pledge","activity":"pledges","text":"x","name":"{name}"}}"#)
}

/// The shipped workshops' activities together in one room, with the first one's perspectives.
fn workshop() -> Template {
    let mut templates = SHIPPED.iter().map(|(file, source)| parse_template(source, file).expect("a shipped template"));
    let mut room = templates.next().expect("at least one shipped template");
    for template in templates {
        for activity in template.activities {
            if room.activity(activity.id()).is_none() {
                room.activities.push(activity);
            }
        }
    }
    room
}

fn participant(who: Who) -> ParticipantId {
    match who {
        Alice => ParticipantId::from_random([1; 16]),
        Bob | Facilitator | Helper => ParticipantId::from_random([2; 16]),
    }
}

fn actor(who: Who) -> Actor {
    match who {
        Facilitator => Actor::Facilitator,
        Helper => Actor::Helper { generation: 0 },
        Alice | Bob => Actor::Participant(participant(who)),
    }
}

fn request(intent: &str, n: usize) -> IntentRequest {
    let mut json: Value = serde_json::from_str(intent).expect("a case's intent is JSON");
    if json.get("key").is_none() {
        json["key"] = Value::from(format!("key{n}"));
    }
    serde_json::from_value(json).expect("a case's intent reads as one")
}

/// The scene every case starts from.
fn scene(bare: bool) -> RoomDocs {
    let docs = RoomDocs::default();
    let template = workshop();
    docs.initialise("Test room", None, (!bare).then_some(&template));
    if !bare {
        let alice = Profile { perspective: Some("person".to_owned()), ..Profile::default() };
        docs.register(&participant(Alice).to_string(), &alice, NOW, MinCount::default()).expect("Alice joins");
        docs.register(&participant(Bob).to_string(), &Profile::default(), NOW, MinCount::default()).expect("Bob joins");
        for activity in ["current-map", "path", "pledges", "ideas", "feedback"] {
            let open = format!(r#"{{"key":"open-{activity}","kind":"open_activity","activity":"{activity}"}}"#);
            docs.apply(
                Actor::Facilitator,
                &request(&open, 0),
                Context { now: NOW, new_id: "scene", min_count: MinCount::default() },
            )
            .expect("the scene opens its activities");
        }
    }
    docs
}

fn check(case: &Case) {
    let bare = case.given.iter().any(|given| matches!(given, Given::Bare));
    let docs = scene(bare);
    let mut n = 0;
    for given in &case.given {
        match given {
            Given::Intent(who, intent) => {
                n += 1;
                let id = format!("id{n}");
                let applied = docs.apply(
                    actor(*who),
                    &request(intent, n),
                    Context { now: NOW, new_id: &id, min_count: MinCount::default() },
                );
                assert!(applied.is_ok(), "{}: given {intent} was refused: {applied:?}", case.name);
            }
            Given::Write(write) => write(&docs),
            Given::Bare => {}
        }
    }
    n += 1;
    let id = format!("id{n}");
    let request = request(&case.intent, n);
    let context = Context { now: NOW, new_id: &id, min_count: MinCount::default() };
    let applied = docs.apply(actor(case.who), &request, context);
    match (&case.expected, applied) {
        (Answer(expected), Ok(applied)) => {
            let expected: Value = serde_json::from_str(expected).expect("an expected answer is JSON");
            let answer = serde_json::to_value(&applied.outcome).expect("an outcome serialises");
            assert_eq!(answer, expected, "{}", case.name);
            let retried = docs.apply(actor(case.who), &request, context).expect("a retry is answered");
            if applied.erased.is_empty() {
                assert_eq!(retried.outcome, applied.outcome, "{}: the retry answers the same", case.name);
                assert_eq!((retried.board_update, retried.ledger_update), (None, None), "{}", case.name);
            }
        }
        (Refused(expected), Err(error)) => assert_eq!(error.code(), *expected, "{}: {error}", case.name),
        (Answer(_), Err(error)) => panic!("{}: refused with {}: {error}", case.name, error.code()),
        (Refused(expected), Ok(applied)) => panic!("{}: answered {:?}, not {expected}", case.name, applied.outcome),
    }
}

#[test]
fn every_intent_rule() {
    for case in cases() {
        check(&case);
    }
}

#[test]
fn every_refusal_has_a_case() {
    let refused: Vec<&str> = cases()
        .iter()
        .filter_map(|case| match case.expected {
            Refused(code) => Some(code),
            Answer(_) => None,
        })
        .collect();
    let every = [
        IntentError::InvalidKey,
        IntentError::FacilitatorOnly,
        IntentError::ParticipantOnly,
        IntentError::NoTemplate,
        IntentError::UnknownActivity(String::new()),
        IntentError::WrongActivityKind { activity: String::new(), kind: ActivityKind::Vote, needed: "" },
        IntentError::ActivityNotOpen,
        IntentError::ActivityStarted,
        IntentError::UnknownChoice { what: "", id: String::new() },
        IntentError::TooLong { field: "", max: 0 },
        IntentError::Empty { field: "" },
        IntentError::EmotionOrWord,
        IntentError::NoOwnWord,
        IntentError::OverBudget { wanted: 0, budget: 0 },
        IntentError::OverOptionLimit { max: 0 },
        IntentError::NoDots,
        IntentError::NoScale,
        IntentError::InvalidScore,
        IntentError::NoComments,
        IntentError::NoTouchstones,
        IntentError::ContactWithoutConsent,
        IntentError::UnknownContribution(String::new()),
        IntentError::NotYours,
        IntentError::NotHeld(String::new()),
        IntentError::InvalidProfile(String::new()),
        IntentError::InvalidTimer,
        IntentError::InvalidPosition,
        IntentError::InvalidBudget,
        IntentError::BoardDamaged(String::new()),
        IntentError::Corrupt(String::new()),
    ];
    for error in every {
        assert!(refused.contains(&error.code()), "no case is refused with {}", error.code());
    }
}

fn activity(docs: &RoomDocs, id: &str, write: impl FnOnce(&mut yrs::TransactionMut<'_>, &MapRef)) {
    let mut txn = docs.board.transact_mut();
    let activities = txn.get_or_insert_map(board::ACTIVITIES);
    let Some(Out::YMap(map)) = activities.get(&txn, id) else { panic!("the scene has {id}") };
    write(&mut txn, &map);
}

fn unknown_kind_of_ideas(docs: &RoomDocs) {
    activity(docs, "ideas", |txn, map| {
        map.insert(txn, "kind", "brainstorm");
    });
}

fn touchpoints_not_a_list(docs: &RoomDocs) {
    activity(docs, "current-map", |txn, map| {
        map.insert(txn, "touchpoints", "x");
    });
}

fn state_a_number(docs: &RoomDocs) {
    activity(docs, "current-map", |txn, map| {
        map.insert(txn, "state", 42);
    });
}

fn options_not_a_list(docs: &RoomDocs) {
    activity(docs, "options", |txn, map| {
        map.insert(txn, "options", "x");
    });
}

fn activity_a_string(docs: &RoomDocs) {
    let mut txn = docs.board.transact_mut();
    txn.get_or_insert_map(board::ACTIVITIES).insert(&mut txn, "current-map", "broken");
}

fn card_a_number(docs: &RoomDocs) {
    let mut txn = docs.board.transact_mut();
    txn.get_or_insert_map(Collection::Cards.root()).insert(&mut txn, "id1", 7);
}

fn perspectives_not_a_list(docs: &RoomDocs) {
    let mut txn = docs.board.transact_mut();
    txn.get_or_insert_map(board::ROOM).insert(&mut txn, "perspectives", "nonsense");
}

fn owner_a_number(docs: &RoomDocs) {
    let mut txn = docs.ledger.transact_mut();
    txn.get_or_insert_map(ledger::OWNERS).insert(&mut txn, "id1", 7);
}

fn no_own_word(docs: &RoomDocs) {
    activity(docs, "current-map", |txn, map| {
        map.insert(txn, "own_word", false);
    });
}

fn no_comments(docs: &RoomDocs) {
    activity(docs, "options", |txn, map| {
        map.insert(txn, "comments", false);
    });
}

fn no_scale(docs: &RoomDocs) {
    activity(docs, "options", |txn, map| {
        map.insert(txn, "scale", false);
    });
}

fn no_touchstones(docs: &RoomDocs) {
    activity(docs, "pledges", |txn, map| {
        map.insert(txn, "touchstones", false);
    });
}

/// Applies intents in turn in the scene, each creating `id<n>`; returns the room.
fn after(steps: &[(Who, &str)]) -> RoomDocs {
    let docs = scene(false);
    for (n, (who, intent)) in steps.iter().enumerate() {
        let id = format!("id{}", n + 1);
        docs.apply(
            actor(*who),
            &request(intent, n + 1),
            Context { now: NOW, new_id: &id, min_count: MinCount::default() },
        )
        .expect("a step is accepted");
    }
    docs
}

#[test]
fn a_participant_sees_their_own_and_nothing_else() {
    let docs = after(&[
        (Alice, ALICE_CARD),
        (Alice, ALICE_PLEDGE),
        (Bob, ALICE_IDEA),
        (Facilitator, OPEN_VOTE),
        (Alice, r#"{"kind":"set_dots","activity":"options","option":"one-review","dots":1}"#),
        (Alice, r#"{"kind":"set_score","activity":"options","option":"one-review","score":3}"#),
        (Facilitator, PAPER_BALLOT),
    ]);
    let mut view = docs.participant_view(&participant(Alice).to_string());
    // The ledger keeps no order of contributions.
    view.contributions.sort_by(|a, b| a.id.cmp(&b.id));
    let view = serde_json::to_value(view).expect("a view serialises");
    let expected: Value = serde_json::from_str(
        r#"{"profile":{"perspective":"person"},
            "contributions":[{"id":"id1","collection":"cards"},{"id":"id2","collection":"pledges","contact":true,
                              "follow_up":{"due":"2024-02-14","status":"to_do"}}],
            "dots":{"options":{"one-review":1}},"scores":{"options":{"one-review":3}}}"#,
    )
    .expect("JSON");
    assert_eq!(view, expected);
    let results = serde_json::to_value(docs.results("options").expect("a vote has results")).expect("serialises");
    assert_eq!(
        results["one-review"],
        serde_json::json!({ "dots": 1, "voters": 1, "scores": [0, 0, 1, 0, 1], "mean_score": 4.0 })
    );
    assert_eq!(results["same-day-callback"]["dots"], 2);
    assert_eq!(docs.results("path").map_err(|e| e.code()), Err("wrong_activity_kind"));
}

#[test]
fn the_record_reads_the_whole_room_typed() {
    let docs = after(&[
        (Alice, ALICE_CARD),
        (
            Facilitator,
            r#"{"kind":"add_card","activity":"current-map","touchpoint":"tests","word":"lost","on_behalf_of":{"perspective":"staff"}}"#,
        ),
        (Facilitator, OPEN_VOTE),
        (Alice, r#"{"kind":"set_dots","activity":"options","option":"one-review","dots":1}"#),
        (Facilitator, PAPER_BALLOT),
        (Facilitator, LOCK_MAP),
    ]);
    let record = super::record::RoomRecord::read(&docs);
    assert_eq!(record.room.title, "Test room");
    assert_eq!(
        record.activities.first().map(|a| (a.id.as_str(), a.kind)),
        Some(("current-map", ActivityKind::EmotionMap))
    );
    let authors: Vec<(&str, Option<&str>)> =
        record.cards.iter().map(|c| (c.contribution.header.id.as_str(), c.author.as_deref())).collect();
    let alice = participant(Alice).to_string();
    assert_eq!(authors, [("id1", Some(alice.as_str())), ("id2", None)]);
    assert!(record.cards[1].contribution.header.assisted);
    assert_eq!(record.profiles.len(), 2);
    assert_eq!(record.ballots.len(), 2);
    assert_eq!(record.paper_ballots.values().next().and_then(|b| b.role.as_deref()), Some("gp"));
    assert_eq!(record.snapshots.len(), 1);
}

#[test]
fn an_erased_contribution_is_scrubbed_from_a_stored_board() {
    let docs = after(&[(Alice, ALICE_CARD), (Bob, ALICE_IDEA)]);
    let state = docs.board.transact().encode_state_as_update_v1(&yrs::StateVector::default());
    let scrubbed = super::scrub_board(&state, &["id1".to_owned()]).expect("the card was there");
    let copy = RoomDocs::default();
    let update = <yrs::Update as yrs::updates::decoder::Decode>::decode_v1(&scrubbed).expect("decodes");
    copy.board.transact_mut().apply_update(update).expect("applies");
    let record = super::record::RoomRecord::read(&copy);
    assert!(record.cards.is_empty());
    assert_eq!(record.ideas.len(), 1);
    assert_eq!(super::scrub_board(&state, &["nope".to_owned()]), None);
}

#[test]
fn a_late_contribution_comes_in_hidden_until_the_facilitator_shows_it() {
    let docs = after(&[
        (Alice, ALICE_CARD),
        (Facilitator, LOCK_MAP),
        (Alice, ALICE_CARD),
        (Facilitator, r#"{"kind":"set_hidden","id":"id3","hidden":false}"#),
        (Bob, ALICE_CARD),
    ]);
    let record = super::record::RoomRecord::read(&docs);
    let cards: Vec<(&str, bool, bool)> = record
        .cards
        .iter()
        .map(|c| (c.contribution.header.id.as_str(), c.contribution.header.late, c.contribution.header.hidden))
        .collect();
    assert_eq!(cards, [("id1", false, false), ("id3", true, false), ("id5", true, true)]);
}

#[test]
fn a_second_answer_replaces_the_first_and_paper_answers_add_up() {
    let docs = after(&[
        (Alice, ALICE_FEEDBACK),
        (Facilitator, r#"{"kind":"set_hidden","id":"id1","hidden":true}"#),
        (Alice, r#"{"kind":"set_feedback","activity":"feedback","rating":2,"change":"More breaks"}"#),
        (Facilitator, r#"{"kind":"set_feedback","activity":"feedback","rating":5,"on_behalf_of":{}}"#),
        (Facilitator, r#"{"kind":"set_feedback","activity":"feedback","rating":5,"on_behalf_of":{}}"#),
    ]);
    let record = super::record::RoomRecord::read(&docs);
    let answers: Vec<String> = record
        .feedback
        .iter()
        .map(|f| {
            let f = &f.contribution;
            format!("{} {} {:?} {:?} {}", f.header.id, f.rating, f.worked, f.change, f.header.hidden)
        })
        .collect();
    assert_eq!(answers, ["id1 2 None Some(\"More breaks\") true", "id4 5 None None false", "id5 5 None None false"]);
}

/// Every text on the board, as the JSON every client syncs.
fn board_json(docs: &RoomDocs) -> String {
    use yrs::types::ToJson;
    let board = docs.board.transact();
    let roots: serde_json::Map<String, Value> = super::layout::board_maps()
        .filter_map(|name| Some((name.to_owned(), serde_json::to_value(board.get_map(name)?.to_json(&board)).ok()?)))
        .collect();
    Value::Object(roots).to_string()
}

#[test]
fn a_held_note_is_off_the_board_until_approved_and_kept_for_the_record_when_turned_down() {
    let docs = after(&[
        (Alice, ALICE_NAMING),
        (Alice, r#"{"kind":"add_idea","activity":"ideas","text":"call 07700 900123"}"#),
        (Alice, r#"{"kind":"edit_card","id":"id1","note":"Dr Patel was very kind"}"#),
    ]);
    assert!(!board_json(&docs).contains("Patel"), "a held note's text is not on the board");
    assert!(!board_json(&docs).contains("07700"), "a held note's text is not on the board");
    let mut mine = docs.participant_view(&participant(Alice).to_string()).contributions;
    mine.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(mine.iter().map(|c| c.held).collect::<Vec<_>>(), [true, true], "the author is told it waits");

    let list = serde_json::to_value(docs.moderation_list()).expect("the list serialises");
    assert_eq!(list["held"][0]["reasons"], serde_json::json!(["titled_name"]));
    assert_eq!(list["held"][0]["contribution"]["note"], "Dr Patel was very kind");
    assert_eq!(list["held"][1]["reasons"], serde_json::json!(["phone_number"]));
    assert_eq!(list["held"][0]["contribution"].get("perspective"), None, "one person is too few to name");

    let review = |id: &str, approved: bool, n: usize| {
        let intent = format!(r#"{{"kind":"review","id":"{id}","approved":{approved}}}"#);
        docs.apply(
            Actor::Facilitator,
            &request(&intent, 100 + n),
            Context { now: NOW, new_id: "x", min_count: MinCount::default() },
        )
        .expect("the review is accepted");
    };
    review("id1", true, 1);
    review("id2", false, 2);
    assert!(board_json(&docs).contains("Dr Patel was very kind"), "approval puts it on the board");
    let hide = r#"{"kind":"set_hidden","id":"id1","hidden":true}"#;
    docs.apply(
        Actor::Facilitator,
        &request(hide, 103),
        Context { now: NOW, new_id: "x", min_count: MinCount::default() },
    )
    .expect("hidden");
    assert!(board_json(&docs).contains("Dr Patel was very kind"), "hiding an approved note keeps it approved");
    assert!(!board_json(&docs).contains("07700"), "a turned down note never reaches the board");
    let record = super::record::RoomRecord::read(&docs);
    let status = |header: &super::contribution::Header| super::holds::status(&record.held, header);
    assert_eq!(record.cards.iter().map(|c| status(&c.contribution.header)).collect::<Vec<_>>(), [Status::Hidden]);
    let ideas: Vec<_> =
        record.ideas.iter().map(|i| (status(&i.contribution.header), i.contribution.header.hidden)).collect();
    assert_eq!(ideas, [(Status::Rejected, true)], "kept for the analyst, never counted as shown");
}

#[test]
fn erasure_takes_held_notes_too() {
    let docs = after(&[(Alice, ALICE_NAMING), (Alice, r#"{"kind":"erase_me"}"#)]);
    assert!(docs.moderation_list().held.is_empty());
    assert!(super::record::RoomRecord::read(&docs).cards.is_empty());
}

#[test]
fn the_moderation_list_names_a_perspective_only_when_five_share_it() {
    let docs = after(&[(Alice, ALICE_NAMING)]);
    for n in 0..4 {
        let profile = Profile { perspective: Some("person".to_owned()), ..Profile::default() };
        docs.register(&format!("p{n}"), &profile, NOW, MinCount::default()).expect("another person joins");
    }
    let list = docs.moderation_list();
    assert_eq!(list.perspectives, ["person"]);
    assert_eq!(list.held[0].contribution.header().perspective.as_deref(), Some("person"));
}

#[test]
fn each_lock_keeps_its_own_snapshot() {
    let reopen = r#"{"kind":"open_activity","activity":"current-map"}"#;
    let docs = after(&[(Facilitator, LOCK_MAP), (Facilitator, reopen), (Facilitator, LOCK_MAP)]);
    let record = super::record::RoomRecord::read(&docs);
    let names: Vec<&str> = record.snapshots.keys().map(String::as_str).collect();
    assert_eq!(names, ["How care feels today (locked 2)", "How care feels today (locked)"]);
}

/// What a facilitator's own client sends after `write`, starting from the board as it is.
fn written(docs: &RoomDocs, write: impl FnOnce(&mut yrs::TransactionMut<'_>)) -> Vec<u8> {
    use yrs::updates::decoder::Decode;
    let client = yrs::Doc::new();
    let state = docs.board.transact().encode_state_as_update_v1(&yrs::StateVector::default());
    let mut txn = client.transact_mut();
    txn.apply_update(yrs::Update::decode_v1(&state).expect("the board decodes")).expect("and applies");
    let before = txn.state_vector();
    write(&mut txn);
    txn.encode_state_as_update_v1(&before)
}

fn set(root: &'static str, key: &'static str, value: impl Into<yrs::Any>) -> impl FnOnce(&mut yrs::TransactionMut<'_>) {
    let value = value.into();
    move |txn| {
        txn.get_or_insert_map(root).insert(txn, key, value);
    }
}

fn set_in_activity(
    id: &'static str,
    key: &'static str,
    value: impl Into<yrs::Any>,
) -> impl FnOnce(&mut yrs::TransactionMut<'_>) {
    let value = value.into();
    move |txn| {
        let Some(Out::YMap(map)) = txn.get_or_insert_map(board::ACTIVITIES).get(txn, id) else { panic!("no {id}") };
        map.insert(txn, key, value);
    }
}

#[test]
fn a_write_that_breaks_the_layout_is_named_and_one_that_keeps_it_is_not() {
    use super::layout::{LayoutGuard, board_faults};
    let docs = after(&[
        (Alice, ALICE_CARD),
        (Alice, ALICE_IDEA),
        (Alice, ALICE_PLEDGE),
        (Alice, ALICE_FEEDBACK),
        (Facilitator, OPEN_VOTE),
        (Alice, r#"{"kind":"set_dots","activity":"options","option":"one-review","dots":1}"#),
        (Facilitator, r#"{"kind":"reveal_activity","activity":"options"}"#),
        (Facilitator, r#"{"kind":"start_timer","seconds":60}"#),
        (Facilitator, r#"{"kind":"set_current","activity":"options"}"#),
        (Facilitator, LOCK_MAP),
    ]);
    let faults = board_faults(&docs.board.transact());
    assert!(faults.is_empty(), "every shipped workshop, run, has the documented layout: {faults:?}");

    let check = |update: Vec<u8>, expected: Option<&str>| {
        assert_eq!(LayoutGuard::default().check(&docs.board, &update).as_deref(), expected);
    };
    check(written(&docs, set(board::ROOM, "perspectives", "nonsense")), Some("room.perspectives"));
    check(written(&docs, set(board::ROOM, "current", 3)), Some("room.current"));
    check(written(&docs, set(board::ROOM, "timer", 5)), Some("room.timer"));
    check(written(&docs, set(board::ACTIVITIES, "current-map", "broken")), Some("activities.current-map"));
    check(written(&docs, set(Collection::Cards.root(), "id1", 7)), Some("cards.id1"));
    check(
        written(&docs, set_in_activity("current-map", "touchpoints", "x")),
        Some("activities.current-map.touchpoints"),
    );
    check(written(&docs, set_in_activity("current-map", "state", 42)), Some("activities.current-map.state"));
    check(written(&docs, set_in_activity("options", "budget", "three")), Some("activities.options.budget"));
    let nested = written(&docs, |txn| {
        txn.get_or_insert_map(board::ROOM).insert(txn, "current", yrs::MapPrelim::default());
    });
    check(nested, Some("room.current"));
    // Writes that keep the layout, and keys it leaves open.
    check(written(&docs, set(board::ROOM, "title", "A new title")), None);
    check(written(&docs, set(board::ROOM, "current", yrs::Any::Null)), None);
    check(written(&docs, set(board::ROOM, "theme", 3)), None);
    check(written(&docs, set_in_activity("current-map", "state", "open")), None);

    // A board damaged before takes writes: its old fault is not the writer's, and mending it is welcome.
    perspectives_not_a_list(&docs);
    check(written(&docs, set(board::ROOM, "title", "Still works")), None);
    check(written(&docs, set(board::ROOM, "perspectives", 5)), None);
    check(written(&docs, set(board::ROOM, "perspectives", yrs::Any::from(Vec::<yrs::Any>::new()))), None);
    check(written(&docs, set(board::ROOM, "segments", 5)), Some("room.segments"));
}

#[test]
fn the_layout_guard_follows_the_board_and_checks_only_the_roots_an_update_changes() {
    use super::layout::LayoutGuard;
    use yrs::updates::decoder::Decode;
    let docs = scene(false);
    let mut guard = LayoutGuard::default();
    // A write the guard admits is then applied to the board, as the room does.
    let rename = written(&docs, set(board::ROOM, "title", "Renamed"));
    assert_eq!(guard.check(&docs.board, &rename), None);
    docs.board.transact_mut().apply_update(yrs::Update::decode_v1(&rename).expect("decodes")).expect("applies");
    // An intent's change reaches the guard's copy, so a later write over it is checked there.
    let context = Context { now: NOW, new_id: "id1", min_count: MinCount::default() };
    let applied = docs.apply(actor(Alice), &request(ALICE_CARD, 1), context).expect("a card");
    guard.follow(&applied.board_update.expect("the card is on the board"));
    let card_a_number = written(&docs, set(Collection::Cards.root(), "id1", 7));
    assert_eq!(guard.check(&docs.board, &card_a_number).as_deref(), Some("cards.id1"));
    // After a refusal the copy is made again from the board, which never took the refused update.
    assert_eq!(guard.check(&docs.board, &written(&docs, set(board::ROOM, "title", "Again"))), None);
    // A root the layout leaves open is not checked.
    assert_eq!(guard.check(&docs.board, &written(&docs, set("notes", "anything", 7))), None);
}

#[test]
fn a_contact_is_deleted_the_retention_period_after_its_date_and_not_a_second_before() {
    use super::follow_up::{FollowUpAnswer, FollowUpRequest};

    let docs = after(&[(Alice, ALICE_PLEDGE)]);
    let retention = 90 * 86_400;
    // Asked on 14 November 2023, for the default three months: 14 February 2024, then 90 days.
    let deletion = crate::calendar::days_from_civil(2024, 2, 14) + 90 * 86_400;
    assert_eq!(docs.next_contact_expiry(retention), Some(deletion));
    let expire = FollowUpRequest::Expire { retention_secs: retention };
    let at = |seconds: i64| u64::try_from(seconds).expect("after the epoch");
    let (answer, applied) = docs.follow_ups(&expire, at(deletion - 1)).expect("a sweep");
    assert_eq!(
        (answer, applied.contacts_erased, applied.ledger_update),
        (FollowUpAnswer::Expired { expired: 0 }, false, None)
    );
    let (answer, applied) = docs.follow_ups(&expire, at(deletion)).expect("a sweep");
    assert_eq!((answer, applied.contacts_erased), (FollowUpAnswer::Expired { expired: 1 }, true));
    assert_eq!(docs.next_contact_expiry(retention), None);
    assert_eq!(docs.participant_view(&participant(Alice).to_string()).contributions[0].contact, Some(false));
}

#[test]
fn a_helper_reads_back_its_own_entries_and_a_rotated_key_none() {
    let docs = after(&[
        (Helper, PAPER_CARD),
        (Facilitator, PAPER_CARD),
        (Alice, ALICE_CARD),
        (Facilitator, OPEN_VOTE),
        (Helper, PAPER_BALLOT),
        (Helper, ALICE_NAMING),
        (Helper, r#"{"kind":"add_idea","activity":"ideas","text":"More chairs"}"#),
        (Helper, r#"{"kind":"withdraw","id":"id7"}"#),
    ]);
    let view = serde_json::to_value(docs.helper_view(0)).expect("a view serialises");
    let entries: Vec<(&str, &str, bool)> = view["entries"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| (e["id"].as_str().unwrap_or(""), e["collection"].as_str().unwrap_or(""), e["held"] == true))
        .collect();
    // In the order typed in; the withdrawn idea is gone; the facilitator's and Alice's are not there.
    assert_eq!(entries, [("id1", "cards", false), ("id5", "paper_ballots", false), ("id6", "cards", true)]);
    assert_eq!(view["entries"][0]["entry"]["perspective"], "carer");
    assert_eq!(view["entries"][0]["entry"]["assisted"], true);
    assert_eq!(view["entries"][1]["activity"], "options");
    assert_eq!(view["entries"][1]["entry"]["dots"], serde_json::json!({ "same-day-callback": 2 }));
    assert_eq!(view["entries"][1]["entry"]["role"], "gp");
    assert_eq!(view["entries"][2]["entry"]["note"], "Dr Patel was kind");

    assert_eq!(docs.helper_generation(), 0);
    let (generation, applied) =
        docs.rotate_helper_key(Context { now: NOW, new_id: "", min_count: MinCount::default() });
    assert_eq!((generation, docs.helper_generation()), (1, 1));
    assert!(applied.ledger_update.is_some() && applied.board_update.is_some(), "the rotation is stored");
    let audit = {
        use yrs::types::ToJson;
        let txn = docs.board.transact();
        txn.get_array(board::AUDIT).map(|audit| serde_json::to_value(audit.to_json(&txn)).unwrap_or_default())
    };
    let last = audit.as_ref().and_then(|audit| audit.as_array()?.last().cloned()).unwrap_or_default();
    assert_eq!(last["action"], "rotate_helper_key", "the rotation is in the audit trail: {audit:?}");
    assert_eq!(last["at"], NOW);
    assert_eq!(docs.helper_view(1).entries, []);
    // The old key's entries are the room's now: the new key cannot take them back.
    let refused = docs.apply(
        Actor::Helper { generation: 1 },
        &request(r#"{"kind":"withdraw","id":"id1"}"#, 99),
        Context { now: NOW, new_id: "id99", min_count: MinCount::default() },
    );
    assert_eq!(refused.map_err(|e| e.code()).err(), Some("not_yours"));
}
