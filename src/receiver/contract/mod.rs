//! The event contract checker: validates each webhook body against the field rules of the
//! run's fidelity profile (`documented` or `platform`) and each subject's sequence, for the
//! three event families: a conversation's `begin`, `parts_changed` and `end`; an agent's
//! state replay and its entering and leaving conversations; a queue task's `select` then
//! `success` or `fail`. Pure logic, fed by the built-in receiver; one module per family
//! (`conversation`, `agent`, `queue`), the shared field checks (`fields`), each profile's
//! rules (`profile`) and the record check (`record`).
//!
//! The sequence rules are switchable ([`ContractRules`]): when the sender reorders on
//! purpose (`--ordering none`, `--reorder-rate`) only order-free rules apply (at most one
//! `begin` and one `end`, one `select` and one ending per queue task, matching types,
//! everything paired at the end of a complete run), and when it duplicates on purpose
//! (`--duplicate-rate`) a repeat of an event already seen is counted as a duplicate rather
//! than checked again.

mod agent;
mod conversation;
mod fields;
mod profile;
mod queue;
mod record;

use std::collections::HashSet;

use serde::Serialize;
use serde_json::{Map, Value};

use super::escape::for_terminal;
use crate::event::EventKind;
use crate::event::profile::ProfileName;
use crate::families::EventFamily;
use profile::ProfileRules;

/// How many violation messages are kept verbatim (the count is always exact).
const MAX_EXAMPLES: usize = 20;

/// Which rules apply: the sender's profile, and what it promised about order and
/// duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractRules {
    /// Each lane's events arrive in order: a conversation's (`begin` first, `end` last,
    /// its queue tasks' `select` before their end) and an agent's.
    pub ordered: bool,
    /// An identical repeat of an event is expected and not a violation.
    pub allow_duplicates: bool,
    /// The fidelity profile whose fields (and silent agent state changes) to expect.
    pub profile: ProfileName,
}

impl ContractRules {
    /// The rules a receiver may expect from these delivery options, in the documented
    /// profile (see [`ContractRules::with_profile`]): order only with per-conversation
    /// ordering and no reordering; duplicates when they are asked for.
    pub fn for_delivery(options: &crate::delivery::options::DeliveryOptions) -> Self {
        Self {
            ordered: options.ordering == crate::delivery::options::OrderingMode::PerConversation
                && !options.robustness.reorders(),
            allow_duplicates: options.robustness.duplicates(),
            profile: ProfileName::default(),
        }
    }

    /// The rules a receiver may expect from a sender of `profile` with that profile's
    /// delivery defaults (`ccsim listen --profile`): the documented profile keeps each
    /// lane in order, the platform sends every event on its own.
    pub fn for_sender(profile: ProfileName) -> Self {
        Self {
            ordered: ProfileRules::of(profile).ordered_by_default,
            allow_duplicates: false,
            profile,
        }
    }

    /// These rules, for events of `profile`.
    pub fn with_profile(self, profile: ProfileName) -> Self {
        Self { profile, ..self }
    }
}

impl Default for ContractRules {
    fn default() -> Self {
        Self {
            ordered: true,
            allow_duplicates: false,
            profile: ProfileName::default(),
        }
    }
}

/// Events and violations of one family.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FamilyCounts {
    /// Events of the family checked (duplicates included).
    pub events: u64,
    /// Violations found in them.
    pub violations: u64,
}

/// Events and violations per family.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PerFamily {
    /// `callcenter.conversation.*`.
    pub conversation: FamilyCounts,
    /// `callcenter.agent.*`.
    pub agent: FamilyCounts,
    /// `callcenter.queue.*`.
    pub queue: FamilyCounts,
}

impl PerFamily {
    fn of(&mut self, family: EventFamily) -> &mut FamilyCounts {
        match family {
            EventFamily::Conversation => &mut self.conversation,
            EventFamily::Agent => &mut self.agent,
            EventFamily::Queue => &mut self.queue,
        }
    }
}

/// The contract checker's result.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ContractSummary {
    /// Events checked.
    pub events: u64,
    /// Conversations seen.
    pub conversations: u64,
    /// Violations found.
    pub violations: u64,
    /// Conversations that began but never ended (counted at the end of a complete run);
    /// with order-free rules, also those that ended without a `begin`.
    pub unterminated: u64,
    /// Identical repeats of an event, when duplicates are allowed.
    pub duplicates: u64,
    /// Requests whose Standard Webhooks signature did not verify (receiver with secrets).
    pub bad_signatures: u64,
    /// The profile the events were checked against.
    pub profile: &'static str,
    /// Agents seen (by sub-account and name).
    pub agents: u64,
    /// Queue tasks seen.
    pub queue_tasks: u64,
    /// Agents' entries into a conversation without their exit (counted at the end of a
    /// complete run); with order-free rules, also exits without their entry.
    pub unpaired_entries: u64,
    /// Queue tasks selected and never ended (counted at the end of a complete run); with
    /// order-free rules, also those that succeeded (or failed with `call_fail`) without a
    /// `select`.
    pub unfinished_tasks: u64,
    /// Events and violations per family (a violation no family owns, such as a body that
    /// is not JSON, is counted in `violations` only).
    pub families: PerFamily,
    /// The first violations, verbatim.
    pub examples: Vec<String>,
}

impl ContractSummary {
    /// Whether the contract held.
    pub fn held(&self) -> bool {
        self.violations == 0
            && self.unterminated == 0
            && self.unpaired_entries == 0
            && self.unfinished_tasks == 0
            && self.bad_signatures == 0
    }

    /// What broke the contract, in words (`2 violations, 1 unterminated conversation`);
    /// the counts that are not zero, or every count when none is.
    pub fn breaches(&self) -> String {
        use crate::units::Count;
        let all = [
            (self.violations, Count::of(self.violations, "violation")),
            (
                self.unterminated,
                Count::of(self.unterminated, "unterminated conversation"),
            ),
            (
                self.unpaired_entries,
                Count::irregular(
                    self.unpaired_entries,
                    "unpaired agent entry",
                    "unpaired agent entries",
                ),
            ),
            (
                self.unfinished_tasks,
                Count::of(self.unfinished_tasks, "unfinished queue task"),
            ),
            (
                self.bad_signatures,
                Count::of(self.bad_signatures, "bad signature"),
            ),
        ];
        let some: Vec<String> = all
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(_, c)| c.to_string())
            .collect();
        if some.is_empty() {
            all.map(|(_, c)| c.to_string()).join(", ")
        } else {
            some.join(", ")
        }
    }
}

/// One event being checked, as the family modules see it.
pub(super) struct Event<'a> {
    kind: EventKind,
    obj: &'a Map<String, Value>,
    rules: ContractRules,
    profile: &'a ProfileRules,
}

impl Event<'_> {
    /// The event's `id` (a conversation's or a queue task's), or the problem naming the
    /// event when it is missing or not 32 lowercase hex.
    fn hex_id(&self) -> Result<&str, String> {
        self.obj
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| fields::is_hex32(s))
            .ok_or_else(|| format!("{}: id missing or not 32 lowercase hex", self.kind.name()))
    }
}

/// Checks events one by one.
#[derive(Debug, Default)]
pub struct ContractChecker {
    rules: ContractRules,
    profile: ProfileRules,
    convs: conversation::Conversations,
    agents: agent::Agents,
    tasks: queue::Tasks,
    /// Hashes of the events seen (only kept when duplicates are allowed).
    seen: HashSet<u64>,
    summary: ContractSummary,
}

impl ContractChecker {
    /// A fresh checker with the strict rules (ordered, no duplicates, documented profile).
    pub fn new() -> Self {
        Self::with_rules(ContractRules::default())
    }

    /// A fresh checker with these rules.
    pub fn with_rules(rules: ContractRules) -> Self {
        Self {
            rules,
            profile: ProfileRules::of(rules.profile),
            ..Self::default()
        }
    }

    /// Checks one webhook body.
    pub fn check(&mut self, body: &[u8]) {
        self.check_event(body, None);
    }

    /// Checks one webhook body that came with this `webhook-id` (signed requests): when
    /// duplicates are allowed, a repeat of an id is the duplicate; without an id, a
    /// byte-identical body is, but for `parts_changed` (whose bodies repeat legitimately).
    pub fn check_event(&mut self, body: &[u8], webhook_id: Option<&str>) {
        self.summary.events += 1;
        let (family, problems) = self.problems(body, webhook_id);
        if let Some(family) = family {
            self.summary.families.of(family).events += 1;
        }
        self.violations(family, problems);
    }

    /// An event this receiver refused on purpose (`listen --fail-rate`): the sender may
    /// retry it or give up on it, so it counts as seen (its subject moves on, and a retry
    /// of it is a repeat, not a second event) but not as received.
    pub fn refused(&mut self, body: &[u8], webhook_id: Option<&str>) {
        self.rules.allow_duplicates = true;
        let (family, problems) = self.problems(body, webhook_id);
        self.violations(family, problems);
    }

    /// Checks the record of conversation `id`, read while handling its event named `event`
    /// (whose body was already given to [`ContractChecker::check_event`]): it may show no
    /// change that the events received so far did not announce (`record` module). Only
    /// checked when events arrive in order (with `--ordering none`, a later event may be
    /// in flight and its change already visible).
    pub fn check_record(&mut self, event: &str, id: &str, record: &Value) {
        if !self.rules.ordered {
            return;
        }
        let Some(track) = self.convs.get(id) else {
            return;
        };
        let problems = record::problems(&self.profile, event, id, track, record);
        self.violations(Some(EventFamily::Conversation), problems);
    }

    /// Records that the record of conversation `id` could not be read (`why`).
    pub fn lookup_failed(&mut self, id: &str, why: &str) {
        self.violation(format!("{id}: cannot read the record: {why}"));
    }

    /// Records a request whose signature did not verify.
    pub fn bad_signature(&mut self, why: String) {
        self.summary.bad_signatures += 1;
        self.example(why);
    }

    fn violations(&mut self, family: Option<EventFamily>, problems: Vec<String>) {
        if let Some(family) = family {
            self.summary.families.of(family).violations += problems.len() as u64;
        }
        for p in problems {
            self.violation(p);
        }
    }

    fn violation(&mut self, p: String) {
        self.summary.violations += 1;
        self.example(p);
    }

    /// Keeps `p` as an example, escaped for printing: it may quote the sender's text.
    fn example(&mut self, p: String) {
        push_example(&mut self.summary.examples, &p);
    }

    /// The summary so far; `complete` says the run finished normally, so conversations
    /// that began without ending, agents still inside a conversation and queue tasks
    /// selected without ending break the contract (each named among the examples).
    pub fn summary(&self, complete: bool) -> ContractSummary {
        let mut s = self.summary.clone();
        s.profile = self.rules.profile.as_str();
        s.conversations = self.convs.len();
        s.agents = self.agents.len();
        s.queue_tasks = self.tasks.len();
        if complete {
            s.unterminated = self.convs.unterminated();
            let unpaired = self.agents.unpaired();
            let unfinished = self.tasks.unfinished(self.rules.ordered);
            s.unpaired_entries = unpaired.len() as u64;
            s.unfinished_tasks = unfinished.len() as u64;
            for p in unpaired.iter().chain(&unfinished) {
                push_example(&mut s.examples, p);
            }
        }
        s
    }

    /// The family of the event in `body` (when it names a known one) and its problems.
    fn problems(
        &mut self,
        body: &[u8],
        webhook_id: Option<&str>,
    ) -> (Option<EventFamily>, Vec<String>) {
        let (text, latin1) = crate::event::charset::body_text(body);
        if latin1 && !self.profile.latin1_bodies {
            return (
                None,
                vec![
                    "body is not UTF-8 (ISO-8859-1 bodies are what the platform profile's \
                     --legacy-charset sends)"
                        .to_owned(),
                ],
            );
        }
        let value: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => return (None, vec![format!("body is not JSON: {e}")]),
        };
        let Some(obj) = value.as_object() else {
            return (None, vec!["body is not a JSON object".to_owned()]);
        };
        let mut out = Vec::new();
        if obj.get("action").and_then(Value::as_str) != Some("event_notify") {
            out.push("action is not \"event_notify\"".to_owned());
        }
        let Some(event) = obj.get("event").and_then(Value::as_str) else {
            out.push("event field missing".to_owned());
            return (None, out);
        };
        let Some(kind) = EventKind::parse(event) else {
            out.push(format!("unknown event {event:?}"));
            return (None, out);
        };
        let family = kind.family();
        if self.is_duplicate(kind, body, webhook_id) {
            self.summary.duplicates += 1;
            return (Some(family), out);
        }
        let ev = Event {
            kind,
            obj,
            rules: self.rules,
            profile: &self.profile,
        };
        out.extend(match family {
            EventFamily::Conversation => self.convs.check(&ev),
            EventFamily::Agent => self.agents.check(&ev),
            EventFamily::Queue => self.tasks.check(&ev),
        });
        (Some(family), out)
    }

    /// Whether the event is a repeat of one already seen, when duplicates are allowed:
    /// the same `webhook-id`, or without one the same body (but for `parts_changed`).
    fn is_duplicate(&mut self, kind: EventKind, body: &[u8], webhook_id: Option<&str>) -> bool {
        if !self.rules.allow_duplicates {
            return false;
        }
        let key = match webhook_id {
            Some(id) => id.as_bytes(),
            None if kind == EventKind::ConversationPartsChanged => return false,
            None => body,
        };
        let mut h = std::hash::DefaultHasher::new();
        std::hash::Hasher::write(&mut h, key);
        !self.seen.insert(std::hash::Hasher::finish(&h))
    }
}

/// Appends `p` to `examples`, escaped for a terminal, while there is room.
fn push_example(examples: &mut Vec<String>, p: &str) {
    if examples.len() < MAX_EXAMPLES {
        examples.push(for_terminal(p).into_owned());
    }
}

/// Fixtures of the checker's tests.
#[cfg(test)]
mod testing {
    use serde_json::Value;

    use super::{ContractChecker, ContractRules};
    use crate::event::profile::ProfileName;

    /// A conversation (or queue task) id.
    pub(super) const ID: &str = "0123456789abcdef0123456789abcdef";
    /// Another id.
    pub(super) const Q: &str = "fedcba9876543210fedcba9876543210";

    /// A checker of `profile`, ordered or not, without duplicates.
    pub(super) fn checker(profile: ProfileName, ordered: bool) -> ContractChecker {
        ContractChecker::with_rules(ContractRules {
            ordered,
            allow_duplicates: false,
            profile,
        })
    }

    /// Checks `v`.
    pub(super) fn feed(c: &mut ContractChecker, v: Value) {
        c.check(v.to_string().as_bytes());
    }

    /// The violations of `events`, fed in order to an ordered checker of `profile`.
    pub(super) fn problems(profile: ProfileName, events: &[Value]) -> Vec<String> {
        violations(checker(profile, true), events)
    }

    /// The violations of `events` under order-free rules (an event on its own: its
    /// fields).
    pub(super) fn field_problems(profile: ProfileName, events: &[Value]) -> Vec<String> {
        violations(checker(profile, false), events)
    }

    fn violations(mut c: ContractChecker, events: &[Value]) -> Vec<String> {
        for v in events {
            feed(&mut c, v.clone());
        }
        c.summary(false).examples
    }
}

#[cfg(test)]
mod tests;
