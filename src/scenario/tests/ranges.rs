//! Values out of range: each time, duration, rate and speed of a file is refused where it is
//! written, with the range in the message; and JSON beyond what the reader takes (nesting,
//! numbers, duplicate keys) said as such, at its position.

use super::*;

#[test]
fn a_step_delay_beyond_a_year_is_refused_where_it_is_written() {
    let text = queue("  { do = \"enqueue\" },\n  { after = \"213503981d\", do = \"timeout\" },\n");
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:8:13: conversations[0].timeline[1].after: duration too large (the limit is \
          365d), got \"213503981d\""
        ]
    );
}

#[test]
fn a_step_delay_within_range_still_meets_the_six_hour_limit() {
    let text = queue(
        "  { do = \"enqueue\" },\n  { after = \"1s\", do = \"select\", agent = \"1001\" },\n  \
         { after = \"5s\", do = \"answer\", agent = \"1001\" },\n  \
         { after = \"300d\", do = \"hangup\", party = \"customer\" },\n",
    );
    assert_eq!(
        problems("a.toml", &text),
        [
            "a.toml:10:26: conversations[0].timeline[3]: hangup: the conversation was already over \
          at 6h1s"
        ]
    );
}

#[test]
fn start_times_outside_2000_to_2100_are_refused() {
    for (value, got) in [
        ("\"9999-12-31T00:00:00Z\"", "\"9999-12-31T00:00:00Z\""),
        ("9223372036854775", "9223372036854775"),
        ("\"1999-12-31T23:59:59Z\"", "\"1999-12-31T23:59:59Z\""),
    ] {
        assert_eq!(
            problems("a.toml", &format!("start_time = {value}\n")),
            [format!(
                "a.toml:1:14: start_time: start time out of range: expected a start time from \
                 2000-01-01T00:00:00Z to 2100-01-01T00:00:00Z, got {got}"
            )]
        );
    }
    assert_eq!(
        problems("a.json", "{\"start_time\": 1.5e12}"),
        [
            "a.json:1:16: start_time: invalid type: floating point `1500000000000.0`, expected an \
             RFC 3339 time like 2026-01-05T09:00:00+08:00 or epoch milliseconds"
        ]
    );
}

#[test]
fn an_absolute_step_time_outside_2000_to_2100_is_refused() {
    let text = queue("  { at = \"9999-01-01T00:00:00Z\", do = \"enqueue\" },\n");
    let found = problems("a.toml", &text);
    assert_eq!(
        found,
        [
            "a.toml:7:10: conversations[0].timeline[0].at: time out of range: expected a start \
             time from 2000-01-01T00:00:00Z to 2100-01-01T00:00:00Z, got \"9999-01-01T00:00:00Z\""
        ]
    );
}

#[test]
fn speeds_rates_and_behaviour_times_out_of_range_name_the_range() {
    let cases = [
        (
            "speed = 1e308\n",
            "a.toml:1:9: speed: speed out of range: expected a factor from 0.001 to 1000000, or \
             \"max\", got 1e308",
        ),
        (
            "speed = \"0.0000001\"\n",
            "a.toml:1:9: speed: speed out of range: expected a factor from 0.001 to 1000000, or \
             \"max\", got \"0.0000001\"",
        ),
        (
            "[workload]\nduration = \"1h\"\nrates = { queue = \"99999999999999999999/s\" }\n",
            "a.toml:3:19: workload.rates.queue: rate too high (the limit is 1000000/s, a million a \
             second), got \"99999999999999999999/s\"",
        ),
        (
            "[workload]\nduration = \"366d\"\nrates = { queue = \"1/s\" }\n",
            "a.toml:2:12: workload.duration: duration too large (the limit is 365d), got \"366d\"",
        ),
        (
            "[workload]\nduration = \"1h\"\nrates = { queue = \"1/s\" }\nhandle_time = \"2d\"\n",
            "a.toml:4:15: workload.handle_time: at most 1d, got 2d",
        ),
        (
            "[workload]\nduration = \"1h\"\nrates = { queue = \"1/s\" }\n\
             patience = { dist = \"uniform\", min = \"1s\", max = \"30h\" }\n",
            "a.toml:4:12: workload.patience: at most 1d, got 1d6h",
        ),
        (
            "[workload]\nduration = \"1h\"\nrates = { queue = \"1/s\" }\nqueue_timeout = \"25h\"\n",
            "a.toml:4:17: workload.queue_timeout: at most 1d, got 1d1h",
        ),
        (
            "[workload]\nrates = { queue = \"1/s\" }\nramp = [\n  { duration = \"200d\", rate = \
             \"1/s\" },\n  { duration = \"200d\", rates = { queue = \"1/s\" } },\n]\n",
            "",
        ),
    ];
    for (text, message) in cases {
        let found = problems("a.toml", text);
        if message.is_empty() {
            assert!(
                found
                    .iter()
                    .any(|p| p.contains("the stages last 400d in all; at most 365d")),
                "{found:?}"
            );
        } else {
            assert_eq!(found, [message], "{text}");
        }
    }
}

#[test]
fn json_limits_are_named_at_their_position() {
    let deep = format!("{{\"name\": {}{}}}", "[".repeat(200), "]".repeat(200));
    assert_eq!(
        problems("a.json", &deep),
        ["a.json:1:138: syntax error: nesting too deep: at most 128 levels of arrays and objects"]
    );
    assert_eq!(
        problems("a.json", "{\"speed\": 1e400}"),
        [
            "a.json:1:11: syntax error: number out of range: 1e400 does not fit a 64-bit float \
             (at most about 1.8e308)"
        ]
    );
    assert_eq!(
        problems("a.json", "{\n  \"seed\": 1,\n  \"seed\": 2\n}"),
        [
            "a.json:3:3: syntax error: duplicate key \"seed\" (first at line 2, column 3): a key \
             may appear once in an object"
        ]
    );
}

#[test]
fn a_byte_order_mark_is_not_content() {
    assert!(problems("a.json", "\u{feff}{\"seed\": 1}").is_empty());
    assert!(problems("a.toml", "\u{feff}seed = 1\n").is_empty());
    // Columns on the first line count from after the mark.
    assert_eq!(
        problems("a.json", "\u{feff}{\"seed\": \"x\"}"),
        ["a.json:1:10: seed: invalid type: string \"x\", expected a whole number of 0 or more"]
    );
}

#[test]
fn mix_weights_whose_sum_overflows_are_refused() {
    let text = "[workload]\nduration = \"1h\"\nrate = \"1/s\"\nmix = { queue = 1e308, call_out = 1e308 }\n";
    assert_eq!(
        problems("a.toml", text),
        [
            "a.toml:4:7: workload.mix: the weights add up to more than a number can hold; use smaller ones"
        ]
    );
}
