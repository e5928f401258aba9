//! The problems people make: the exact text and position of each (one mistake per test).

use super::*;

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
        ["a.toml:1:11: profile: expected one of \"documented\", \"platform\", got \"exact\""]
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
        ("a.toml".to_owned(), conv("0s")),
        ("b.toml".to_owned(), conv("5s")),
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

#[test]
fn an_unknown_event_family_names_the_choices() {
    assert_eq!(
        problems("a.toml", "events = [\"conversation\", \"agents\"]\n"),
        [
            "a.toml:1:10: events: expected \"conversation\", \"agent\", \"queue\" or \"all\" \
          (a comma list), got \"agents\""
        ]
    );
    assert_eq!(
        problems("a.json", "{\"events\": \"agent,,queue\"}"),
        [
            "a.json:1:12: events: expected \"conversation\", \"agent\", \"queue\" or \"all\" \
          (a comma list), got \"\""
        ]
    );
    assert_eq!(
        problems("a.toml", "events = []\n"),
        [
            "a.toml:1:10: events: expected at least one of \"conversation\", \"agent\", \"queue\" or \"all\""
        ]
    );
}

/// A file with the agents and one conversation of `kind` with these head lines and a
/// minimal timeline.
fn head(kind: &str, lines: &str) -> String {
    let timeline = if kind == "queue" {
        "[{ do = \"enqueue\" }, { after = \"1s\", do = \"hangup\", party = \"customer\" }]"
    } else {
        "[{ do = \"dial\" }, { after = \"1s\", do = \"no_answer\", agent = \"1001\" }]"
    };
    let agent = if kind == "queue" {
        ""
    } else {
        "agent = \"1001\"\n"
    };
    format!("{HEAD}[[conversations]]\ntype = \"{kind}\"\n{agent}{lines}timeline = {timeline}\n")
}

#[test]
fn a_condition_id_must_be_32_hex_and_only_queue_has_one() {
    assert_eq!(
        problems("a.toml", &head("queue", "condition_id = \"c1\"\n")),
        [
            "a.toml:6:16: conversations[0].condition_id: expected 32 hexadecimal characters, got \"c1\""
        ]
    );
    let id = "condition_id = \"40288aca587659820158765c305f0000\"\n";
    assert_eq!(
        problems("a.toml", &head("call_agent", id)),
        [
            "a.toml:7:16: conversations[0].condition_id: a call_agent conversation queues on no \
          condition (the platform sends its queue events without condition_id); only queue \
          conversations have one"
        ]
    );
    assert_eq!(
        problems("a.toml", &head("call_out", id)),
        ["a.toml:7:16: conversations[0].condition_id: call_out does not go through a queue"]
    );
}

#[test]
fn a_reserve_state_is_idle_or_busy_and_only_for_the_types_that_queue() {
    assert_eq!(
        problems("a.toml", &head("queue", "reserve_state = \"away\"\n")),
        [
            "a.toml:6:17: conversations[0].reserve_state: expected \"idle\" or \"busy\" (the \
          state the selected agents take when their call is released), got \"away\""
        ]
    );
    assert_eq!(
        problems("a.toml", &head("call_out", "reserve_state = \"busy\"\n")),
        [
            "a.toml:7:17: conversations[0].reserve_state: call_out does not go through a queue; \
          reserve_state is the enqueue's, for queue and call_agent conversations"
        ]
    );
}

#[test]
fn a_reserve_for_needs_reserve_state_busy_and_a_duration_above_0_within_a_day() {
    let cases = [
        (
            "reserve_for = \"30s\"\n",
            "a.toml:6:15: conversations[0].reserve_for: reserve_for needs reserve_state = \
             \"busy\" (how long the agents stay busy)",
        ),
        (
            "reserve_state = \"idle\"\nreserve_for = \"30s\"\n",
            "a.toml:7:15: conversations[0].reserve_for: reserve_for is how long the agents stay \
             busy: it needs reserve_state = \"busy\"",
        ),
        (
            "reserve_state = \"busy\"\nreserve_for = \"0s\"\n",
            "a.toml:7:15: conversations[0].reserve_for: expected more than 0s (for no busy time \
             at all, reserve_state = \"idle\")",
        ),
        (
            "reserve_state = \"busy\"\nreserve_for = \"2d\"\n",
            "a.toml:7:15: conversations[0].reserve_for: at most 1d, got 2d",
        ),
    ];
    for (lines, want) in cases {
        assert_eq!(problems("a.toml", &head("queue", lines)), [want], "{lines}");
    }
}
