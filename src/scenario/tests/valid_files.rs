//! Valid files: every field type parses into the settings and the engine's plan, files
//! merge, flags override, and the plan runs as written.

use super::*;

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
    assert_eq!(s.events, Some(crate::families::EventFamilies::default()));
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
            HEAD.to_owned() + "[workload]\nduration = \"1m\"\nrates = { queue = \"1/s\" }\n",
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
        ("a.toml".to_owned(), format!("seed = 1\n{w}")),
        ("b.toml".to_owned(), format!("seed = 2\n{w}")),
    ];
    let err = load_texts(&files, &Overrides::default(), SimTime::from_millis(0)).unwrap_err();
    assert_eq!(
        err.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["b.toml:2:2: workload: only one file may define a generated workload (one is in a.toml)"]
    );
    let files = [
        ("a.toml".to_owned(), format!("seed = 1\n{w}")),
        (
            "b.json".to_owned(),
            "{\"seed\": 2, \"agents\": {\"names\": [\"x\"]}}".to_owned(),
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
    assert_eq!(
        s.sim.agents.len(),
        8,
        "three scripted agents, five for the workload"
    );
    assert_eq!(s.sim.workload.duration, secs(480));
    // Each type's happy path is scripted, so every seed shows it.
    let scripted: Vec<ConvType> = s.sim.scripted.iter().map(|c| c.kind).collect();
    for kind in ConvType::ALL {
        assert!(scripted.contains(&kind), "{kind} is scripted: {scripted:?}");
    }
    assert_eq!(s.sim.workload.types(), ConvType::ALL);
    assert!(s.sim.workload.behaviour.patience.is_some());
    assert!(s.sim.workload.behaviour.queue_timeout.is_some());
}

#[test]
fn every_seed_of_the_default_scenario_shows_each_types_happy_path_and_some_failures() {
    use crate::conversation::Outcome;
    for seed in 0..50 {
        let plan = crate::scenario::default_plan(seed, SimTime::from_millis(1_767_571_200_000))
            .expect("valid");
        let mut engine = crate::sim::engine::Engine::new(plan);
        while engine.next_happening().is_some() {}
        let stats = engine.finish();
        for kind in ConvType::ALL {
            let ts = &stats.by_type[&kind];
            assert!(
                ts.by_outcome.get(&Outcome::Completed).copied().unwrap_or(0) >= 1,
                "seed {seed}: no {kind} conversation talked: {ts:?}"
            );
        }
        let failures: u64 = stats.by_type.values().map(|t| t.failed).sum();
        let talked: u64 = stats.by_type.values().map(|t| t.ended).sum();
        assert!(
            (2..=talked).contains(&failures),
            "seed {seed}: {failures} failure paths beside {talked} that talked"
        );
    }
}

#[test]
fn progress_runs_to_the_last_scripted_step_not_only_the_arrivals_window() {
    let s = valid(
        "a.toml",
        "seed = 1\n[agents]\nnames = [\"1001\"]\n[[conversations]]\ntype = \"queue\"\nat = \"10s\"\n\
         timeline = [\n  { do = \"enqueue\" },\n  { after = \"40s\", do = \"select\", agent = \"1001\" },\n  \
         { after = \"2s\", do = \"ring\", agent = \"1001\" },\n  { after = \"5s\", do = \"answer\", agent = \"1001\" },\n  \
         { after = \"3m\", do = \"hangup\", party = \"customer\" },\n]\n",
    );
    assert_eq!(
        s.sim.workload.duration,
        Span::ZERO,
        "scripted only: no arrivals window"
    );
    assert_eq!(s.sim.planned_end().since(s.sim.start), secs(237));
    // With a workload, the later of the two.
    let d = default_scenario(&Overrides::default(), SimTime::from_millis(0)).expect("valid");
    assert_eq!(d.sim.planned_end().since(d.sim.start), secs(480));
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
    // 200 expected in stage 2, 20 in stage 3 (Poisson; the scenario's seed fixes the draw).
    assert!((170..=230).contains(&per_stage[1]), "{per_stage:?}");
    assert!((8..=35).contains(&per_stage[2]), "{per_stage:?}");
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
fn event_families_parse_from_a_name_a_comma_list_or_a_list() {
    use crate::families::{EventFamilies, EventFamily};
    let agent_queue = EventFamilies::only(EventFamily::Agent).with(EventFamily::Queue);
    for text in [
        "events = \"agent, queue\"\n",
        "events = [\"queue\", \"agent\"]\n",
    ] {
        let s = valid("a.toml", text);
        assert_eq!(s.events, Some(agent_queue), "{text}");
        assert_eq!(s.sim.events, agent_queue, "{text}");
    }
    assert_eq!(
        valid("a.toml", "events = \"all\"\n").sim.events,
        EventFamilies::all()
    );
    let unset = valid("a.toml", "seed = 1\n");
    assert_eq!(unset.events, None);
    assert_eq!(unset.sim.events, EventFamilies::default());
}

#[test]
fn a_queue_conversation_carries_its_condition_and_reserve_state_to_the_engine() {
    use crate::agent::AgentState;
    let s = valid(
        "a.toml",
        &format!(
            "{HEAD}[[conversations]]\ntype = \"queue\"\n\
             condition_id = \"40288ACA587659820158765C305F0000\"\n\
             reserve_state = \"busy\"\nreserve_for = \"30s\"\n\
             timeline = [{{ do = \"enqueue\" }}, {{ after = \"1s\", do = \"hangup\", party = \"customer\" }}]\n\
             [[conversations]]\ntype = \"call_agent\"\nagent = \"1001\"\nreserve_state = \"busy\"\n\
             timeline = [{{ do = \"dial\" }}, {{ after = \"1s\", do = \"no_answer\", agent = \"1001\" }}]\n\
             [[conversations]]\ntype = \"queue\"\nreserve_state = \"idle\"\n\
             timeline = [{{ do = \"enqueue\" }}, {{ after = \"1s\", do = \"hangup\", party = \"customer\" }}]\n\
             [[conversations]]\ntype = \"queue\"\n\
             timeline = [{{ do = \"enqueue\" }}, {{ after = \"1s\", do = \"hangup\", party = \"customer\" }}]\n"
        ),
    );
    let c = &s.sim.scripted;
    assert_eq!(
        c[0].condition_id.as_deref(),
        Some("40288aca587659820158765c305f0000"),
        "stored lowercase, as the platform writes it"
    );
    assert_eq!(c[0].reserve_state, Some((AgentState::Busy, Some(secs(30)))));
    assert_eq!(
        c[1].reserve_state,
        Some((AgentState::Busy, None)),
        "busy until the run ends"
    );
    assert_eq!(c[2].reserve_state, Some((AgentState::Idle, None)));
    assert_eq!(
        (c[3].condition_id.as_deref(), c[3].reserve_state),
        (None, None)
    );
}
