//! Conversation counts kept by the engine: offered, began, ended and failed per type, each
//! attempt's outcome, and the waits behind the contact-centre figures.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::conversation::{ConvType, Outcome};
use crate::units::Span;

/// Distribution of waits from arrival to answer, in milliseconds (1 ms to 1 day).
#[derive(Debug, Clone)]
pub struct WaitHistogram(Histogram<u64>);

impl Default for WaitHistogram {
    fn default() -> Self {
        // Bounds and precision are constants that hdrhistogram accepts.
        let h = Histogram::new_with_bounds(1, 86_400_000, 3).unwrap_or_else(|_| unreachable!());
        Self(h)
    }
}

impl WaitHistogram {
    /// Records one wait.
    fn record(&mut self, wait: Span) {
        self.0.saturating_record((wait.as_micros() / 1000).max(1));
    }

    /// How many recorded waits were at most `limit`.
    pub fn count_at_most(&self, limit: Span) -> u64 {
        self.0.count_between(0, (limit.as_micros() / 1000).max(1))
    }
}

/// Counts for one conversation type.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TypeStats {
    /// Attempts (arrivals) of this type.
    pub offered: u64,
    /// Conversations that began (`begin` sent).
    pub started: u64,
    /// Conversations that ended after beginning (`end` sent).
    pub ended: u64,
    /// Attempts that never began (no begin, no end).
    pub failed: u64,
    /// Still live when the run was cut short.
    pub unfinished: u64,
    /// Each attempt's outcome.
    pub by_outcome: BTreeMap<Outcome, u64>,
    /// Calls that reached an agent through the ACD.
    #[serde(skip)]
    pub assigned: u64,
    /// Calls that found no agent free and had to wait (answered or not).
    #[serde(skip)]
    pub waited: u64,
    /// Sum of ACD waits, seconds.
    #[serde(skip)]
    pub wait_sum_s: f64,
    /// Sum of times from arrival to answer for begun conversations, seconds.
    #[serde(skip)]
    pub answer_sum_s: f64,
    /// Times from arrival to answer for begun conversations.
    #[serde(skip)]
    pub answer_waits: WaitHistogram,
    /// Sum of times from the ACD selecting an agent to the answer, for begun conversations
    /// that went through the ACD, seconds (the agent's dial and ring).
    #[serde(skip)]
    pub fetch_sum_s: f64,
    /// Begun conversations that went through the ACD.
    #[serde(skip)]
    pub fetched: u64,
}

/// One agent's figures over the run (`contact_center.by_agent` in the report).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentFigures {
    /// The agent's name.
    pub name: String,
    /// Calls it answered (each time its state went from fetching to talking): the queue
    /// calls it took, the calls the application placed through it, the invitations it
    /// accepted.
    pub handled: u64,
    /// Times it was taken from idle: selected by the ACD, dialled or named (answered or
    /// not).
    pub engaged: u64,
    /// Time its phone rang (fetching), seconds.
    pub ringing_s: f64,
    /// Time on calls (talking), seconds.
    pub talk_s: f64,
    /// Time in after-call work (busy), seconds.
    pub wrap_up_s: f64,
    /// Share of the simulated time it was taken: ringing, talking or in after-call work
    /// (the pool's `occupancy` is the mean of its agents').
    pub occupancy: f64,
}

/// Counts for the whole run.
#[derive(Debug, Clone, Default)]
pub struct SimStats {
    /// Per conversation type.
    pub by_type: BTreeMap<ConvType, TypeStats>,
    /// Total agent time spent fetching or talking, seconds.
    pub agent_busy_s: f64,
    /// Total agent time spent in after-call work, seconds.
    pub agent_wrap_up_s: f64,
    /// Times an agent was taken from idle (one per agent leg of a conversation).
    pub agent_engagements: u64,
    /// Number of agents.
    pub agent_count: usize,
    /// Each agent's figures, sorted by name; they add up to the pool's figures above.
    pub agents: Vec<AgentFigures>,
    /// Simulated time covered, seconds: from the start to the last thing that happened, or
    /// to the end of arrivals if later.
    pub simulated_s: f64,
    /// Simulated time over which generated conversations arrived, seconds.
    pub arrivals_s: f64,
    /// Mean patience of waiting callers, seconds (`None`: they never abandon).
    pub patience_mean_s: Option<f64>,
    /// Callers still waiting in the ACD queue when arrivals stopped (or when the run was cut
    /// short before that).
    pub queue_at_arrivals_end: u64,
    /// How long after arrivals stopped the ACD queue was first empty, seconds (`None`: it
    /// never was before the run ended).
    pub queue_drained_after_s: Option<f64>,
}

impl SimStats {
    fn of(&mut self, kind: ConvType) -> &mut TypeStats {
        self.by_type.entry(kind).or_default()
    }

    /// A new attempt arrived.
    pub(crate) fn offered(&mut self, kind: ConvType) {
        self.of(kind).offered += 1;
    }

    /// No agent was free on arrival: the call has to wait.
    pub(crate) fn queued(&mut self, kind: ConvType) {
        self.of(kind).waited += 1;
    }

    /// The ACD found an agent after `waited`.
    pub(crate) fn assigned(&mut self, kind: ConvType, waited: Span) {
        let s = self.of(kind);
        s.assigned += 1;
        s.wait_sum_s += waited.as_secs_f64();
    }

    /// The conversation began, `to_answer` after it arrived.
    pub(crate) fn began(&mut self, kind: ConvType, to_answer: Span) {
        let s = self.of(kind);
        s.started += 1;
        s.answer_sum_s += to_answer.as_secs_f64();
        s.answer_waits.record(to_answer);
    }

    /// A conversation that went through the ACD began `fetch` after its agent was selected.
    pub(crate) fn fetched(&mut self, kind: ConvType, fetch: Span) {
        let s = self.of(kind);
        s.fetched += 1;
        s.fetch_sum_s += fetch.as_secs_f64();
    }

    /// The attempt finished with `outcome`.
    pub(crate) fn finished(&mut self, kind: ConvType, outcome: Outcome) {
        let s = self.of(kind);
        *s.by_outcome.entry(outcome).or_default() += 1;
        match outcome {
            Outcome::Completed => s.ended += 1,
            Outcome::Unfinished => s.unfinished += 1,
            _ => s.failed += 1,
        }
    }
}
