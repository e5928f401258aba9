//! The delivery workers: up to `--concurrency` long-lived tasks, each owning one
//! connection to the target, taking one send at a time from the dispatcher and attempting
//! it until it is delivered or its retries run out. Workers are started as the load needs
//! them and reused last-idle-first, so a light run keeps few connections warm. A send held
//! by a worker that is aborted (the grace period after an interrupt ran out) comes back to
//! the dispatcher as cancelled, so nothing in flight is ever lost from the accounts.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::attempt::{AttemptResult, ExtraHeaders};
use super::handover::Handover;
use super::job::{Completion, DeliveryOutcome, Job};
use super::retry::{RetryPolicy, SuccessRule};
use super::signing::{self, Signer};
use super::transport::{Conn, Transport};

/// What every attempt needs, shared by the workers.
pub(super) struct AttemptContext {
    pub(super) transport: Transport,
    pub(super) retry: RetryPolicy,
    pub(super) success: SuccessRule,
    pub(super) signer: Signer,
    pub(super) seed: u64,
    pub(super) handover: Option<Arc<dyn Handover>>,
}

/// A send handed to a worker: the event and the `--jitter` it already waited.
struct Order {
    job: Job,
    jitter: Duration,
}

/// A worker's account of one send.
struct Done {
    worker: usize,
    completion: Completion,
}

/// The pool, driven by the dispatcher (one task): it decides what goes, the workers send.
pub(super) struct Workers {
    ctx: Arc<AttemptContext>,
    max: usize,
    tasks: JoinSet<()>,
    /// One order channel a worker (capacity 1: a worker is given a send only when idle).
    orders: Vec<mpsc::Sender<Order>>,
    idle: Vec<usize>,
    in_flight: usize,
    done_tx: mpsc::UnboundedSender<Done>,
    done_rx: mpsc::UnboundedReceiver<Done>,
    batch: Vec<Done>,
}

impl Workers {
    /// A pool of at most `max` workers (none started yet).
    pub(super) fn new(ctx: Arc<AttemptContext>, max: usize) -> Self {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Self {
            ctx,
            max: max.max(1),
            tasks: JoinSet::new(),
            orders: Vec::new(),
            idle: Vec::new(),
            in_flight: 0,
            done_tx,
            done_rx,
            batch: Vec::new(),
        }
    }

    /// Sends in flight.
    pub(super) fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Whether another send may start (fewer than `max` in flight).
    pub(super) fn has_room(&self) -> bool {
        self.in_flight < self.max
    }

    /// Hands `job` to an idle worker (starting one if none is idle); the caller checked
    /// [`Workers::has_room`].
    pub(super) fn launch(&mut self, job: Job, jitter: Duration) {
        let mut order = Order { job, jitter };
        loop {
            let worker = match self.idle.pop() {
                Some(w) => w,
                None => self.start(None),
            };
            match self.orders[worker].try_send(order) {
                Ok(()) => {
                    self.in_flight += 1;
                    return;
                }
                // Only a worker that died (a bug) refuses: replace it and go on.
                Err(e) => {
                    order = e.into_inner();
                    self.start(Some(worker));
                    self.idle.push(worker);
                }
            }
        }
    }

    /// Starts a worker in a new slot, or in `slot`; returns its index.
    fn start(&mut self, slot: Option<usize>) -> usize {
        let (tx, rx) = mpsc::channel(1);
        let index = match slot {
            Some(i) => {
                self.orders[i] = tx;
                i
            }
            None => {
                self.orders.push(tx);
                self.orders.len() - 1
            }
        };
        let ctx = self.ctx.clone();
        let done = self.done_tx.clone();
        self.tasks.spawn(work(ctx, index, rx, done));
        index
    }

    /// Waits for at least one send to finish and appends every finished one to `out`.
    pub(super) async fn finished(&mut self, out: &mut Vec<Completion>) {
        let mut batch = std::mem::take(&mut self.batch);
        self.done_rx.recv_many(&mut batch, 256).await;
        self.settle(&mut batch, out);
        self.batch = batch;
    }

    fn settle(&mut self, batch: &mut Vec<Done>, out: &mut Vec<Completion>) {
        for done in batch.drain(..) {
            self.idle.push(done.worker);
            self.in_flight -= 1;
            out.push(done.completion);
        }
    }

    /// Stops every worker now; returns the sends they held (finished ones as they ended,
    /// the rest cancelled).
    pub(super) async fn abort(&mut self) -> Vec<Completion> {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        let mut batch = Vec::new();
        while let Ok(done) = self.done_rx.try_recv() {
            batch.push(done);
        }
        let mut out = Vec::new();
        self.settle(&mut batch, &mut out);
        out.sort_by_key(|c| (c.job.seq, c.job.duplicate));
        out
    }
}

/// A send a worker holds: dropped unfinished (the worker aborted), it reports itself
/// cancelled.
struct Holding<'a> {
    worker: usize,
    order: Option<Order>,
    done: &'a mpsc::UnboundedSender<Done>,
}

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        if let Some(Order { job, .. }) = self.order.take() {
            let completion = Completion::cancelled(job, Instant::now());
            let _ = self.done.send(Done {
                worker: self.worker,
                completion,
            });
        }
    }
}

/// One worker: takes orders until the pool is dropped.
async fn work(
    ctx: Arc<AttemptContext>,
    worker: usize,
    mut orders: mpsc::Receiver<Order>,
    done: mpsc::UnboundedSender<Done>,
) {
    let mut conn = ctx.transport.open();
    while let Some(order) = orders.recv().await {
        let mut holding = Holding {
            worker,
            order: Some(order),
            done: &done,
        };
        let Some(Order { job, .. }) = holding.order.as_ref() else {
            continue;
        };
        let tried = deliver(&ctx, &mut conn, job).await;
        let Some(Order { job, jitter }) = holding.order.take() else {
            continue;
        };
        let completion = Completion {
            job,
            attempts: tried.attempts,
            outcome: tried.outcome,
            last: tried.last,
            jitter,
            first_sent: Some(tried.first_sent),
            done: tried.done,
        };
        let _ = done.send(Done { worker, completion });
    }
}

/// What the attempts at one send came to.
struct Tried {
    attempts: u32,
    outcome: DeliveryOutcome,
    last: Option<AttemptResult>,
    first_sent: Instant,
    done: Instant,
}

/// Attempts `job` until success or the retries run out, waiting between attempts as the
/// retry policy (or the receiver's Retry-After) says.
async fn deliver(ctx: &AttemptContext, conn: &mut Conn<'_>, job: &Job) -> Tried {
    let first_sent = Instant::now();
    let max = ctx.retry.max_attempts();
    // Retry jitter differs between runs of different seeds and between duplicates.
    let retry_key = job.seq ^ ctx.seed.rotate_left(32) ^ u64::from(job.duplicate);
    let webhook_id = ctx.signer.is_enabled().then(|| job.webhook_id());
    let mut extra = ExtraHeaders::new();
    let mut last = None;
    let mut attempts = 0;
    let mut outcome = DeliveryOutcome::Failed;
    for attempt in 1..=max {
        attempts = attempt;
        extra.clear();
        if let Some(id) = &webhook_id {
            let ts = chrono::Utc::now().timestamp();
            extra.push((signing::HEADER_ID, id.clone()));
            extra.push((signing::HEADER_TIMESTAMP, ts.to_string()));
            extra.push((
                signing::HEADER_SIGNATURE,
                ctx.signer.sign(id, ts, &job.webhook.body),
            ));
        }
        if attempt == 1
            && let Some(handover) = &ctx.handover
        {
            // The request is written next: what it announces may show from now on.
            if let Some(change) = job.change {
                handover.handed_over(change, job.scheduled_sim);
            }
            handover.sending(job);
        }
        let got = conn.attempt(&job.webhook.body, &extra).await;
        let status = match got.result {
            AttemptResult::Status(s) => Some(s),
            _ => None,
        };
        last = Some(got.result);
        if status.is_some_and(|s| ctx.success.accepts(s)) {
            outcome = DeliveryOutcome::Delivered;
            break;
        }
        if attempt < max {
            let now_ms = chrono::Utc::now().timestamp_millis();
            let wait = ctx
                .retry
                .wait(retry_key, attempt, status, got.retry_after, now_ms);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
    }
    if let Some(handover) = &ctx.handover {
        handover.sent(job, outcome);
    }
    Tried {
        attempts,
        outcome,
        last,
        first_sent,
        done: Instant::now(),
    }
}
