//! `ccsim replay FILE.jsonl`: re-sends the events of an events log (`--events-log`) in
//! their original order (by `seq`), spaced as their `scheduled_at_ms` were, scaled by
//! `--speed`, with the same delivery options and the same report as `ccsim run`. Each
//! event keeps its `seq`, hence its `webhook-id`; the extra sends of `--duplicate-rate`
//! logged by the original run are skipped (the option may be given again).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use clap::Args;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

use crate::cli::OutputArgs;
use crate::delivery::args::DeliveryArgs;
use crate::delivery::source::ReplaySource;
use crate::delivery::{DeliveryConfig, DeliveryOutcome, Released};
use crate::event::{EventKind, Webhook};
use crate::ids::{ConversationId, Hex32};
use crate::plan::{TargetSpec, UsageError, parse_target};
use crate::receiver::contract::ContractRules;
use crate::report::Report;
use crate::report::collector::ReportMeta;
use crate::run::{Exit, Outputs, RunError, Target, send, speed_text};
use crate::sim::stats::SimStats;
use crate::sim::time::SimTime;
use crate::units::{Span, Speed};

/// Flags of `ccsim replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// The events log to replay (written by `ccsim run --events-log`).
    #[arg(value_name = "FILE.jsonl")]
    pub file: PathBuf,

    /// Where to POST webhooks. Default: the built-in receiver. `null` discards them.
    #[arg(long, env = "CCSIM_TARGET", value_name = "URL")]
    pub target: Option<String>,

    /// Re-send only the events that were not delivered (failed or cancelled).
    #[arg(long)]
    pub only_failed: bool,

    /// Logged seconds per wall-clock second, or `max` to send as fast as delivery allows.
    #[arg(long, env = "CCSIM_SPEED", value_name = "N|max", default_value = "60")]
    pub speed: Speed,

    /// Seed of the robustness options and retry jitter.
    #[arg(long, env = "CCSIM_SEED", value_name = "N", default_value_t = 0)]
    pub seed: u64,

    /// Delivery: concurrency, timeout, retries, signing, ordering, robustness.
    #[command(flatten)]
    pub delivery: DeliveryArgs,

    /// Report, events log, failure threshold, quiet.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The fields of an events-log line that replay needs.
#[derive(Deserialize)]
struct LogLine<'a> {
    seq: u64,
    conversation_id: &'a str,
    event: &'a str,
    scheduled_at_ms: i64,
    outcome: DeliveryOutcome,
    #[serde(default)]
    duplicate: bool,
    #[serde(borrow)]
    payload: &'a RawValue,
}

/// Reads the events of a log, in `seq` order, as the replay source's entries.
pub fn read_log(path: &Path, only_failed: bool) -> Result<Vec<(SimTime, Released)>, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    parse_log(&text, only_failed).map_err(|e| UsageError(format!("{}:{e}", path.display())))
}

/// Parses events-log text; errors start with the 1-based line number.
pub fn parse_log(text: &str, only_failed: bool) -> Result<Vec<(SimTime, Released)>, String> {
    let mut keys: HashMap<ConversationId, u64> = HashMap::new();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what: String| format!("{}: {what}", i + 1);
        let l: LogLine =
            serde_json::from_str(line).map_err(|e| bad(format!("not an events-log line: {e}")))?;
        if l.duplicate || (only_failed && l.outcome == DeliveryOutcome::Delivered) {
            continue;
        }
        let kind =
            EventKind::parse(l.event).ok_or_else(|| bad(format!("unknown event {:?}", l.event)))?;
        let conversation_id = Hex32::parse(l.conversation_id)
            .map(ConversationId)
            .ok_or_else(|| {
                bad(format!(
                    "conversation_id {:?} is not 32 lowercase hex",
                    l.conversation_id
                ))
            })?;
        let next_key = keys.len() as u64;
        let conv_key = *keys.entry(conversation_id).or_insert(next_key);
        let webhook = Webhook {
            kind,
            conv_key,
            conversation_id,
            body: Bytes::copy_from_slice(l.payload.get().as_bytes()),
        };
        out.push((
            SimTime::from_millis(l.scheduled_at_ms),
            Released {
                seq: Some(l.seq),
                webhook,
            },
        ));
    }
    out.sort_by_key(|(_, r)| r.seq);
    Ok(out)
}

/// Runs `ccsim replay`.
pub async fn replay(
    args: ReplayArgs,
    shutdown: CancellationToken,
) -> Result<(Report, Exit), RunError> {
    let options = args.delivery.options()?;
    let target = match &args.target {
        None => TargetSpec::BuiltIn,
        Some(t) => parse_target(t)?,
    };
    let entries = read_log(&args.file, args.only_failed)?;
    let servers = shutdown.child_token();
    let _stop_servers = servers.clone().drop_guard();
    // A replay may be partial (--only-failed) or repeat what a receiver already saw, so
    // the built-in receiver checks fields only, not sequences.
    let rules = ContractRules {
        ordered: false,
        allow_duplicates: true,
    };
    let target = Target::start(&target, &options, rules, &servers).await?;
    let outputs = Outputs {
        report: args.output.report.clone(),
        events_log: args.output.events_log.clone(),
        thresholds: args.output.thresholds(),
        quiet: args.output.quiet,
        report_interval: args.output.report_interval(),
        meta: ReportMeta {
            seed: args.seed,
            profile: "replay".into(),
            speed: speed_text(args.speed),
            target: target.desc().to_string(),
            sl_threshold: Span::from_millis(20_000),
        },
    };
    let start = entries.first().map(|(at, _)| *at).unwrap_or_default();
    let last = entries.last().map(|(at, _)| *at).unwrap_or(start);
    let config = DeliveryConfig::new(target.transport.clone(), &options, args.seed);
    let mut source = ReplaySource::new(entries);
    let sent = send(
        &mut source,
        (start, last),
        args.speed,
        &config,
        &outputs,
        &shutdown,
        &servers,
    )
    .await?;
    let mut report = sent.collector.report(
        &SimStats::default(),
        sent.end.wall.as_secs_f64(),
        Span::from_millis(20_000),
    );
    report.seed = args.seed;
    report.profile = "replay".into();
    report.speed = speed_text(args.speed);
    outputs.finish(report, &target, &options, &sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0123456789abcdef0123456789abcdef";
    const B: &str = "fedcba9876543210fedcba9876543210";

    fn line(seq: u64, conv: &str, outcome: &str, extra: &str) -> String {
        format!(
            r#"{{"seq":{seq},"webhook_id":"msg_{conv}_{seq}",{extra}"conversation_id":"{conv}","event":"callcenter.conversation.parts_changed","scheduled_at_ms":{},"attempts":1,"status":200,"outcome":"{outcome}","payload":{{"id":"{conv}", "n": {seq}}}}}"#,
            1_700_000_000_000i64 + seq as i64 * 1000
        )
    }

    #[test]
    fn a_log_is_read_in_seq_order_with_payloads_verbatim_and_duplicates_skipped() {
        let text = [
            line(3, A, "delivered", ""),
            line(1, B, "failed", ""),
            String::new(),
            line(1, B, "delivered", r#""duplicate":true,"#),
            line(2, A, "cancelled", ""),
        ]
        .join("\n");
        let all = parse_log(&text, false).unwrap();
        let seqs: Vec<u64> = all.iter().filter_map(|(_, r)| r.seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        assert_eq!(
            &all[0].1.webhook.body[..],
            format!(r#"{{"id":"{B}", "n": 1}}"#).as_bytes()
        );
        assert_eq!(all[0].0, SimTime::from_millis(1_700_000_001_000));
        assert_eq!(all[1].1.webhook.conv_key, all[2].1.webhook.conv_key);
        let undelivered = parse_log(&text, true).unwrap();
        let seqs: Vec<u64> = undelivered.iter().filter_map(|(_, r)| r.seq).collect();
        assert_eq!(seqs, [1, 2]);
    }

    #[test]
    fn bad_lines_are_reported_by_line_number() {
        let err = parse_log(&format!("{}\nnot json", line(1, A, "failed", "")), false).unwrap_err();
        assert!(err.starts_with("2: not an events-log line"), "{err}");
        let err = parse_log(&line(1, "xyz", "failed", ""), false).unwrap_err();
        assert_eq!(err, "1: conversation_id \"xyz\" is not 32 lowercase hex");
        let unknown = line(1, A, "failed", "").replace("parts_changed", "nope");
        let err = parse_log(&unknown, false).unwrap_err();
        assert_eq!(err, "1: unknown event \"callcenter.conversation.nope\"");
    }
}
