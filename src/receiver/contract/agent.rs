//! The contract of the agent events (`callcenter.agent.*`): the fields each carries in the
//! profile; each agent's `state_changed` events replay its state (`previous_state` is the
//! `latest_state` of its previous one, but for the silent change the profile allows); and
//! its `conversation_changed` `enter` and `exit` pair up per conversation.
//!
//! A state is the platform's `<base>[/extension]`: one of `idle`, `fetching`, `talking`,
//! `busy`, `online`, `away`, and an extension after the ones that take one
//! (`busy/after-call`, the `reserve_state` of an enqueue).

use std::collections::HashMap;

use super::Event;
use super::fields::{Fields, Need};
use super::profile::ProfileRules;
use crate::agent::{AgentState, StateName};
use crate::event::EventKind;

/// What the events of one agent said so far.
#[derive(Debug, Default)]
struct AgentTrack {
    /// The `latest_state` of its last `state_changed`.
    state: Option<StateName>,
    /// Per conversation it entered or left and has not balanced yet: enters minus exits.
    inside: HashMap<String, i32>,
}

/// Every agent seen, by sub-account and name.
#[derive(Debug, Default)]
pub(super) struct Agents {
    tracks: HashMap<(String, String), AgentTrack>,
}

impl Agents {
    /// Agents seen.
    pub(super) fn len(&self) -> u64 {
        self.tracks.len() as u64
    }

    /// The agents' entries that did not pair up, each described: an `enter` without its
    /// `exit`, or (order-free rules) an `exit` without its `enter`. Sorted.
    pub(super) fn unpaired(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .tracks
            .iter()
            .flat_map(|((_, name), t)| {
                t.inside.iter().map(move |(conv, balance)| {
                    if *balance > 0 {
                        format!("agent {name} entered conversation {conv} and never left it")
                    } else {
                        format!("agent {name} left conversation {conv} without entering it")
                    }
                })
            })
            .collect();
        out.sort();
        out
    }

    /// Checks one agent event; its problems, each naming the event and the agent.
    pub(super) fn check(&mut self, ev: &Event<'_>) -> Vec<String> {
        let event = ev.kind.name();
        let mut f = Fields::new(ev.obj);
        let Some(name) = f
            .string("name", Need::Required)
            .filter(|n| !n.trim().is_empty())
        else {
            return vec![format!("{event}: name missing or not a string")];
        };
        let sub = f.text("subaccount_id").unwrap_or_default();
        let track = self
            .tracks
            .entry((sub.to_owned(), name.to_owned()))
            .or_default();
        match ev.kind {
            EventKind::AgentStateChanged => state_changed(track, ev, &mut f),
            EventKind::AgentConversationChanged => conversation_changed(track, ev, &mut f),
            _ => {}
        }
        f.out
            .into_iter()
            .map(|m| format!("{event} {name}: {m}"))
            .collect()
    }
}

const COMMON: [&str; 6] = [
    "action",
    "event",
    "name",
    "subaccount_id",
    "current_time",
    "user_data",
];

/// `state_changed`: its fields, and the replay of the agent's state.
fn state_changed(track: &mut AgentTrack, ev: &Event<'_>, f: &mut Fields<'_>) {
    let mut allowed = COMMON.to_vec();
    allowed.extend(["previous_state", "latest_state"]);
    f.allow_only(&allowed);
    f.epoch_ms("current_time");
    let previous = state_of(f, "previous_state");
    let latest = state_of(f, "latest_state");
    if let (Some(p), Some(l)) = (&previous, &latest)
        && p == l
    {
        f.problem(format!("previous_state and latest_state are both {p}"));
    }
    if ev.rules.ordered
        && let (Some(last), Some(previous)) = (&track.state, &previous)
        && last != previous
        && !silent(ev.profile, last, previous)
    {
        f.problem(format!(
            "previous_state {previous}, but the agent's last state_changed left it {last}"
        ));
    }
    // An unreadable latest state leaves the next one unchecked, like an agent's first.
    track.state = latest;
}

/// `name`, required, as a state (`<base>[/extension]`); a problem if it is not one.
fn state_of(f: &mut Fields<'_>, name: &str) -> Option<StateName> {
    let text = f.string(name, Need::Required)?;
    let state = StateName::parse(text);
    if state.is_none() {
        f.problem(format!(
            "{name} {text:?} is not a state (idle|fetching|talking|busy|online|away, \
             fetching|talking|busy|away followed by /extension)"
        ));
    }
    state
}

/// Whether an agent in state `from` may be in another one without an event in this
/// profile: the profile's silent change (after-call work ended through the state API), or
/// any change out of a state only the application sets and ends (`online`, `away…`, an
/// extended `busy/…`), through the state API, which sends no event.
fn silent(p: &ProfileRules, from: &StateName, to: &StateName) -> bool {
    p.silent_change.is_some_and(|(f, t)| *from == f && *to == t) || application_owned(from)
}

/// Whether a state is one only the application sets and ends.
fn application_owned(from: &StateName) -> bool {
    matches!(from.base(), AgentState::Online | AgentState::Away)
        || (from.base() == AgentState::Busy && from.extension().is_some())
}

/// `conversation_changed`: its fields, and the pairing of `enter` and `exit`.
fn conversation_changed(track: &mut AgentTrack, ev: &Event<'_>, f: &mut Fields<'_>) {
    let p = ev.profile;
    let mut allowed = COMMON.to_vec();
    allowed.extend(["type", "conversation_id"]);
    if p.conversation_changed_latest_state {
        allowed.push("latest_state");
    }
    f.allow_only(&allowed);
    f.epoch_ms("current_time");
    f.hex("conversation_id", Need::Required);
    if p.conversation_changed_latest_state {
        let latest = state_of(f, "latest_state");
        // The state the platform read when it built the event: the one the agent's
        // state_changed events left it in (or one a silent change leads to).
        if ev.rules.ordered
            && let (Some(last), Some(latest)) = (&track.state, &latest)
            && last != latest
            && !silent(p, last, latest)
        {
            f.problem(format!(
                "latest_state {latest}, but the agent's last state_changed left it {last}"
            ));
        }
    }
    let presence = f.one_of("type", &["enter", "exit"], Need::Required);
    let Some(conv) = f.text("conversation_id") else {
        return;
    };
    let ordered = ev.rules.ordered;
    let balance = track.inside.get(conv).copied().unwrap_or(0);
    let after = match presence {
        Some("enter") => {
            if balance > 0 {
                f.problem(format!(
                    "second enter into conversation {conv} without an exit"
                ));
            }
            balance + 1
        }
        Some(_) => {
            if (ordered && balance <= 0) || balance < 0 {
                f.problem(format!("exit from conversation {conv} without an enter"));
            }
            balance - 1
        }
        None => return,
    };
    // Ordered, an unmatched exit was reported now: it is not kept for the end.
    let after = if ordered { after.max(0) } else { after };
    if after == 0 {
        track.inside.remove(conv);
    } else {
        track.inside.insert(conv.to_owned(), after.clamp(-1, 1));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::{ID, Q, checker, feed, problems};
    use crate::event::profile::ProfileName::{Documented, Platform};

    const T: i64 = 1_700_000_000_000;

    fn state(name: &str, previous: &str, latest: &str) -> Value {
        json!({"action":"event_notify","event":"callcenter.agent.state_changed","name":name,
               "previous_state":previous,"latest_state":latest,"current_time":T})
    }
    fn presence(name: &str, kind: &str, conv: &str) -> Value {
        json!({"action":"event_notify","event":"callcenter.agent.conversation_changed","name":name,
               "type":kind,"conversation_id":conv,"current_time":T})
    }
    fn platform_presence(name: &str, kind: &str, conv: &str, latest: &str) -> Value {
        let mut v = presence(name, kind, conv);
        v["latest_state"] = json!(latest);
        v
    }

    fn one(event: &str, name: &str, msg: &str) -> Vec<String> {
        vec![format!("callcenter.agent.{event} {name}: {msg}")]
    }

    #[test]
    fn an_agents_day_holds_the_contract_in_each_profile() {
        let mut c = checker(Documented, true);
        for v in [
            state("a1", "idle", "fetching"),
            presence("a1", "enter", ID),
            state("a1", "fetching", "talking"),
            presence("a1", "exit", ID),
            state("a1", "talking", "busy"),
            state("a1", "busy", "idle"),
            state("a2", "idle", "fetching"),
            state("a2", "fetching", "idle"),
        ] {
            feed(&mut c, v);
        }
        let s = c.summary(true);
        assert!(s.held(), "{:?}", s.examples);
        assert_eq!((s.agents, s.families.agent.events), (2, 8));
        let mut c = checker(Platform, true);
        for v in [
            state("a1", "idle", "fetching"),
            platform_presence("a1", "enter", ID, "fetching"),
            state("a1", "fetching", "talking"),
            platform_presence("a1", "exit", ID, "talking"),
            state("a1", "talking", "busy"),
            // After-call work ended through the state API: no event, then selected again.
            state("a1", "idle", "fetching"),
        ] {
            feed(&mut c, v);
        }
        let s = c.summary(true);
        assert!(s.held(), "{:?}", s.examples);
    }

    #[test]
    fn conversation_changed_shows_the_state_the_agents_events_left_it_in() {
        let mut c = checker(Platform, true);
        for v in [
            state("a1", "idle", "fetching"),
            platform_presence("a1", "enter", ID, "talking"),
        ] {
            feed(&mut c, v);
        }
        let s = c.summary(false);
        assert_eq!(s.violations, 1, "{:?}", s.examples);
        assert!(
            s.examples[0].contains(
                "latest_state talking, but the agent's last state_changed left it fetching"
            ),
            "{:?}",
            s.examples
        );
        // Unordered, the events may cross: not checked.
        let mut c = checker(Platform, false);
        for v in [
            state("a1", "idle", "fetching"),
            platform_presence("a1", "enter", ID, "talking"),
        ] {
            feed(&mut c, v);
        }
        assert!(c.summary(false).held());
    }

    #[test]
    fn state_changed_needs_its_fields_with_known_states_and_a_change() {
        let mut v = state("a1", "idle", "offline");
        v.as_object_mut().map(|o| o.remove("current_time"));
        v["queue_id"] = json!(Q);
        let mut got = problems(Documented, &[v]);
        got.sort();
        assert_eq!(
            got,
            [
                "callcenter.agent.state_changed a1: current_time missing",
                "callcenter.agent.state_changed a1: latest_state \"offline\" is not a state (idle|fetching|talking|busy|online|away, fetching|talking|busy|away followed by /extension)",
                "callcenter.agent.state_changed a1: unexpected field \"queue_id\"",
            ]
        );
        let mut v = state("a1", "idle", "idle");
        v["current_time"] = json!(1_700_000_000);
        v["user_data"] = json!(" ");
        assert_eq!(
            problems(Documented, &[v]),
            [
                "callcenter.agent.state_changed a1: empty field \"user_data\" should be omitted",
                "callcenter.agent.state_changed a1: current_time is not an integer of epoch milliseconds",
                "callcenter.agent.state_changed a1: previous_state and latest_state are both idle",
            ]
        );
        let mut v = state("a1", "idle", "fetching");
        v.as_object_mut().map(|o| o.remove("name"));
        assert_eq!(
            problems(Documented, &[v]),
            ["callcenter.agent.state_changed: name missing or not a string"]
        );
    }

    #[test]
    fn state_changed_events_replay_each_agents_state() {
        let gap = [
            state("a1", "idle", "fetching"),
            state("a1", "talking", "idle"),
        ];
        let want = one(
            "state_changed",
            "a1",
            "previous_state talking, but the agent's last state_changed left it fetching",
        );
        assert_eq!(problems(Documented, &gap), want);
        assert_eq!(problems(Platform, &gap), want);
        // Agents are told apart by name and sub-account.
        let mut other = state("a1", "talking", "idle");
        other["subaccount_id"] = json!("sub1");
        assert!(problems(Documented, &[state("a1", "idle", "fetching"), other]).is_empty());
        assert!(
            problems(
                Documented,
                &[
                    state("a1", "idle", "fetching"),
                    state("a2", "talking", "idle")
                ]
            )
            .is_empty()
        );
    }

    #[test]
    fn only_the_platform_lets_after_call_work_end_silently() {
        let wrap_up = [
            state("a1", "talking", "busy"),
            state("a1", "idle", "fetching"),
        ];
        assert!(problems(Platform, &wrap_up).is_empty());
        assert_eq!(
            problems(Documented, &wrap_up),
            one(
                "state_changed",
                "a1",
                "previous_state idle, but the agent's last state_changed left it busy"
            )
        );
        // Only busy to idle is silent.
        let other = [state("a1", "idle", "busy"), state("a1", "talking", "idle")];
        assert_eq!(problems(Platform, &other).len(), 1);
    }

    #[test]
    fn extended_states_are_states_and_the_application_ends_its_own_silently() {
        // A release to the enqueue's reserve_state, then the application's `idle`.
        let day = [
            state("a1", "idle", "fetching"),
            state("a1", "fetching", "talking"),
            state("a1", "talking", "busy/after-call"),
            state("a1", "idle", "fetching"),
            state("a1", "fetching", "talking"),
            state("a1", "talking", "away/lunch"),
            state("a1", "idle", "fetching"),
        ];
        assert!(problems(Documented, &day).is_empty());
        assert!(problems(Platform, &day).is_empty());
        assert_eq!(
            problems(
                Documented,
                &[
                    state("a1", "busy/after-call", "busy/after-call"),
                    state("a1", "idle/x", "busy"),
                ]
            ),
            [
                "callcenter.agent.state_changed a1: previous_state and latest_state are both busy/after-call",
                "callcenter.agent.state_changed a1: previous_state \"idle/x\" is not a state (idle|fetching|talking|busy|online|away, fetching|talking|busy|away followed by /extension)",
            ]
        );
        // Out of an engine's own state, a change still needs its event.
        let gap = [
            state("a1", "fetching", "talking"),
            state("a1", "idle", "fetching"),
        ];
        assert_eq!(problems(Platform, &gap).len(), 1);
    }

    #[test]
    fn the_replay_waits_for_order_but_a_non_change_never_passes() {
        let gap = [
            state("a1", "idle", "fetching"),
            state("a1", "talking", "idle"),
        ];
        let mut c = checker(Documented, false);
        for v in gap {
            feed(&mut c, v);
        }
        assert!(c.summary(true).held());
        let mut c = checker(Documented, false);
        feed(&mut c, state("a1", "busy", "busy"));
        assert_eq!(c.summary(true).violations, 1);
    }

    #[test]
    fn conversation_changed_needs_its_fields_per_profile() {
        assert!(problems(Documented, &[presence("a1", "enter", ID)]).is_empty());
        assert_eq!(
            problems(
                Documented,
                &[platform_presence("a1", "enter", ID, "fetching")]
            ),
            one(
                "conversation_changed",
                "a1",
                "unexpected field \"latest_state\""
            )
        );
        assert_eq!(
            problems(Platform, &[presence("a1", "enter", ID)]),
            one("conversation_changed", "a1", "latest_state missing")
        );
        assert_eq!(
            problems(Platform, &[platform_presence("a1", "enter", ID, "idle/x")]),
            one(
                "conversation_changed",
                "a1",
                "latest_state \"idle/x\" is not a state (idle|fetching|talking|busy|online|away, \
                 fetching|talking|busy|away followed by /extension)"
            )
        );
        let mut got = problems(Documented, &[presence("a1", "join", "ABC")]);
        got.sort();
        assert_eq!(
            got,
            [
                "callcenter.agent.conversation_changed a1: conversation_id is not 32 lowercase hex",
                "callcenter.agent.conversation_changed a1: type \"join\" is not one of enter|exit",
            ]
        );
    }

    #[test]
    fn enter_and_exit_pair_up_per_agent_and_conversation() {
        assert_eq!(
            problems(Documented, &[presence("a1", "exit", ID)]),
            one(
                "conversation_changed",
                "a1",
                &format!("exit from conversation {ID} without an enter")
            )
        );
        assert_eq!(
            problems(
                Documented,
                &[presence("a1", "enter", ID), presence("a1", "enter", ID)]
            ),
            one(
                "conversation_changed",
                "a1",
                &format!("second enter into conversation {ID} without an exit")
            )
        );
        // Another agent, another conversation: their own pairs.
        assert!(
            problems(
                Documented,
                &[
                    presence("a1", "enter", ID),
                    presence("a2", "enter", ID),
                    presence("a1", "enter", Q),
                    presence("a2", "exit", ID),
                    presence("a1", "exit", ID),
                    presence("a1", "exit", Q),
                ]
            )
            .is_empty()
        );
        // Still inside at the end of a complete run.
        let mut c = checker(Documented, true);
        feed(&mut c, presence("a1", "enter", ID));
        assert!(c.summary(false).held());
        let s = c.summary(true);
        assert_eq!(s.unpaired_entries, 1);
        assert!(!s.held());
        assert_eq!(
            s.examples,
            [format!(
                "agent a1 entered conversation {ID} and never left it"
            )]
        );
    }

    #[test]
    fn order_free_pairing_counts_but_accepts_an_exit_first() {
        let mut c = checker(Documented, false);
        feed(&mut c, presence("a1", "exit", ID));
        assert_eq!(
            c.summary(true).unpaired_entries,
            1,
            "an exit without its enter"
        );
        feed(&mut c, presence("a1", "enter", ID));
        let s = c.summary(true);
        assert!(s.held(), "{:?}", s.examples);
        feed(&mut c, presence("a1", "exit", ID));
        feed(&mut c, presence("a1", "exit", ID));
        assert_eq!(c.summary(false).violations, 1, "a second exit");
    }
}
