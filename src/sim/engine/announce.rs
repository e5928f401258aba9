//! What the engine tells about agents and queue tasks: an agent's state changes and its
//! entering and leaving conversations, and each queue task's selection, success or failure,
//! as [`Occurrence`]s queued in the platform's order among the conversation happenings of
//! the same step. Produced only for the families the plan asks for; the agents' states and
//! the tasks themselves are kept either way. Called by the lifecycle, the ACD, arrivals and
//! scripts at each point where the platform sends such an event.

use std::sync::Arc;

use crate::agent::{AgentHappening, AgentHappeningKind, Presence, StateName};
use crate::families::EventFamily;
use crate::occurrence::Occurrence;
use crate::queue_task::{FailCause, QueueHappening, QueueStep, SelectedAgent};
use crate::sim::agents::AgentIdx;
use crate::sim::workload::AbandonedTasks;

use super::Engine;
use super::conv::{Ghost, Role, Task};

impl Engine {
    /// The user data and sub-account that events about conversation `key` carry.
    fn context(&self, key: Option<u64>) -> (Option<Arc<str>>, Option<Arc<str>>) {
        let conv = key.and_then(|k| self.convs.get(&k));
        let user_data = conv.and_then(|c| c.user_data.clone());
        let subaccount = conv
            .and_then(|c| c.subaccount_id.clone())
            .or_else(|| self.plan.subaccount_id.clone());
        (user_data, subaccount)
    }

    /// Moves agent `a` to `state`, announcing the change (if it is one) in the context of
    /// conversation `key` (its user data and sub-account; `None`: the run's sub-account).
    pub(super) fn set_agent_state(
        &mut self,
        a: AgentIdx,
        state: impl Into<StateName>,
        key: Option<u64>,
    ) {
        let previous = self.pool.set_state(a, state, self.now);
        self.announce_state(a, previous, key);
    }

    /// Announces that agent `a` went from `previous` to the state it is in now (nothing if
    /// that is the same state).
    pub(super) fn announce_state(
        &mut self,
        a: AgentIdx,
        previous: impl Into<StateName>,
        key: Option<u64>,
    ) {
        let previous = previous.into();
        let latest = self.pool.get(a).state_name().clone();
        if latest == previous || !self.plan.events.has(EventFamily::Agent) {
            return;
        }
        self.push_agent(
            a,
            key,
            AgentHappeningKind::StateChanged { previous, latest },
        );
    }

    /// Announces that agent `a` entered or left conversation `key`.
    pub(super) fn announce_presence(&mut self, a: AgentIdx, key: u64, presence: Presence) {
        if !self.plan.events.has(EventFamily::Agent) {
            return;
        }
        let Some(conversation_id) = self.convs.get(&key).map(|c| c.id) else {
            return;
        };
        let latest_state = self.pool.get(a).state_name().clone();
        self.push_agent(
            a,
            Some(key),
            AgentHappeningKind::ConversationChanged {
                presence,
                conversation_id,
                latest_state,
            },
        );
    }

    fn push_agent(&mut self, a: AgentIdx, key: Option<u64>, kind: AgentHappeningKind) {
        let (user_data, subaccount_id) = self.context(key);
        self.out.push_back(Occurrence::Agent(AgentHappening {
            at: self.now,
            agent: self.pool.get(a).info().clone(),
            subaccount_id,
            user_data,
            kind,
        }));
    }

    /// Announces step `step` of the task of party `p` of conversation `key` (the agent the
    /// task selected); success and failure close the task, so each is announced once.
    pub(super) fn announce_task(&mut self, key: u64, p: usize, step: QueueStep) {
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        let Some(party) = conv.parties.get_mut(p) else {
            return;
        };
        let task = match step {
            QueueStep::Select => party.task.clone(),
            QueueStep::Success | QueueStep::Fail(_) => party.task.take(),
        };
        let Some(task) = task else {
            return;
        };
        let ringing = party.joined && !party.answered;
        let agent = match party.role {
            Role::Agent(a) => Some(SelectedAgent {
                name: self.pool.get(a).name().clone(),
                extension_id: self.pool.get(a).info().extension_id,
                call_id: party.member.call_id,
            }),
            Role::Customer | Role::External => None,
        };
        self.push_task(key, task, step, agent, ringing);
    }

    /// Fails the task of conversation `key` that still waits for an agent (none selected).
    pub(super) fn fail_waiting_task(&mut self, key: u64, cause: FailCause) {
        let Some(task) = self.convs.get_mut(&key).and_then(|c| c.waiting_task.take()) else {
            return;
        };
        self.push_task(key, task, QueueStep::Fail(cause), None, false);
    }

    /// The caller of conversation `key` hung up while its task waited for an agent: the task
    /// fails now with `hangup`, or stays queued unannounced, as the plan says.
    pub(super) fn abandon_waiting_task(&mut self, key: u64) {
        // A scripted call is not in the ACD's queue (its steps select its agents), so
        // nothing would ever reach its task there: it fails at the hang-up.
        let scripted = self.convs.get(&key).is_some_and(|c| c.script.is_some());
        if self.plan.abandoned_tasks == AbandonedTasks::FailAtHangup
            || scripted
            || self.ghosts.len() >= self.plan.max_live
        {
            let cause = match self.plan.abandoned_tasks {
                AbandonedTasks::StayQueued if !scripted => FailCause::Error,
                _ => FailCause::Hangup,
            };
            self.fail_waiting_task(key, cause);
            return;
        }
        let (user_data, subaccount_id) = self.context(Some(key));
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        let Some(task) = conv.waiting_task.take() else {
            return;
        };
        let ghost = Ghost {
            task,
            conversation_id: conv.id,
            user_data,
            subaccount_id,
        };
        self.ghosts.insert(key, ghost);
    }

    /// The queued task of a caller gone before any agent was selected ends now: `timeout`
    /// (its queue timeout fell due) or `error` (the ACD reached it with an agent free).
    /// Returns whether there was one.
    pub(super) fn end_ghost(&mut self, key: u64, cause: FailCause) -> bool {
        let Some(task) = self.ghosts.get(&key).map(|g| g.task.clone()) else {
            return false;
        };
        self.push_task(key, task, QueueStep::Fail(cause), None, false);
        self.ghosts.remove(&key);
        true
    }

    /// Fails every open task of conversation `key`'s parties, as its conference goes:
    /// `hangup` if the call that queued hung up, else `call_fail` (the agent's call is
    /// dropped before it answered).
    pub(super) fn fail_open_tasks(&mut self, key: u64) {
        let Some(conv) = self.convs.get(&key) else {
            return;
        };
        let cause = if conv.queueing_call_gone {
            FailCause::Hangup
        } else {
            FailCause::CallFail
        };
        let open: Vec<usize> = (0..conv.parties.len())
            .filter(|&p| conv.parties[p].task.is_some())
            .collect();
        for p in open {
            self.announce_task(key, p, QueueStep::Fail(cause));
        }
        self.fail_waiting_task(key, cause);
    }

    fn push_task(
        &mut self,
        key: u64,
        task: Task,
        step: QueueStep,
        agent: Option<SelectedAgent>,
        agent_ringing: bool,
    ) {
        if !self.plan.events.has(EventFamily::Queue) {
            return;
        }
        let (conversation_id, user_data, subaccount_id) = match self.convs.get(&key) {
            Some(conv) => {
                let (user_data, subaccount_id) = self.context(Some(key));
                (conv.id, user_data, subaccount_id)
            }
            None => match self.ghosts.get(&key) {
                Some(g) => (
                    g.conversation_id,
                    g.user_data.clone(),
                    g.subaccount_id.clone(),
                ),
                None => return,
            },
        };
        self.out
            .push_back(Occurrence::Queue(Box::new(QueueHappening {
                at: self.now,
                conv_key: key,
                conversation_id,
                id: task.id,
                kind: task.kind,
                step,
                subaccount_id,
                condition_id: task.condition,
                agent,
                agent_ringing,
                origin_call_id: task.origin,
                user_data,
            })));
    }
}

#[cfg(test)]
mod tests {
    use crate::conversation::ConvType;
    use crate::sim::dist::Dist;
    use crate::units::Span;

    use super::super::testing::{engine, p, secs};

    /// The transcript of all three families of one conversation of `kind` arriving at 0 s.
    fn run(
        kind: ConvType,
        agents: usize,
        tweak: impl FnOnce(&mut crate::sim::behaviour::Behaviour),
    ) -> Vec<String> {
        let mut e = engine(agents, |b, _| tweak(b));
        e.arrival(0, kind);
        e.transcript_all()
    }

    #[test]
    fn a_queue_call_selects_rings_begins_succeeds_and_frees_its_agent_in_the_platforms_order() {
        assert_eq!(
            run(ConvType::Queue, 1, |_| {}),
            [
                "0.000 #0 created",
                "0.000 #0 queue select ivr agent-001",
                "0.000 agent-001 idle→fetching",
                "0.200 #0 customer joins",
                "1.000 agent-001 enters #0 (fetching)",
                "1.000 #0 agent-001 joins",
                "6.000 agent-001 fetching→talking",
                "6.000 #0 begins (agent-001 answered)",
                "6.000 #0 queue success ivr agent-001",
                "66.000 #0 customer leaves",
                "66.000 agent-001 exits #0 (talking)",
                "66.000 agent-001 talking→idle",
                "66.000 #0 released: customer_hangup",
            ]
        );
    }

    #[test]
    fn an_agent_who_hangs_up_exits_then_is_idle_before_the_end() {
        assert_eq!(
            run(ConvType::Queue, 1, |b| b.customer_hangup = p(0.0))[9..],
            [
                "66.000 agent-001 exits #0 (talking)",
                "66.000 #0 agent-001 leaves",
                "66.000 agent-001 talking→idle",
                "66.000 #0 released: agent_hangup",
            ]
        );
    }

    #[test]
    fn after_call_work_is_busy_then_idle() {
        assert_eq!(
            run(ConvType::Queue, 1, |b| b.wrap_up = Dist::fixed(secs(10)))[10..],
            [
                "66.000 agent-001 exits #0 (talking)",
                "66.000 agent-001 talking→busy",
                "66.000 #0 released: customer_hangup",
                "76.000 agent-001 busy→idle",
            ]
        );
    }

    #[test]
    fn an_agent_who_does_not_answer_fails_the_task_exits_and_is_idle_without_begin_or_end() {
        assert_eq!(
            run(ConvType::Queue, 1, |b| b.agent_answer = p(0.0))[6..],
            [
                "51.000 #0 queue fail call_fail ivr agent-001 (ringing)",
                "51.000 agent-001 exits #0 (fetching)",
                "51.000 #0 agent-001 leaves",
                "51.000 agent-001 fetching→idle",
                "51.000 #0 released before begin: agent_hangup",
            ]
        );
    }

    #[test]
    fn a_caller_who_hangs_up_while_the_agent_rings_fails_the_task_as_a_hang_up() {
        assert_eq!(
            run(ConvType::Queue, 1, |b| b.patience =
                Some(Dist::fixed(secs(3))))[6..],
            [
                "3.000 #0 customer leaves",
                "3.000 #0 queue fail hangup ivr agent-001 (ringing)",
                "3.000 agent-001 exits #0 (fetching)",
                "3.000 agent-001 fetching→idle",
                "3.000 #0 released before begin: customer_hangup",
            ]
        );
        // Before the agent's phone rang: the agent never entered, so it never exits.
        let early = |b: &mut crate::sim::behaviour::Behaviour| {
            b.patience = Some(Dist::fixed(Span::from_millis(500)));
        };
        assert_eq!(
            run(ConvType::Queue, 1, early)[4..],
            [
                "0.500 #0 customer leaves",
                "0.500 #0 queue fail hangup ivr agent-001",
                "0.500 agent-001 fetching→idle",
                "0.500 #0 released before begin: customer_hangup",
            ]
        );
    }

    #[test]
    fn a_caller_nobody_selected_fails_its_task_alone() {
        let abandons = |b: &mut crate::sim::behaviour::Behaviour| {
            b.patience = Some(Dist::fixed(secs(3)));
        };
        assert_eq!(
            run(ConvType::Queue, 0, abandons),
            ["3.000 #0 queue fail hangup ivr"]
        );
        let times_out = |b: &mut crate::sim::behaviour::Behaviour| {
            b.queue_timeout = Some(secs(30));
        };
        assert_eq!(
            run(ConvType::Queue, 0, times_out),
            ["30.000 #0 queue fail timeout ivr"]
        );
    }

    #[test]
    fn a_call_out_announces_its_agent_but_no_queue_task() {
        assert_eq!(
            run(ConvType::CallOut, 1, |_| {}),
            [
                "0.000 agent-001 idle→fetching",
                "5.000 agent-001 fetching→talking",
                "5.000 #0 created",
                "5.200 agent-001 enters #0 (talking)",
                "5.200 #0 agent-001 joins",
                "8.200 #0 callee joins",
                "18.200 #0 begins (callee answered)",
                "78.200 #0 callee leaves",
                "78.200 agent-001 exits #0 (talking)",
                "78.200 agent-001 talking→idle",
                "78.200 #0 released: customer_hangup",
            ]
        );
    }

    #[test]
    fn a_call_out_agent_who_does_not_pick_up_is_fetching_then_idle_and_nothing_else() {
        assert_eq!(
            run(ConvType::CallOut, 1, |b| b.agent_answer = p(0.0)),
            [
                "0.000 agent-001 idle→fetching",
                "50.000 agent-001 fetching→idle"
            ]
        );
    }

    #[test]
    fn a_call_out_callee_who_does_not_answer_drops_the_agent() {
        assert_eq!(
            run(ConvType::CallOut, 1, |b| b.callee_answer = p(0.0))[6..],
            [
                "53.200 #0 callee leaves",
                "53.200 agent-001 exits #0 (talking)",
                "53.200 agent-001 talking→idle",
                "53.200 #0 released before begin: customer_hangup",
            ]
        );
    }

    #[test]
    fn a_call_agent_queues_for_agent_b_once_agent_a_is_in() {
        assert_eq!(
            run(ConvType::CallAgent, 2, |_| {}),
            [
                "0.000 agent-001 idle→fetching",
                "5.000 agent-001 fetching→talking",
                "5.000 #0 created",
                "5.200 agent-001 enters #0 (talking)",
                "5.200 #0 agent-001 joins",
                "5.200 #0 queue select call_agent agent-002",
                "5.200 agent-002 idle→fetching",
                "6.200 agent-002 enters #0 (fetching)",
                "6.200 #0 agent-002 joins",
                "11.200 agent-002 fetching→talking",
                "11.200 #0 begins (agent-002 answered)",
                "11.200 #0 queue success call_agent agent-002",
                "71.200 agent-001 exits #0 (talking)",
                "71.200 #0 agent-001 leaves",
                "71.200 agent-001 talking→idle",
                "71.200 agent-002 exits #0 (talking)",
                "71.200 agent-002 talking→idle",
                "71.200 #0 released: agent_hangup",
            ]
        );
    }

    #[test]
    fn a_call_agent_with_no_agent_b_times_out_and_agent_a_hangs_up_alone() {
        let lines = run(ConvType::CallAgent, 1, |b| b.queue_timeout = Some(secs(30)));
        assert_eq!(lines[5], "35.200 #0 queue fail timeout call_agent");
        let rest: Vec<&str> = lines[6..]
            .iter()
            .map(|l| l.split_once(' ').map_or("", |(_, what)| what))
            .collect();
        assert_eq!(
            rest,
            [
                "agent-001 exits #0 (talking)",
                "#0 agent-001 leaves",
                "agent-001 talking→idle",
                "#0 released before begin: agent_hangup",
            ]
        );
    }

    #[test]
    fn a_call_agent_whose_agent_b_does_not_answer_fails_the_task_and_drops_agent_a() {
        let mut e = engine(2, |_, _| {});
        e.plan.events = crate::families::EventFamilies::all();
        e.arrive(ConvType::CallAgent);
        e.conv_mut(0).draws.callee_answers = false;
        assert_eq!(
            e.transcript_all()[9..],
            [
                "56.200 #0 queue fail call_fail call_agent agent-002 (ringing)",
                "56.200 agent-002 exits #0 (fetching)",
                "56.200 #0 agent-002 leaves",
                "56.200 agent-002 fetching→idle",
                "56.200 agent-001 exits #0 (talking)",
                "56.200 agent-001 talking→idle",
                "56.200 #0 released before begin: agent_hangup",
            ]
        );
    }

    #[test]
    fn families_not_asked_for_are_not_produced_and_change_nothing_else() {
        let mut conversation_only = engine(2, |_, _| {});
        conversation_only.arrival(0, ConvType::CallAgent);
        conversation_only.arrival(0, ConvType::Queue);
        let mut all = engine(2, |_, _| {});
        all.arrival(0, ConvType::CallAgent);
        all.arrival(0, ConvType::Queue);
        let with_all: Vec<String> = all
            .transcript_all()
            .into_iter()
            .filter(|l| {
                l.contains(" #")
                    && !l.contains("queue ")
                    && !l.contains(" enters ")
                    && !l.contains(" exits ")
            })
            .collect();
        assert_eq!(conversation_only.transcript(), with_all);
        let mut e = engine(1, |_, _| {});
        e.arrival(0, ConvType::Queue);
        let mut kinds = 0;
        while let Some(o) = e.next_occurrence() {
            assert!(o.conversation().is_some(), "{o:?}");
            kinds += 1;
        }
        assert_eq!(kinds, 6);
    }

    /// Over many seeds of a mixed workload with after-call work, abandons, timeouts and
    /// unanswered phones: each agent's `state_changed` events replay its states from idle
    /// (each `previous` is the last `latest`, and every agent ends idle); each agent enters
    /// a conversation once, exits it once after, and is in at most one at a time; each
    /// queue task is selected at most once, before it ends, and ends exactly once.
    #[test]
    fn agent_states_replay_tasks_end_once_and_enters_pair_with_exits_over_many_seeds() {
        use std::collections::HashMap;

        use crate::agent::{AgentHappeningKind, AgentState, Presence};
        use crate::occurrence::Occurrence;
        use crate::queue_task::QueueStep;
        use crate::units::Rate;

        let mut seen_steps = [0usize; 3];
        let modes = [
            crate::sim::workload::AbandonedTasks::FailAtHangup,
            crate::sim::workload::AbandonedTasks::StayQueued,
        ];
        for (seed, mode) in (1..=40).map(|s| (s, modes[s as usize % 2])) {
            let mut e = engine(6, |b, _| {
                b.wrap_up = Dist::fixed(secs(4));
                b.patience = Some(Dist::fixed(secs(40)));
                b.queue_timeout = Some(secs(90));
                b.agent_answer = p(0.8);
                b.callee_answer = p(0.7);
                b.customer_hangup = p(0.5);
            });
            e.plan.seed = seed;
            e.plan.abandoned_tasks = mode;
            e.plan.events = crate::families::EventFamilies::all();
            e.plan.workload.duration = secs(900);
            e.plan.workload.rates = ConvType::ALL
                .map(|t| (t, Rate::from_per_second(0.04)))
                .to_vec();
            let mut e = super::super::Engine::with_mechanics(e.plan.clone(), e.mech.clone());
            let mut state: HashMap<String, crate::agent::StateName> = HashMap::new();
            let mut inside: HashMap<String, Option<crate::ids::ConversationId>> = HashMap::new();
            let mut entered: HashMap<(String, crate::ids::ConversationId), u32> = HashMap::new();
            let mut tasks: HashMap<crate::ids::QueueId, (u32, u32)> = HashMap::new();
            let mut last = e.plan.start;
            while let Some(o) = e.next_occurrence() {
                assert!(o.at() >= last, "seed {seed}: out of time order");
                last = o.at();
                match o {
                    Occurrence::Conversation(_) => {}
                    Occurrence::Agent(h) => {
                        let name = h.agent.name.to_string();
                        match h.kind {
                            AgentHappeningKind::StateChanged { previous, latest } => {
                                let was = state.insert(name.clone(), latest.clone());
                                assert_eq!(
                                    was.unwrap_or(AgentState::Idle.into()),
                                    previous,
                                    "seed {seed}: {name} at {:?}",
                                    h.at
                                );
                                assert_ne!(previous, latest);
                            }
                            AgentHappeningKind::ConversationChanged {
                                presence,
                                conversation_id,
                                ..
                            } => {
                                let slot = inside.entry(name.clone()).or_default();
                                let n = entered.entry((name.clone(), conversation_id)).or_default();
                                match presence {
                                    Presence::Enter => {
                                        assert_eq!(*slot, None, "seed {seed}: {name} in two");
                                        assert_eq!(*n, 0, "seed {seed}: {name} enters twice");
                                        *slot = Some(conversation_id);
                                        *n = 1;
                                    }
                                    Presence::Exit => {
                                        assert_eq!(*slot, Some(conversation_id), "seed {seed}");
                                        *slot = None;
                                        *n = 2;
                                    }
                                }
                            }
                        }
                    }
                    Occurrence::Queue(h) => {
                        let t = tasks.entry(h.id).or_default();
                        match h.step {
                            QueueStep::Select => {
                                assert_eq!(*t, (0, 0), "seed {seed}: select after select or end");
                                t.0 += 1;
                                seen_steps[0] += 1;
                            }
                            QueueStep::Success => {
                                assert_eq!(*t, (1, 0), "seed {seed}: success without select");
                                t.1 += 1;
                                seen_steps[1] += 1;
                            }
                            QueueStep::Fail(_) => {
                                assert_eq!(t.1, 0, "seed {seed}: a second end");
                                t.1 += 1;
                                seen_steps[2] += 1;
                            }
                        }
                    }
                }
            }
            assert!(
                state.values().all(|s| *s == AgentState::Idle),
                "seed {seed}: {state:?}"
            );
            assert!(inside.values().all(Option::is_none), "seed {seed}");
            assert!(entered.values().all(|n| *n == 2), "seed {seed}");
            assert!(tasks.values().all(|t| t.1 == 1), "seed {seed}");
        }
        assert!(seen_steps.iter().all(|n| *n > 50), "{seen_steps:?}");
    }

    #[test]
    fn in_the_platforms_way_an_abandoned_callers_task_stays_queued_until_it_times_out() {
        use crate::sim::workload::AbandonedTasks;
        let mut e = engine(0, |b, _| {
            b.patience = Some(Dist::fixed(secs(3)));
            b.queue_timeout = Some(secs(30));
        });
        e.plan.abandoned_tasks = AbandonedTasks::StayQueued;
        e.arrival(0, ConvType::Queue);
        assert_eq!(e.transcript_all(), ["30.000 #0 queue fail timeout ivr"]);
    }

    #[test]
    fn in_the_platforms_way_an_abandoned_callers_task_fails_with_error_when_an_agent_frees() {
        use crate::sim::workload::AbandonedTasks;
        // One agent busy with #0 until 66 s; #1 waits from 1 s and hangs up at 41 s.
        let mut e = engine(1, |b, _| {
            b.patience = Some(Dist::fixed(secs(40)));
            b.queue_timeout = Some(secs(600));
        });
        e.plan.abandoned_tasks = AbandonedTasks::StayQueued;
        e.arrival(0, ConvType::Queue);
        e.arrival(1_000, ConvType::Queue);
        let lines = e.transcript_all();
        let of_1: Vec<&str> = lines
            .iter()
            .filter(|l| l.contains("#1 "))
            .map(String::as_str)
            .collect();
        assert_eq!(of_1, ["66.000 #1 queue fail error ivr"], "{lines:#?}");
        assert_eq!(
            lines
                .iter()
                .rfind(|l| l.contains("agent-001 "))
                .map(String::as_str),
            Some("66.000 agent-001 talking→idle"),
            "the agent stays free, unannounced: {lines:#?}"
        );
        // Documented: the task fails at the hang-up.
        let mut e = engine(1, |b, _| {
            b.patience = Some(Dist::fixed(secs(40)));
            b.queue_timeout = Some(secs(600));
        });
        e.arrival(0, ConvType::Queue);
        e.arrival(1_000, ConvType::Queue);
        let lines = e.transcript_all();
        assert!(
            lines.contains(&"41.000 #1 queue fail hangup ivr".to_owned()),
            "{lines:#?}"
        );
    }
}
