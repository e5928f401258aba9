//! Unit tests of the loader: every field type, and the exact text and position of the
//! problems people make (each test names one mistake).

use super::*;
use crate::conversation::ConvType;
use crate::sim::dist::Dist;
use crate::sim::script::{PartyRef, ScriptAction};
use crate::units::{Span, Speed};

const HEAD: &str =
    "start_time = \"2026-01-05T09:00:00+08:00\"\n[agents]\nnames = [\"1001\", \"1002\"]\n";

fn load(name: &str, text: &str) -> Result<Scenario, Vec<Problem>> {
    load_texts(
        &[(name.to_string(), text.to_string())],
        &Overrides::default(),
        SimTime::from_millis(0),
    )
}

fn problems(name: &str, text: &str) -> Vec<String> {
    match load(name, text) {
        Ok(_) => Vec::new(),
        Err(p) => p.iter().map(ToString::to_string).collect(),
    }
}

fn valid(name: &str, text: &str) -> Scenario {
    load(name, text).unwrap_or_else(|p| panic!("{p:?}"))
}

/// A file with the agents and one queue conversation with these steps.
fn queue(steps: &str) -> String {
    format!("{HEAD}[[conversations]]\ntype = \"queue\"\ntimeline = [\n{steps}]\n")
}

fn secs(s: u64) -> Span {
    Span::from_millis(s * 1000)
}

// ----- every field type parses --------------------------------------------------------

#[test]
fn top_level_settings_parse_in_toml() {
    let s = valid(
        "a.toml",
        "name = \"n\"\ndescription = \"d\"\nseed = 7\nspeed = \"max\"\nprofile = \"documented\"\n\
         events = \"conversation\"\nstart_time = 2026-01-05T09:00:00+08:00\n\
         subaccount_id = \"8A2D9FED5A117DBB015A1201DB300004\"\n",
    );
    assert_eq!(s.name.as_deref(), Some("n"));
    assert_eq!(s.description.as_deref(), Some("d"));
    assert_eq!(s.seed, Some(7));
    assert_eq!(s.speed, Some(Speed::Max));
    assert_eq!(s.profile, Some(ProfileName::Documented));
    assert_eq!(s.events, ["conversation"]);
    assert_eq!(s.sim.start, SimTime::from_millis(1_767_574_800_000));
    assert_eq!(
        s.sim.subaccount_id.as_deref(),
        Some("8a2d9fed5a117dbb015a1201db300004"),
        "ids are stored lowercase"
    );
}

#[test]
fn top_level_settings_parse_in_json_with_numbers_for_speed_and_start_time() {
    let s = valid(
        "a.json",
        r#"{"speed": 60, "start_time": 1767574800000, "events": ["conversation"]}"#,
    );
    assert_eq!(s.speed, Some(Speed::Factor(60.0)));
    assert_eq!(s.sim.start, SimTime::from_millis(1_767_574_800_000));
}

#[test]
fn agents_are_named_first_then_generated_up_to_the_count() {
    let s = valid(
        "a.toml",
        "[agents]\ncount = 4\nnames = [\"agent-002\", { name = \"sup\", skills = [\"vip\"] }]\n",
    );
    let names: Vec<&str> = s.sim.agents.iter().map(|a| &**a).collect();
    assert_eq!(names, ["agent-002", "sup", "agent-001", "agent-003"]);
    assert_eq!(s.skills[1].1, ["vip"]);
    let default = valid("a.toml", "seed = 1\n");
    assert_eq!(
        default.sim.agents.len(),
        4,
        "4 agents when none are declared"
    );
}

#[test]
fn workload_fields_parse_into_the_engine_behaviour() {
    let s = valid(
        "a.toml",
        "[workload]\nduration = \"10m\"\nrate = \"100/h\"\nmix = { queue = 3, call_out = 1 }\n\
         handle_time = \"2m\"\npatience = \"never\"\nqueue_timeout = \"never\"\n\
         agent_ring = { dist = \"exponential\", mean = \"4s\" }\nagent_answer = \"90%\"\n\
         fetch_timeout = \"30s\"\ncallee_ring = { dist = \"lognormal\", median = \"5s\", p95 = \"20s\" }\n\
         callee_answer = 1\ndial_timeout = \"40s\"\ncustomer_hangup = 0\nwrap_up = \"15s\"\n\
         user_data = 0.25\n",
    );
    let w = &s.sim.workload;
    assert_eq!(w.duration, secs(600));
    let rates: Vec<(ConvType, f64)> = w
        .rates
        .iter()
        .map(|(t, r)| (*t, r.per_second() * 3600.0))
        .collect();
    assert_eq!(rates.len(), 2);
    assert!((rates[0].1 - 75.0).abs() < 1e-9 && rates[0].0 == ConvType::Queue);
    assert!((rates[1].1 - 25.0).abs() < 1e-9 && rates[1].0 == ConvType::CallOut);
    let b = &w.behaviour;
    assert_eq!(b.handle_time, Dist::fixed(secs(120)));
    assert_eq!(b.patience, None);
    assert_eq!(b.queue_timeout, None);
    assert_eq!(b.agent_ring, Dist::Exponential { mean: secs(4) });
    assert!((b.agent_answer.get() - 0.9).abs() < 1e-12);
    assert_eq!(b.fetch_timeout, secs(30));
    assert_eq!(b.dial_timeout, secs(40));
    assert_eq!(b.wrap_up, Dist::fixed(secs(15)));
    assert_eq!(b.callee_answer.get(), 1.0);
    assert_eq!(b.customer_hangup.get(), 0.0);
}

#[test]
fn a_ramp_becomes_rate_stages_and_sets_the_duration() {
    let s = valid(
        "a.toml",
        "[workload]\nramp = [\n  { duration = \"5m\", rates = { queue = \"60/h\" } },\n  \
         { duration = \"10m\", rates = { queue = \"120/h\" } },\n]\n",
    );
    let w = &s.sim.workload;
    assert_eq!(w.duration, secs(900));
    assert_eq!(w.ramp.len(), 2);
    assert_eq!(
        w.rate_at(ConvType::Queue, secs(60)),
        (1.0 / 60.0, Some(secs(300)))
    );
    assert_eq!(
        w.rate_at(ConvType::Queue, secs(400)),
        (2.0 / 60.0, Some(secs(900)))
    );
    assert_eq!(
        w.rate_at(ConvType::Queue, secs(1000)),
        (2.0 / 60.0, None),
        "the last stage holds"
    );
    assert_eq!(w.rate_at(ConvType::CallOut, secs(60)).0, 0.0);
}

#[test]
fn timelines_resolve_offsets_delays_and_absolute_times() {
    let s = valid(
        "a.toml",
        &format!(
            "{HEAD}[[conversations]]\ntype = \"queue\"\nat = \"10s\"\ncustomer = \"13800138000\"\n\
             user_data = \"u\"\nid = \"0123456789ABCDEF0123456789abcdef\"\ntimeline = [\n  \
             {{ do = \"enqueue\", call_id = \"11111111111111111111111111111111\" }},\n  \
             {{ after = \"5s\", do = \"select\", agent = \"1001\" }},\n  \
             {{ at = \"2026-01-05T09:00:20+08:00\", do = \"answer\", agent = \"1001\" }},\n  \
             {{ at = \"1m\", do = \"hangup\", party = \"customer\" }},\n]\n"
        ),
    );
    let c = &s.sim.scripted[0];
    let start = s.sim.start;
    let at: Vec<Span> = c.steps.iter().map(|st| st.at.since(start)).collect();
    assert_eq!(at, [secs(10), secs(15), secs(20), secs(70)]);
    assert_eq!(c.steps[1].action, ScriptAction::Select("1001".into()));
    assert_eq!(c.steps[3].action, ScriptAction::Hangup(PartyRef::Customer));
    assert_eq!(
        c.id.map(|i| i.to_string()).as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    assert!(c.steps[0].call_id.is_some());
    assert_eq!(c.customer.as_deref(), Some("13800138000"));
}

// ----- mistakes: exact text and position ----------------------------------------------

#[test]
fn a_bad_duration_names_the_step_field_and_the_expected_syntax() {
    let text = queue("  { do = \"enqueue\" },\n  { at = \"5 minutes\", do = \"timeout\" },\n");
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:8:10: conversations[0].timeline[1].at: expected a duration like 90s, 3m, 1h30m \
          or 250ms, got \"5 minutes\" (or an RFC 3339 time like 2026-01-05T09:00:30+08:00)"
        ]
    );
}

#[test]
fn an_unknown_top_level_field_lists_the_known_ones() {
    assert_eq!(
        problems("a.toml", "seed = 1\ncolour = \"red\"\n"),
        [
            "a.toml:2:1: unknown field `colour`, expected one of `name`, `description`, `seed`, \
          `speed`, `profile`, `events`, `start_time`, `subaccount_id`, `agents`, `workload`, \
          `conversations`"
        ]
    );
}

#[test]
fn an_unknown_field_in_a_step_points_at_the_key() {
    let text = queue("  { do = \"enqueue\" },\n  { do = \"select\", agnet = \"1001\" },\n");
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:8:20: conversations[0].timeline[1]: unknown field `agnet`, expected one of \
          `at`, `after`, `do`, `agent`, `number`, `party`, `call_id`"
        ]
    );
}

#[test]
fn a_wrong_type_says_what_was_expected() {
    assert_eq!(
        problems("a.toml", "seed = \"seven\"\n"),
        ["a.toml:1:8: seed: invalid type: string \"seven\", expected a whole number of 0 or more"]
    );
    assert_eq!(
        problems("a.json", "{\"conversations\": {\"type\": \"queue\"}}"),
        [
            "a.json:1:19: conversations: expected a list of conversations ([[conversations]] in \
          TOML, an array in JSON)"
        ]
    );
}

#[test]
fn an_unknown_agent_lists_the_agents() {
    let text = queue("  { do = \"enqueue\" },\n  { do = \"select\", agent = \"9999\" },\n");
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:8:28: conversations[0].timeline[1].agent: unknown agent \"9999\"; the agents \
          are \"1001\", \"1002\" (declare it in [agents] names)"
        ]
    );
}

#[test]
fn an_unknown_agent_in_json_is_placed_exactly() {
    let text = "{\n  \"agents\": {\"names\": [\"1001\"]},\n  \"conversations\": [\n    \
                {\"type\": \"call_agent\", \"agent\": \"1001\", \"timeline\": [\n      \
                {\"do\": \"dial\"},\n      {\"after\": \"1s\", \"do\": \"answer\", \"agent\": \
                \"1001\"},\n      {\"after\": \"1s\", \"do\": \"select\", \"agent\": \"1009\"}\n    \
                ]}\n  ]\n}\n";
    assert_eq!(
        problems("a.json", text),
        [
            "a.json:7:48: conversations[0].timeline[2].agent: unknown agent \"1009\"; the agents \
          are \"1001\" (declare it in [agents] names)"
        ]
    );
}

#[test]
fn answering_a_call_never_offered_is_an_impossible_timeline() {
    let text = queue(
        "  { do = \"enqueue\" },\n  { after = \"5s\", do = \"select\", agent = \"1001\" },\n  \
         { after = \"5s\", do = \"answer\", agent = \"1002\" },\n",
    );
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:9:24: conversations[0].timeline[2]: answer: agent \"1002\" was never offered \
          this call"
        ]
    );
}

#[test]
fn a_negative_rate_is_refused_with_the_rate_syntax() {
    assert_eq!(
        problems(
            "a.toml",
            "[workload]\nduration = \"1m\"\nrates = { queue = \"-5/s\" }\n"
        ),
        [
            "a.toml:3:19: workload.rates.queue: expected a rate like 50/s, 3000/m or 300/h, got \"-5/s\""
        ]
    );
}

#[test]
fn a_probability_outside_zero_to_one_is_refused() {
    let text = "[workload]\nduration = \"1m\"\nrates = { queue = \"5/s\" }\nagent_answer = 1.5\n";
    assert_eq!(
        problems("a.toml", text),
        [
            "a.toml:4:16: workload.agent_answer: expected a probability between 0 and 1 (or \
          0%..100%), got 1.5"
        ]
    );
    let text =
        "[workload]\nduration = \"1m\"\nrates = { queue = \"5/s\" }\ncallee_answer = \"120%\"\n";
    assert_eq!(
        problems("a.toml", text),
        [
            "a.toml:4:17: workload.callee_answer: expected a probability between 0 and 1 (or \
          0%..100%), got \"120%\""
        ]
    );
}

#[test]
fn a_bad_id_must_be_32_hex_characters() {
    let text = format!(
        "{HEAD}[[conversations]]\ntype = \"queue\"\nid = \"xyz\"\ntimeline = [{{ do = \"enqueue\" }}]\n"
    );
    assert_eq!(
        problems("a.toml", &text),
        ["a.toml:6:6: conversations[0].id: expected 32 hexadecimal characters, got \"xyz\""]
    );
}

#[test]
fn a_ninth_member_is_refused_like_the_platform_does() {
    let names: Vec<String> = (1001..=1008).map(|n| format!("\"{n}\"")).collect();
    let mut steps = String::from(
        "  { do = \"enqueue\" },\n  { do = \"select\", agent = \"1001\" },\n  \
         { do = \"answer\", agent = \"1001\" },\n",
    );
    for n in 1002..=1008 {
        steps.push_str(&format!(
            "  {{ after = \"1s\", do = \"invite_agent\", agent = \"{n}\" }},\n  \
             {{ after = \"1s\", do = \"answer\", agent = \"{n}\" }},\n"
        ));
    }
    let text = format!(
        "[agents]\nnames = [{}]\n[[conversations]]\ntype = \"queue\"\ntimeline = [\n{steps}]\n",
        names.join(", ")
    );
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:22:24: conversations[0].timeline[16]: answer: the conversation already has 8 \
          members; the platform allows at most 8 (error 040502)"
        ]
    );
}

#[test]
fn a_member_leaving_before_joining_is_refused() {
    let text = queue(
        "  { do = \"enqueue\" },\n  { do = \"select\", agent = \"1001\" },\n  \
         { do = \"answer\", agent = \"1001\" },\n  { do = \"invite_agent\", agent = \"1002\" },\n  \
         { after = \"1s\", do = \"leave\", agent = \"1002\" },\n",
    );
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:11:24: conversations[0].timeline[4]: leave: agent \"1002\" has not answered \
          (use no_answer)"
        ]
    );
}

#[test]
fn an_agent_busy_in_another_conversation_cannot_be_selected() {
    let text = format!(
        "{}[[conversations]]\ntype = \"queue\"\nat = \"1m\"\ntimeline = [\n  \
         {{ do = \"enqueue\" }},\n  {{ do = \"select\", agent = \"1001\" }},\n]\n",
        queue(
            "  { do = \"enqueue\" },\n  { do = \"select\", agent = \"1001\" },\n  { do = \"answer\", agent = \"1001\" },\n"
        )
    );
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:16:10: conversations[1].timeline[1]: select: agent \"1001\" is busy (talking \
          in conversations[0]) at 1m; an agent is in at most one conversation"
        ]
    );
}

#[test]
fn steps_out_of_time_order_are_refused() {
    let text = queue(
        "  { do = \"enqueue\" },\n  { at = \"20s\", do = \"select\", agent = \"1001\" },\n  \
         { at = \"10s\", do = \"answer\", agent = \"1001\" },\n",
    );
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:9:10: conversations[0].timeline[2].at: this step (at 10s) comes before the \
          previous one (at 20s); steps must be in time order"
        ]
    );
}

#[test]
fn an_unknown_step_lists_the_steps() {
    let text = queue("  { do = \"enqueue\" },\n  { do = \"pickup\" },\n");
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:8:10: conversations[0].timeline[1].do: unknown variant `pickup`, expected one \
          of `enqueue`, `dial`, `select`, `invite_agent`, `invite_out`, `ring`, `answer`, \
          `no_answer`, `hangup`, `leave`, `timeout`, `dismiss`, `max_duration`"
        ]
    );
}

#[test]
fn syntax_errors_have_positions_in_both_syntaxes() {
    assert_eq!(
        problems("a.json", "{\n  \"seed\": 1,\n  \"speed\": ,\n}\n"),
        ["a.json:3:12: syntax error: expected value"]
    );
    assert_eq!(
        problems("a.toml", "seed = 1\nspeed = \n"),
        ["a.toml:2:9: syntax error: invalid string; expected `\"`, `'`"]
    );
}

#[test]
fn a_missing_type_points_at_the_conversation() {
    let text = format!("{HEAD}[[conversations]]\ntimeline = [{{ do = \"enqueue\" }}]\n");
    assert_eq!(
        problems("a.toml", &text),
        ["a.toml:4:1: conversations[0]: missing field `type`"]
    );
}

#[test]
fn a_uniform_distribution_with_min_above_max_is_refused() {
    let text = "[workload]\nduration = \"1m\"\nrates = { queue = \"5/s\" }\n\
                agent_ring = { dist = \"uniform\", min = \"10s\", max = \"2s\" }\n";
    assert_eq!(
        problems("a.toml", text),
        ["a.toml:4:14: workload.agent_ring: uniform: min (10s) is more than max (2s)"]
    );
}

#[test]
fn a_queue_conversation_must_start_with_enqueue() {
    let text =
        format!("{HEAD}[[conversations]]\ntype = \"queue\"\ntimeline = [{{ do = \"dial\" }}]\n");
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:6:20: conversations[0].timeline[0].do: a queue conversation starts with \
          enqueue, not dial"
        ]
    );
}

#[test]
fn a_mix_without_a_total_rate_is_refused() {
    let text = "[workload]\nduration = \"1m\"\nrates = { queue = \"5/s\" }\nmix = { queue = 1 }\n";
    assert_eq!(
        problems("a.toml", text),
        ["a.toml:4:7: workload.mix: mix splits a total rate: add rate (or ramp stages with rate)"]
    );
}

#[test]
fn a_call_out_has_no_customer() {
    let text = format!(
        "{HEAD}[[conversations]]\ntype = \"call_out\"\nagent = \"1001\"\ntimeline = [\n  \
         {{ do = \"dial\" }},\n  {{ after = \"2s\", do = \"no_answer\", party = \"customer\" }},\n]\n"
    );
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:9:45: conversations[0].timeline[1].party: a call_out conversation has no \
          customer (only queue has one)"
        ]
    );
}

#[test]
fn a_step_after_the_conversation_ended_is_refused() {
    let text = queue(
        "  { do = \"enqueue\" },\n  { after = \"1s\", do = \"timeout\" },\n  \
         { after = \"1s\", do = \"dismiss\" },\n",
    );
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:9:24: conversations[0].timeline[2]: dismiss: the conversation was already \
          over at 1s"
        ]
    );
}

#[test]
fn an_unknown_profile_lists_the_profiles() {
    assert_eq!(
        problems("a.toml", "profile = \"exact\"\n"),
        ["a.toml:1:11: profile: expected one of \"documented\", got \"exact\""]
    );
}

#[test]
fn an_unknown_file_type_is_refused() {
    assert_eq!(
        problems("a.yaml", "seed: 1\n"),
        ["a.yaml:1:1: unknown file type: expected a .toml or .json file"]
    );
}

#[test]
fn an_absolute_time_needs_a_start_time() {
    let text = "[agents]\nnames = [\"1001\"]\n[[conversations]]\ntype = \"queue\"\n\
                at = \"2026-01-05T09:00:00+08:00\"\ntimeline = [{ do = \"enqueue\" }]\n";
    assert_eq!(
        problems("a.toml", text),
        [
            "a.toml:5:6: conversations[0].at: an absolute time needs start_time (in the file or \
          --start-time)"
        ]
    );
}

#[test]
fn every_problem_in_a_file_is_reported_from_top_to_bottom() {
    let text = format!(
        "seed = -1\nspeed = \"fast\"\n{}[[conversations]]\ntype = \"queue\"\nid = \"1\"\n\
         timeline = [{{ do = \"enqueue\", bogus = 1 }}]\n[[conversations]]\ntype = \"nope\"\n\
         timeline = []\n[workload]\nduration = \"1m\"\nrates = {{ queue = \"5/s\" }}\n\
         agent_answer = 2\n",
        HEAD.replace("start_time", "# start_time")
    );
    let got = problems("a.toml", &text);
    assert_eq!(
        got,
        [
            "a.toml:1:8: seed: invalid value: integer `-1`, expected a whole number of 0 or more",
            "a.toml:2:9: speed: expected a positive number or \"max\", got \"fast\"",
            "a.toml:8:6: conversations[0].id: expected 32 hexadecimal characters, got \"1\"",
            "a.toml:9:31: conversations[0].timeline[0]: unknown field `bogus`, expected one of `at`, `after`, `do`, `agent`, `number`, `party`, `call_id`",
            "a.toml:11:8: conversations[1].type: unknown variant `nope`, expected one of `queue`, `call_out`, `call_agent`",
            "a.toml:12:12: conversations[1].timeline: expected at least one step",
            "a.toml:16:16: workload.agent_answer: expected a probability between 0 and 1 (or 0%..100%), got 2",
        ]
    );
}

#[test]
fn flags_override_the_agent_count_and_the_start_time() {
    let o = Overrides {
        start_time: Some(1_000),
        agents: Some(7),
        duration: Some(secs(30)),
    };
    let s = load_texts(
        &[(
            "a.toml".into(),
            HEAD.to_string() + "[workload]\nduration = \"1m\"\nrates = { queue = \"1/s\" }\n",
        )],
        &o,
        SimTime::from_millis(0),
    )
    .expect("valid");
    assert_eq!(s.sim.agents.len(), 7);
    assert_eq!(s.sim.start, SimTime::from_millis(1_000));
    assert_eq!(s.sim.workload.duration, secs(30));
}

#[test]
fn several_files_merge_and_only_one_may_hold_a_workload() {
    let w = "[workload]\nduration = \"1m\"\nrates = { queue = \"1/s\" }\n";
    let files = [
        ("a.toml".to_string(), format!("seed = 1\n{w}")),
        ("b.toml".to_string(), format!("seed = 2\n{w}")),
    ];
    let err = load_texts(&files, &Overrides::default(), SimTime::from_millis(0)).unwrap_err();
    assert_eq!(
        err.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["b.toml:2:2: workload: only one file may define a generated workload (one is in a.toml)"]
    );
    let files = [
        ("a.toml".to_string(), format!("seed = 1\n{w}")),
        (
            "b.json".to_string(),
            "{\"seed\": 2, \"agents\": {\"names\": [\"x\"]}}".to_string(),
        ),
    ];
    let s = load_texts(&files, &Overrides::default(), SimTime::from_millis(0)).expect("valid");
    assert_eq!(s.seed, Some(2), "the later file's settings win");
    assert_eq!(s.sim.agents.len(), 1);
}

#[test]
fn the_embedded_default_scenario_is_valid_and_keeps_its_character() {
    let s = default_scenario(&Overrides::default(), SimTime::from_millis(0)).expect("valid");
    assert_eq!(s.speed, Some(Speed::Factor(60.0)));
    assert_eq!(s.sim.agents.len(), 4);
    assert_eq!(s.sim.workload.duration, secs(480));
    assert_eq!(s.sim.workload.types(), ConvType::ALL);
    assert!(s.sim.workload.behaviour.patience.is_some());
    assert!(s.sim.workload.behaviour.queue_timeout.is_some());
}

#[test]
fn the_schema_printed_is_the_schema_in_the_repository() {
    let on_disk = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/scenario.schema.json"
    ))
    .expect("docs/scenario.schema.json");
    assert_eq!(SCHEMA, on_disk);
}

// ----- robustness ---------------------------------------------------------------------

/// Checks the loader's contract on one input: a scenario (which the engine then runs for
/// a while without a script error), or problems that each have a position in this file and
/// a message.
fn assert_plan_or_positioned_problems(name: &str, text: &str) {
    match load(name, text) {
        Ok(s) => {
            let mut engine = crate::sim::engine::Engine::new(s.sim);
            for _ in 0..500 {
                if engine.next_happening().is_none() {
                    break;
                }
            }
            assert!(
                engine.script_errors().is_empty(),
                "{name}: {:?}",
                engine.script_errors()
            );
        }
        Err(problems) => {
            assert!(!problems.is_empty(), "{name}: an error without problems");
            for p in &problems {
                assert_eq!(p.file, name);
                assert!(p.line >= 1 && p.column >= 1, "{p}");
                assert!(
                    p.line <= text.lines().count().max(1) + 1,
                    "{p} is past the end"
                );
                assert!(!p.message.trim().is_empty(), "{p}");
            }
        }
    }
}

fn examples() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("scenarios/")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&path).expect("readable"))
        })
        .collect();
    files.sort();
    files
}

fn mutate(text: &str, rng: &mut impl rand::Rng) -> String {
    const PIECES: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        "=",
        ",",
        ":",
        "\"",
        "#",
        "\n",
        "\\",
        "-",
        "0",
        "9",
        ".",
        "e",
        "s",
        "m",
        "/h",
        "%",
        "never",
        "null",
        "true",
        "99999999999999999999",
        "1e999",
        "名",
        "\u{0}",
        "[[conversations]]",
        "{ do = \"answer\", agent = \"1001\" },",
        "\"agent\": \"x\",",
    ];
    let mut chars: Vec<char> = text.chars().collect();
    let rounds = rng.random_range(1..4);
    for _ in 0..rounds {
        let len = chars.len();
        let at = rng.random_range(0..=len);
        match rng.random_range(0..5) {
            0 if len > 0 => {
                let end = (at + rng.random_range(1..8)).min(len);
                chars.drain(at.min(end)..end);
            }
            1 => {
                let piece = PIECES[rng.random_range(0..PIECES.len())];
                chars.splice(at..at, piece.chars());
            }
            2 => {
                // Duplicate a line.
                let s: String = chars.iter().collect();
                let lines: Vec<&str> = s.lines().collect();
                if !lines.is_empty() {
                    let i = rng.random_range(0..lines.len());
                    let mut out = lines.clone();
                    out.insert(i, lines[i]);
                    chars = out.join("\n").chars().collect();
                }
            }
            3 => {
                // Swap two lines.
                let s: String = chars.iter().collect();
                let mut lines: Vec<&str> = s.lines().collect();
                if lines.len() > 1 {
                    let (i, j) = (
                        rng.random_range(0..lines.len()),
                        rng.random_range(0..lines.len()),
                    );
                    lines.swap(i, j);
                    chars = lines.join("\n").chars().collect();
                }
            }
            _ if len > 0 => {
                let i = rng.random_range(0..len);
                chars[i] = char::from(rng.random_range(0x20u8..0x7f));
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

#[test]
fn random_mutations_of_the_examples_give_a_plan_or_positioned_problems() {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_261_123);
    let examples = examples();
    assert!(examples.len() >= 10);
    for (name, text) in &examples {
        assert_plan_or_positioned_problems(name, text);
        for _ in 0..150 {
            let mutated = mutate(text, &mut rng);
            assert_plan_or_positioned_problems(name, &mutated);
        }
    }
}

#[test]
fn random_bytes_give_positioned_problems_and_never_panic() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for i in 0..1500 {
        let len = rng.random_range(0..200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let name = if i % 2 == 0 { "r.toml" } else { "r.json" };
        assert_plan_or_positioned_problems(name, &text);
    }
}

// ----- the JSON Schema ----------------------------------------------------------------

/// A node tree as a JSON value (TOML date-times become their text, as the loader reads them).
fn to_json(node: &node::Node) -> serde_json::Value {
    use node::Value as V;
    match &node.value {
        V::Null => serde_json::Value::Null,
        V::Bool(b) => (*b).into(),
        V::Int(i) => (*i).into(),
        V::Float(f) => (*f).into(),
        V::Str(s) => s.clone().into(),
        V::Array(items) => items.iter().map(to_json).collect(),
        V::Table(entries) => entries
            .iter()
            .map(|(k, v)| (k.name.clone(), to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

fn schema() -> serde_json::Value {
    serde_json::from_str(SCHEMA).expect("the schema is JSON")
}

#[test]
fn the_schema_lists_exactly_the_fields_of_the_model() {
    let schema = schema();
    for (table, fields) in model::field_names() {
        let def = match table {
            "root" => &schema,
            "rates" => &schema["$defs"]["typeRates"],
            "mix" => &schema["$defs"]["typeWeights"],
            other => &schema["$defs"][other],
        };
        let mut in_schema: Vec<&str> = def["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{table} has properties in the schema"))
            .keys()
            .map(String::as_str)
            .collect();
        in_schema.sort_unstable();
        let mut in_model = fields.to_vec();
        in_model.sort_unstable();
        assert_eq!(in_schema, in_model, "{table}");
        assert_eq!(
            def["additionalProperties"], false,
            "{table} denies unknown fields"
        );
    }
}

#[test]
fn every_example_validates_against_the_schema() {
    let validator = jsonschema::validator_for(&schema()).expect("a valid JSON Schema");
    for (name, text) in examples() {
        let syntax = load::syntax_of(&name).expect("toml or json");
        let value = to_json(&node::parse(&text, syntax).expect("parses"));
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn the_schema_rejects_what_the_loader_rejects_for_editors() {
    let validator = jsonschema::validator_for(&schema()).expect("a valid JSON Schema");
    for bad in [
        r#"{"colour": "red"}"#,
        r#"{"workload": {"rates": {"queue": "5 per s"}}}"#,
        r#"{"workload": {"agent_answer": 1.5}}"#,
        r#"{"conversations": [{"type": "queue", "timeline": [{"do": "pickup"}]}]}"#,
        r#"{"conversations": [{"type": "queue", "id": "xyz", "timeline": [{"do": "enqueue"}]}]}"#,
        r#"{"agents": {"count": 0}}"#,
    ] {
        let value: serde_json::Value = serde_json::from_str(bad).expect("json");
        assert!(!validator.is_valid(&value), "{bad}");
        assert!(load("a.json", bad).is_err(), "{bad}");
    }
}

#[test]
fn a_ramp_changes_the_arrival_rate_at_each_stage_boundary() {
    let s = valid(
        "a.toml",
        "seed = 3\n[agents]\ncount = 500\n[workload]\nramp = [\n  \
         { duration = \"10m\", rates = { queue = \"0/h\" } },\n  \
         { duration = \"10m\", rates = { queue = \"1200/h\" } },\n  \
         { duration = \"10m\", rates = { queue = \"120/h\" } },\n]\n",
    );
    let start = s.sim.start;
    let mut engine = crate::sim::engine::Engine::new(s.sim);
    let mut per_stage = [0u32; 3];
    while let Some(h) = engine.next_happening() {
        if matches!(h.kind, crate::conversation::HappeningKind::Created) {
            // Created at the ACD selection: an arrival, shortly after it came.
            let stage = (h.conv.created_at.since(start).as_secs_f64() / 600.0) as usize;
            per_stage[stage.min(2)] += 1;
        }
    }
    assert_eq!(per_stage[0], 0, "nothing arrives at rate 0");
    // 200 expected in stage 2, 20 in stage 3 (Poisson; the seed fixes the draw).
    assert!((170..=230).contains(&per_stage[1]), "{per_stage:?}");
    assert!((8..=35).contains(&per_stage[2]), "{per_stage:?}");
}

#[test]
fn timelines_are_checked_even_when_a_setting_is_wrong_and_only_the_first_impossible_step_is_reported()
 {
    let text = format!(
        "seed = \"x\"\n{}",
        queue(
            "  { do = \"enqueue\" },\n  { do = \"answer\", agent = \"1001\" },\n  \
             { do = \"hangup\", agent = \"1001\" },\n"
        )
    );
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:1:8: seed: invalid type: string \"x\", expected a whole number of 0 or more",
            "a.toml:9:10: conversations[0].timeline[1]: answer: agent \"1001\" was never offered \
             this call",
        ]
    );
}

#[test]
fn a_busy_agent_in_another_file_is_named_with_that_file() {
    let conv = |at: &str| {
        format!(
            "[agents]\nnames = [\"1001\"]\n[[conversations]]\ntype = \"queue\"\nat = \"{at}\"\n\
             timeline = [\n  {{ do = \"enqueue\" }},\n  {{ do = \"select\", agent = \"1001\" }},\n]\n"
        )
    };
    let files = [
        ("a.toml".to_string(), conv("0s")),
        ("b.toml".to_string(), conv("5s")),
    ];
    let err = load_texts(&files, &Overrides::default(), SimTime::from_millis(0)).unwrap_err();
    assert_eq!(
        err.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "b.toml:8:10: conversations[0].timeline[1]: select: agent \"1001\" is busy (being \
          called in a.toml conversations[0]) at 5s; an agent is in at most one conversation"
        ]
    );
}

#[test]
fn the_customer_cannot_answer_a_call_the_ivr_already_answered() {
    let text = queue("  { do = \"enqueue\" },\n  { do = \"answer\", party = \"customer\" },\n");
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:8:10: conversations[0].timeline[1]: answer: the customer's call was answered \
          by the IVR before it was queued (use hangup for the customer)"
        ]
    );
}

#[test]
fn generated_traffic_never_takes_an_agent_a_script_names() {
    let s = valid(
        "a.toml",
        "seed = 5\n[agents]\ncount = 3\nnames = [\"sup\"]\n[workload]\nduration = \"20m\"\n\
         rates = { queue = \"600/h\", call_out = \"60/h\", call_agent = \"60/h\" }\n\
         [[conversations]]\ntype = \"queue\"\nat = \"10m\"\nid = \"5c000000000000000000000000000001\"\n\
         timeline = [\n  { do = \"enqueue\" },\n  { do = \"select\", agent = \"sup\" },\n  \
         { do = \"answer\", agent = \"sup\" },\n  { after = \"1m\", do = \"hangup\", agent = \"sup\" },\n]\n",
    );
    let mut engine = crate::sim::engine::Engine::new(s.sim);
    let (mut generated, mut scripted_joins) = (0, 0);
    while let Some(h) = engine.next_happening() {
        if let crate::conversation::HappeningKind::Joined(m) = &h.kind {
            let scripted = h.conv.id.as_str() == "5c000000000000000000000000000001";
            if m.agent_name.as_deref() == Some("sup") {
                assert!(scripted, "a generated conversation took the scripted agent");
                scripted_joins += 1;
            } else if !scripted {
                generated += 1;
            }
        }
    }
    assert_eq!(scripted_joins, 1);
    assert!(
        generated > 20,
        "the generated traffic ran: {generated} joins"
    );
    assert!(engine.script_errors().is_empty());
}

#[test]
fn deeply_nested_input_is_a_problem_not_a_stack_overflow() {
    let depth = 100_000;
    let toml = format!("a = {}{}\n", "[".repeat(depth), "]".repeat(depth));
    let json = format!("{{\"a\": {}{}}}", "[".repeat(depth), "]".repeat(depth));
    for (name, text) in [("deep.toml", toml), ("deep.json", json)] {
        let got = problems(name, &text);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with(&format!("{name}:1:")), "{got:?}");
    }
}

#[test]
fn a_step_naming_the_wrong_party_says_what_it_takes() {
    let text = queue(
        "  { do = \"enqueue\" },\n  { do = \"select\", number = \"13800000000\" },\n  \
         { do = \"timeout\", agent = \"1001\" },\n  { do = \"hangup\" },\n",
    );
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:8:10: conversations[0].timeline[1]: select takes exactly agent (the agent's name)",
            "a.toml:9:10: conversations[0].timeline[2]: timeout takes none of agent, number or party",
            "a.toml:10:10: conversations[0].timeline[3]: hangup takes exactly one of agent, number or party",
        ]
    );
}
