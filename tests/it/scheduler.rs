//! The scheduler under paused time: every event is due exactly when its simulated time,
//! scaled by the speed, says, is never sent early nor later than the next timer tick, the
//! same seed gives the same instants, and the change an event announces shows in the
//! records only once the event is handed over.

use std::time::Duration;

use clap::Parser;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use ccsim::api::store::RecordStore;
use ccsim::cli::{Cli, Command};
use ccsim::delivery::transport::Transport;
use ccsim::delivery::{Completion, DeliveryConfig, Job, LiveCounters, Sink, run_delivery};
use ccsim::event::EventBuilder;
use ccsim::feed::SimSource;
use ccsim::scenario::default_plan;
use ccsim::sim::engine::Engine;
use ccsim::time::SimTime;
use ccsim::units::Speed;

#[derive(Default)]
struct Recorder {
    sends: Vec<(SimTime, Instant, Option<Instant>)>,
}

impl Sink for Recorder {
    fn emitted(&mut self, _job: &Job) {}
    fn completed(&mut self, c: &Completion) {
        self.sends
            .push((c.job.scheduled_sim, c.job.scheduled, c.first_sent));
    }
}

/// Runs the default plan's first simulated minute at `speed` to the null transport, and
/// returns (wall start, sends).
async fn schedule(seed: u64, speed: f64) -> (Instant, SimTime, Recorder) {
    schedule_with(seed, speed, &[]).await
}

/// [`schedule`] with more `ccsim run` flags.
async fn schedule_with(seed: u64, speed: f64, flags: &[&str]) -> (Instant, SimTime, Recorder) {
    let command_line = ["ccsim", "run"].iter().chain(flags);
    let Command::Run(args) = Cli::try_parse_from(command_line).expect("args").command else {
        unreachable!()
    };
    let options = args.delivery.options().expect("options");
    let start = SimTime::from_millis(1_700_000_000_000);
    let mut plan = default_plan(seed, start).expect("the embedded default is valid");
    plan.workload.duration = ccsim::units::Span::from_millis(60_000);
    let mut engine = Engine::new(plan);
    let store = RecordStore::default();
    let builder = EventBuilder::default();
    let mut source = SimSource::new(|budget| engine.pull(budget), Some(&store), &builder);
    let config = DeliveryConfig::new(Transport::Null, &options, seed);
    let mut rec = Recorder::default();
    let t0 = Instant::now();
    run_delivery(
        &mut source,
        start,
        Speed::Factor(speed),
        &config,
        &mut rec,
        &LiveCounters::default(),
        &CancellationToken::new(),
    )
    .await;
    (t0, start, rec)
}

#[tokio::test(start_paused = true)]
async fn each_event_is_released_exactly_at_its_simulated_time_over_the_speed() {
    let (t0, start, rec) = schedule(3, 10.0).await;
    assert!(rec.sends.len() > 10, "only {} events", rec.sends.len());
    for (sim, scheduled, sent) in &rec.sends {
        let want = t0 + Duration::from_secs_f64(sim.since(start).as_secs_f64() / 10.0);
        let off = |i: Instant| (i.max(want) - i.min(want)).as_nanos();
        assert!(
            off(*scheduled) <= 1_000,
            "scheduled {scheduled:?} vs {want:?}"
        );
        // Under paused time the clock jumps to tokio's next timer tick (1 ms wheel), so the
        // send is exact to that tick; sub-millisecond accuracy on the real clock is
        // measured by bench/lateness.sh.
        let sent = sent.expect("sent");
        assert!(sent >= *scheduled, "never early");
        assert!(
            sent - *scheduled < Duration::from_millis(1),
            "sent {:?} late",
            sent - want
        );
    }
}

/// On the real clock (no paused time), whether the dispatcher sleeps or spins
/// (`--busy-wait`): the run ends, every event goes out, and none before its time. (How
/// exact the times are is measured, not asserted: bench/lateness.sh.)
#[tokio::test]
async fn on_the_real_clock_every_event_is_sent_and_none_early_sleeping_or_spinning() {
    let (_, _, asleep) = schedule_with(3, 120.0, &[]).await;
    let (_, _, spinning) = schedule_with(3, 120.0, &["--busy-wait"]).await;
    assert!(
        asleep.sends.len() > 10,
        "only {} events",
        asleep.sends.len()
    );
    assert_eq!(spinning.sends.len(), asleep.sends.len());
    for (_, scheduled, sent) in asleep.sends.iter().chain(&spinning.sends) {
        assert!(sent.expect("sent") >= *scheduled, "sent before its time");
    }
}

#[tokio::test(start_paused = true)]
async fn the_same_seed_gives_the_same_send_instants() {
    let offsets = |t0: Instant, rec: Recorder| -> Vec<Duration> {
        let mut v: Vec<Duration> = rec.sends.iter().map(|s| s.1 - t0).collect();
        v.sort();
        v
    };
    let (t0, _, a) = schedule(5, 60.0).await;
    let a = offsets(t0, a);
    let (t1, _, b) = schedule(5, 60.0).await;
    assert_eq!(a, offsets(t1, b));
    let (t2, _, c) = schedule(6, 60.0).await;
    assert_ne!(a, offsets(t2, c));
}

/// What a record showed of an event's change: when the event was emitted (waiting in its
/// lane) and when it was completed (after it was handed over).
#[derive(Default)]
struct Watcher {
    store: RecordStore,
    /// Per event: (kind, shown when emitted, shown when completed).
    seen: std::collections::HashMap<u64, (ccsim::event::EventKind, bool, bool)>,
    /// Per event: its conversation.
    conv: std::collections::HashMap<u64, ccsim::ids::ConversationId>,
}

impl Watcher {
    /// Whether the record shows `job`'s change: a `begin` its begin time, an `end` its end
    /// reason, a `parts_changed` as many joins and leaves as the conversation's
    /// `parts_changed` so far (counted by the caller in `parts`).
    fn shows(&self, job: &Job, parts: usize) -> bool {
        use ccsim::event::EventKind;
        let Some(r) = job
            .webhook
            .conversation_id()
            .and_then(|id| self.store.get(id))
        else {
            return false;
        };
        match job.webhook.kind {
            EventKind::ConversationBegin => r.started_at.is_some(),
            EventKind::ConversationEnd => r.end_reason.is_some(),
            EventKind::ConversationPartsChanged => {
                let left = r.members.iter().filter(|m| m.end_time.is_some()).count();
                r.members.len() + left >= parts
            }
            // Agent and queue events announce no record change.
            _ => true,
        }
    }

    fn parts_so_far(&self, job: &Job) -> usize {
        self.seen
            .iter()
            .filter(|(seq, (kind, _, _))| {
                **seq <= job.seq
                    && *kind == ccsim::event::EventKind::ConversationPartsChanged
                    && self.conv.get(seq) == job.webhook.conversation_id()
            })
            .count()
    }
}

impl Sink for Watcher {
    fn emitted(&mut self, job: &Job) {
        self.seen.insert(job.seq, (job.webhook.kind, false, false));
        if let Some(id) = job.webhook.conversation_id() {
            self.conv.insert(job.seq, *id);
        }
        let parts = self.parts_so_far(job);
        let shown = self.shows(job, parts);
        if let Some(entry) = self.seen.get_mut(&job.seq) {
            entry.1 = shown;
        }
    }
    fn completed(&mut self, c: &Completion) {
        let parts = self.parts_so_far(&c.job);
        let shown = self.shows(&c.job, parts);
        if let Some(entry) = self.seen.get_mut(&c.job.seq) {
            entry.2 = shown;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_change_is_hidden_while_its_event_waits_and_shown_once_it_is_handed_over() {
    let Command::Run(args) = Cli::try_parse_from(["ccsim", "run", "--concurrency", "1"])
        .expect("args")
        .command
    else {
        unreachable!()
    };
    let options = args.delivery.options().expect("options");
    let start = SimTime::from_millis(1_700_000_000_000);
    let mut plan = default_plan(7, start).expect("the embedded default is valid");
    plan.workload.duration = ccsim::units::Span::from_millis(600_000);
    let mut engine = Engine::new(plan);
    let store = RecordStore::default();
    let builder = EventBuilder::default();
    let mut source = SimSource::new(|budget| engine.pull(budget), Some(&store), &builder);
    let config = DeliveryConfig::new(Transport::Null, &options, 7)
        .with_handover(std::sync::Arc::new(store.clone()));
    let mut watcher = Watcher {
        store: store.clone(),
        ..Watcher::default()
    };
    run_delivery(
        &mut source,
        start,
        Speed::Max,
        &config,
        &mut watcher,
        &LiveCounters::default(),
        &CancellationToken::new(),
    )
    .await;
    assert!(
        watcher.seen.len() > 30,
        "only {} events",
        watcher.seen.len()
    );
    for (seq, (kind, when_emitted, when_completed)) in &watcher.seen {
        assert!(
            !when_emitted,
            "event {seq} ({kind:?}): its change showed while it waited to be sent"
        );
        assert!(
            when_completed,
            "event {seq} ({kind:?}): its change did not show once it was sent"
        );
    }
}
