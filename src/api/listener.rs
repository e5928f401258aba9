//! Connection slots: at most a fixed number of connections are served at once (HTTP/1
//! being one request at a time per connection, so at most that many requests), and a
//! connection that is not serving a request cannot keep a newcomer out. Each accepted
//! connection holds a [`Slot`] until it closes; when every slot is taken, [`Slots::admit`]
//! sheds the least recently active *idle* connection (no request in service, and none
//! begun or answered for [`SHED_GRACE`], a quarter second: an idle keep-alive connection, one that never
//! sent anything, or one still dribbling its request head) to make room, as Apache's
//! event MPM closes idle keep-alive connections when it runs out of workers. The grace
//! lets a new connection's first request be read, and an active keep-alive client keep
//! its connection, while a flood churns. A connection with a request in service is never
//! shed; when no connection can be shed, the newcomer waits. Used by `serve`, for the API
//! and the built-in receiver.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// How often a newcomer waiting for a slot looks again for an idle connection to shed.
pub const RECHECK: Duration = Duration::from_millis(50);
/// How long after its opening, or its last request's start or end, a connection may not
/// be shed.
pub const SHED_GRACE: Duration = Duration::from_millis(250);

/// The slots of one server, shared by its accepting threads.
pub struct Slots {
    permits: Arc<Semaphore>,
    open: Mutex<HashMap<u64, Arc<ConnState>>>,
    next_id: AtomicU64,
    epoch: Instant,
    grace_ms: u64,
}

impl std::fmt::Debug for Slots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slots")
            .field("available", &self.available())
            .finish_non_exhaustive()
    }
}

/// What the slots know of one open connection.
#[derive(Debug)]
struct ConnState {
    /// Requests being served (0 or 1 for HTTP/1).
    in_service: AtomicU32,
    /// Milliseconds since the slots' epoch of the last request start or end (or accept).
    last_active: AtomicU64,
    /// Fired to ask the connection to close (shed, or the server stopping).
    shed: CancellationToken,
    /// Set once the connection was chosen to be shed, so no two admissions pick it.
    chosen: AtomicBool,
}

impl Slots {
    /// `limit` slots (at least one), shedding after [`SHED_GRACE`].
    pub fn new(limit: usize) -> Arc<Self> {
        Self::with_grace(limit, SHED_GRACE)
    }

    /// `limit` slots (at least one), shedding only connections idle for `grace`.
    pub fn with_grace(limit: usize, grace: Duration) -> Arc<Self> {
        Arc::new(Self {
            permits: Arc::new(Semaphore::new(limit.max(1))),
            open: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            epoch: Instant::now(),
            grace_ms: u64::try_from(grace.as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// Slots free now.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }

    /// Connections holding a slot now.
    pub fn open(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<ConnState>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A slot for a newly accepted connection: a free one, or the one an idle connection
    /// gives up when shed; waits only while every slot is serving a request (looking
    /// again every [`RECHECK`] for a connection that has become idle since). `None` when
    /// the semaphore is closed (never, in practice).
    pub async fn admit(self: &Arc<Self>) -> Option<Slot> {
        let permit = loop {
            if let Ok(permit) = self.permits.clone().try_acquire_owned() {
                break permit;
            }
            self.shed_one();
            if let Ok(permit) =
                tokio::time::timeout(RECHECK, self.permits.clone().acquire_owned()).await
            {
                break permit.ok()?;
            }
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnState {
            in_service: AtomicU32::new(0),
            last_active: AtomicU64::new(self.now_ms()),
            shed: CancellationToken::new(),
            chosen: AtomicBool::new(false),
        });
        self.lock().insert(id, state.clone());
        Some(Slot {
            slots: self.clone(),
            id,
            state,
            _permit: permit,
        })
    }

    /// Asks the least recently active idle connection to close; whether there was one.
    fn shed_one(&self) -> bool {
        let now = self.now_ms();
        let open = self.lock();
        let victim = open
            .values()
            .filter(|c| c.in_service.load(Ordering::Acquire) == 0)
            .filter(|c| !c.chosen.load(Ordering::Acquire))
            .filter(|c| now.saturating_sub(c.last_active.load(Ordering::Relaxed)) >= self.grace_ms)
            .min_by_key(|c| c.last_active.load(Ordering::Relaxed));
        match victim {
            Some(c) if !c.chosen.swap(true, Ordering::AcqRel) => {
                c.shed.cancel();
                true
            }
            _ => false,
        }
    }
}

/// One connection's slot, held until the connection closes.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<Slots>,
    id: u64,
    state: Arc<ConnState>,
    _permit: OwnedSemaphorePermit,
}

impl Slot {
    /// Fires when the connection should close to make room for another.
    pub fn shed(&self) -> CancellationToken {
        self.state.shed.clone()
    }

    /// Whether a request is being served on this connection now.
    pub fn in_service(&self) -> bool {
        self.state.in_service.load(Ordering::Acquire) > 0
    }

    /// Marks a request in service until the returned guard is dropped.
    pub fn serving(&self) -> InService {
        self.state.in_service.fetch_add(1, Ordering::AcqRel);
        self.touch();
        InService {
            slots: self.slots.clone(),
            state: self.state.clone(),
        }
    }

    fn touch(&self) {
        self.state
            .last_active
            .store(self.slots.now_ms(), Ordering::Relaxed);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.lock().remove(&self.id);
    }
}

/// A request in service on a connection; dropping it ends the service.
#[derive(Debug)]
pub struct InService {
    slots: Arc<Slots>,
    state: Arc<ConnState>,
}

impl Drop for InService {
    fn drop(&mut self) {
        self.state
            .last_active
            .store(self.slots.now_ms(), Ordering::Relaxed);
        self.state.in_service.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_open_connection_holds_a_slot_until_it_closes() {
        let slots = Slots::new(2);
        let first = slots.admit().await.unwrap();
        assert_eq!(slots.available(), 1);
        let second = slots.admit().await.unwrap();
        assert_eq!((slots.available(), slots.open()), (0, 2));
        drop(first);
        assert_eq!((slots.available(), slots.open()), (1, 1));
        drop(second);
        assert_eq!(slots.available(), 2);
    }

    #[tokio::test]
    async fn a_full_house_sheds_the_least_recently_active_idle_connection() {
        let slots = Slots::with_grace(3, Duration::ZERO);
        let busy = slots.admit().await.unwrap();
        let _request = busy.serving();
        let old_idle = slots.admit().await.unwrap();
        let recent = slots.admit().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        drop(recent.serving());
        let (old_shed, recent_shed, busy_shed) = (old_idle.shed(), recent.shed(), busy.shed());
        // The newcomer's admission waits for the shed connection to close.
        let newcomer = tokio::spawn({
            let slots = slots.clone();
            async move { slots.admit().await.map(|s| s.id) }
        });
        old_shed.cancelled().await;
        assert!(!recent_shed.is_cancelled() && !busy_shed.is_cancelled());
        drop(old_idle);
        assert!(newcomer.await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_newcomer_waiting_on_busy_connections_sheds_one_once_it_is_idle() {
        let slots = Slots::with_grace(1, Duration::ZERO);
        let busy = slots.admit().await.unwrap();
        let request = busy.serving();
        let newcomer = tokio::spawn({
            let slots = slots.clone();
            async move { slots.admit().await.map(|s| s.id) }
        });
        tokio::time::sleep(RECHECK * 2).await;
        assert!(!busy.shed().is_cancelled(), "busy: not shed");
        drop(request);
        // Still open, but idle now: the waiting newcomer sheds it.
        busy.shed().cancelled().await;
        drop(busy);
        assert!(newcomer.await.unwrap().is_some());
    }

    #[tokio::test]
    async fn connections_serving_a_request_are_never_shed() {
        let slots = Slots::with_grace(1, Duration::ZERO);
        let busy = slots.admit().await.unwrap();
        let request = busy.serving();
        assert!(!slots.shed_one(), "nothing idle to shed");
        assert!(!busy.shed().is_cancelled());
        drop(request);
        assert!(slots.shed_one());
        assert!(busy.shed().is_cancelled());
        assert!(!slots.shed_one(), "a connection is shed once");
    }

    #[tokio::test]
    async fn a_connection_active_within_the_grace_is_not_shed() {
        let slots = Slots::with_grace(1, Duration::from_secs(3600));
        let fresh = slots.admit().await.unwrap();
        assert!(!slots.shed_one(), "just opened");
        drop(fresh.serving());
        assert!(!slots.shed_one(), "just answered");
        assert!(!fresh.shed().is_cancelled());
    }
}
