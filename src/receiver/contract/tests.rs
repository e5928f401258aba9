//! The checker's own tests: what every family shares (refusals, duplicates, signatures,
//! garbage, the summary's words); each family's rules are tested beside them.

use serde_json::{Value, json};

use super::testing::{ID, Q, checker, feed};
use super::*;

fn begin() -> Value {
    json!({"action":"event_notify","event":"callcenter.conversation.begin","id":ID,"type":"queue","queue_id":Q})
}
fn parts() -> Value {
    json!({"action":"event_notify","event":"callcenter.conversation.parts_changed","id":ID})
}
fn end() -> Value {
    json!({"action":"event_notify","event":"callcenter.conversation.end","id":ID,"type":"queue",
           "queue_id":Q,"begin_time":1_700_000_000_000i64,"end_time":1_700_000_060_000i64,
           "record_file":Q,"end_reason":"customer_hangup"})
}
fn state(previous: &str, latest: &str, at: i64) -> Value {
    json!({"action":"event_notify","event":"callcenter.agent.state_changed","name":"a1",
           "previous_state":previous,"latest_state":latest,"current_time":at})
}
fn select() -> Value {
    json!({"action":"event_notify","event":"callcenter.queue.select","id":Q,"type":"ivr",
           "origin_call_id":ID,"agent_name":"a1","agent_extension_id":ID,"agent_call_id":Q})
}

#[test]
fn an_event_refused_on_purpose_may_be_given_up_or_retried() {
    let bytes = |v: Value| serde_json::to_vec(&v).unwrap();
    // Given up: the sender moves on to `end` after four refusals of `begin`.
    let mut c = ContractChecker::new();
    feed(&mut c, parts());
    for _ in 0..4 {
        c.refused(&bytes(begin()), None);
    }
    feed(&mut c, end());
    let s = c.summary(true);
    assert!(s.held(), "{:?}", s.examples);
    assert_eq!(s.events, 2, "refusals are not receptions");
    // Retried: the accepted retry is the same event, not a second begin.
    let mut c = ContractChecker::new();
    feed(&mut c, parts());
    c.refused(&bytes(begin()), None);
    feed(&mut c, begin());
    feed(&mut c, end());
    let s = c.summary(true);
    assert!(s.held(), "{:?}", s.examples);
    // An agent's refused state change moves its state on: no gap if it is given up, no
    // second change if it is retried.
    for retried in [false, true] {
        let mut c = ContractChecker::new();
        feed(&mut c, state("idle", "fetching", 1_700_000_000_000));
        c.refused(
            &bytes(state("fetching", "talking", 1_700_000_001_000)),
            None,
        );
        if retried {
            feed(&mut c, state("fetching", "talking", 1_700_000_001_000));
        }
        feed(&mut c, state("talking", "idle", 1_700_000_002_000));
        let s = c.summary(true);
        assert!(s.held(), "retried {retried}: {:?}", s.examples);
    }
}

#[test]
fn identical_repeats_are_duplicates_only_when_allowed() {
    let lenient = ContractRules {
        ordered: true,
        allow_duplicates: true,
        profile: ProfileName::Documented,
    };
    let mut c = ContractChecker::with_rules(lenient);
    for v in [
        begin(),
        begin(),
        parts(),
        parts(),
        end(),
        end(),
        select(),
        select(),
    ] {
        feed(&mut c, v);
    }
    let s = c.summary(false);
    assert!(s.held(), "{:?}", s.examples);
    assert_eq!(
        (s.events, s.duplicates),
        (8, 3),
        "parts_changed bodies may repeat"
    );
    assert_eq!(
        (s.families.conversation.events, s.families.queue.events),
        (6, 2)
    );
    let mut by_id = ContractChecker::with_rules(lenient);
    by_id.check_event(parts().to_string().as_bytes(), Some("msg_1"));
    by_id.check_event(parts().to_string().as_bytes(), Some("msg_1"));
    by_id.check_event(parts().to_string().as_bytes(), Some("msg_2"));
    assert_eq!(by_id.summary(false).duplicates, 1);
    let mut strict = ContractChecker::new();
    for v in [begin(), begin(), select(), select()] {
        feed(&mut strict, v);
    }
    let s = strict.summary(false);
    assert_eq!(s.violations, 2);
    assert_eq!(
        (
            s.families.conversation.violations,
            s.families.queue.violations
        ),
        (1, 1)
    );
}

#[test]
fn bad_signatures_break_the_contract() {
    let mut c = ContractChecker::new();
    c.bad_signature("bad signature".into());
    let s = c.summary(false);
    assert!(!s.held());
    assert_eq!(s.bad_signatures, 1);
    assert_eq!(s.breaches(), "1 bad signature");
}

#[test]
fn garbage_bodies_are_reported_not_panicked_on() {
    let mut c = ContractChecker::new();
    c.check(b"not json");
    c.check(b"[1,2]");
    feed(
        &mut c,
        json!({"action":"event_notify","event":"callcenter.nope","id":ID}),
    );
    feed(
        &mut c,
        json!({"action":"event_notify","event":"callcenter.agent.state_changed","name":7}),
    );
    feed(
        &mut c,
        json!({"action":"event_notify","event":"callcenter.queue.fail"}),
    );
    let s = c.summary(false);
    assert_eq!(s.violations, 5, "{:?}", s.examples);
    assert_eq!(
        s.families.agent,
        FamilyCounts {
            events: 1,
            violations: 1
        }
    );
    assert_eq!(
        s.families.queue,
        FamilyCounts {
            events: 1,
            violations: 1
        }
    );
}

#[test]
fn the_summary_names_its_profile_and_says_what_broke_in_words() {
    let s = checker(ProfileName::Platform, false).summary(true);
    assert_eq!(s.profile, "platform");
    assert_eq!(
        s.breaches(),
        "0 violations, 0 unterminated conversations, 0 unpaired agent entries, \
         0 unfinished queue tasks, 0 bad signatures"
    );
    let mut c = ContractChecker::new();
    feed(&mut c, begin());
    feed(&mut c, select());
    feed(&mut c, state("idle", "idle", 1_700_000_000_000));
    let s = c.summary(true);
    assert_eq!(
        s.breaches(),
        "1 violation, 1 unterminated conversation, 1 unfinished queue task"
    );
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["profile"], "documented");
    assert_eq!(json["families"]["agent"]["violations"], 1);
    assert_eq!(json["unfinished_tasks"], 1);
}

#[test]
fn the_rules_follow_the_senders_profile() {
    assert!(ContractRules::for_sender(ProfileName::Documented).ordered);
    assert!(!ContractRules::for_sender(ProfileName::Platform).ordered);
    let rules = ContractRules::default().with_profile(ProfileName::Platform);
    assert_eq!(rules.profile, ProfileName::Platform);
    assert!(rules.ordered);
}
