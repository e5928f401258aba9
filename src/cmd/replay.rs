//! `ccsim replay FILE.jsonl`: re-sends the events of an events log (`--events-log`) in
//! their original order (by `seq`), spaced as their `scheduled_at_ms` were, scaled by
//! `--speed`, with the same delivery options and the same report as `ccsim run`. Each
//! event keeps its `seq`, hence its `webhook-id`; the extra sends of `--duplicate-rate`
//! logged by the original run are skipped (the option may be given again). The log is
//! streamed (`replay::LogIndex`), never held in memory. A truncated last line and a
//! second line with the same `seq` are skipped with a warning and counted in the report
//! (`replay`) and the summary; the first line of a `seq` is the one replayed.

use std::path::PathBuf;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::flags::delivery::DeliveryArgs;
use super::flags::output::OutputArgs;
use super::flags::shard::ShardArgs;
use crate::delivery::DeliveryConfig;
use crate::error::{Exit, RunError, UsageError};
use crate::plan::{TargetSpec, parse_target};
use crate::receiver::contract::ContractRules;
use crate::replay::LogIndex;
use crate::report::collector::ReportMeta;
use crate::report::{ReplaySkips, Report};
use crate::sending::{Outputs, Target, send, speed_text};
use crate::sim::stats::SimStats;
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

    /// Logged seconds per wall-clock second, from 0.001 to 1000000, or `max` to send as fast
    /// as delivery allows.
    #[arg(long, env = "CCSIM_SPEED", value_name = "N|max", default_value = "60")]
    pub speed: Speed,

    /// Seed of the robustness options and retry jitter.
    #[arg(long, env = "CCSIM_SEED", value_name = "N", default_value_t = 0)]
    pub seed: u64,

    /// The fidelity profile that wrote the log: the built-in receiver checks the replayed
    /// events' fields by its rules (the log does not say). Default: documented.
    #[arg(long, env = "CCSIM_PROFILE", value_enum)]
    pub profile: Option<crate::cmd::flags::choices::Profile>,

    /// Delivery: concurrency, timeout, retries, signing, ordering, robustness.
    #[command(flatten)]
    pub delivery: DeliveryArgs,

    /// Report, events log, failure threshold, quiet.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Which conversations to replay (`--shard K/N`: those whose id hashes to K).
    #[command(flatten)]
    pub shard: ShardArgs,
}

/// Runs `ccsim replay`: the report and the exit code.
pub async fn replay(
    args: ReplayArgs,
    shutdown: CancellationToken,
) -> Result<(Report, Exit), RunError> {
    let output = args
        .output
        .options(&[("FILE.jsonl", args.file.as_path())])?;
    let options = args.delivery.options()?;
    let target = match &args.target {
        None => TargetSpec::BuiltIn,
        Some(t) => parse_target(t)?,
    };
    crate::plan::refuse_tls_without_https(&args.delivery.tls_flags(), &target)?;
    let (shard, _) = args.shard.resolve()?;
    let index = LogIndex::build_shard(&args.file, args.only_failed, shard).map_err(UsageError)?;
    let shard = Some(shard).filter(|s| !s.is_whole());
    let skipped = index.skipped();
    let replayed = index.len() as u64;
    let servers = shutdown.child_token();
    let _stop_servers = servers.clone().drop_guard();
    // A replay may be partial (--only-failed) or repeat what a receiver already saw, so
    // the built-in receiver checks fields only, not sequences, by the rules of the profile
    // `--profile` names (the log does not say which profile wrote it).
    let rules = ContractRules {
        ordered: false,
        allow_duplicates: true,
        profile: args.profile.map(Into::into).unwrap_or_default(),
    };
    let target = Target::start(&target, &options, rules, None, &servers).await?;
    let outputs = Outputs {
        options: output,
        meta: ReportMeta {
            seed: args.seed,
            shard,
            profile: "replay".into(),
            families: None,
            speed: speed_text(args.speed),
            target: target.desc().to_owned(),
            sl_threshold: Span::from_millis(20_000),
        },
        hurry: shutdown.clone(),
    };
    let (start, last) = index.window().unwrap_or_default();
    let config = DeliveryConfig::new(target.transport.clone(), &options, args.seed);
    let mut source = index.into_source().map_err(UsageError)?;
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
    report.shard = shard;
    report.profile = "replay".into();
    report.note_families(None);
    report.speed = speed_text(args.speed);
    report.replay = Some(ReplaySkips {
        truncated_lines: skipped.truncated,
        duplicate_seq: skipped.duplicate_seq,
        logged: skipped.logged,
        left_out_delivered: skipped.delivered,
        other_shards: skipped.other_shards,
        replayed,
    });
    outputs.finish(report, &target, &options, &sent).await
}

/// Runs `ccsim replay`.
pub async fn exec(args: ReplayArgs, shutdown: CancellationToken) -> Result<Exit, RunError> {
    let (_, exit) = replay(args, shutdown).await?;
    Ok(exit)
}
