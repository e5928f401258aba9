//! A plan split into shards (`--shard K/N`, `docs/scale-out.md`): shard K of N keeps 1/N
//! of every arrival rate and ramp stage, a disjoint block of the agents, and the scripted
//! conversations dealt to it round-robin, each with the agents it names. The union over K
//! of the N shards is the whole plan: every agent and every scripted conversation in
//! exactly one shard, the rates adding up to the whole.

use std::collections::HashMap;
use std::sync::Arc;

use crate::conversation::ConvType;
use crate::shard::Shard;
use crate::sim::workload::SimPlan;
use crate::units::Rate;

impl SimPlan {
    /// Shard `shard` of this plan. The whole run (`0/1`) is the plan itself. An error when
    /// the shard would have no agent for its generated arrivals.
    pub fn partition(mut self, shard: Shard) -> Result<SimPlan, String> {
        self.shard = shard;
        if shard.is_whole() {
            return Ok(self);
        }
        let n = f64::from(shard.count);
        let split = |rates: &mut Vec<(ConvType, Rate)>| {
            for (_, rate) in rates.iter_mut() {
                *rate = Rate::from_per_second(rate.per_second() / n);
            }
        };
        split(&mut self.workload.rates);
        for stage in &mut self.workload.ramp {
            split(&mut stage.rates);
        }

        let group_of = script_groups(&self.scripted);
        let mine = |c: usize| group_of[c] % shard.count as usize == shard.index as usize;
        // Agents named by any script go with their script's shard; the others are split in
        // blocks.
        let mut scripted_owner: HashMap<&str, bool> = HashMap::new();
        for (c, conv) in self.scripted.iter().enumerate() {
            for name in conv.agent_names() {
                scripted_owner.insert(name, mine(c));
            }
        }
        let numbered: Vec<(usize, &Arc<str>)> = self
            .agents
            .iter()
            .enumerate()
            .map(|(at, name)| (self.agent_numbers.get(at).copied().unwrap_or(at), name))
            .collect();
        let free: Vec<&(usize, &Arc<str>)> = numbered
            .iter()
            .filter(|(_, name)| !scripted_owner.contains_key(&***name))
            .collect();
        let block = shard.block(free.len());
        let generates = !self.workload.types().is_empty();
        if generates && block.is_empty() {
            return Err(format!(
                "shard {shard}: the {} agents free for generated arrivals cannot give each of \
                 {} shards one: use at most {} shards, or more agents",
                free.len(),
                shard.count,
                free.len()
            ));
        }
        let kept: Vec<(usize, Arc<str>)> = numbered
            .iter()
            .enumerate()
            .filter(|(_, (_, name))| match scripted_owner.get(&***name) {
                Some(&owned) => owned,
                None => false,
            })
            .map(|(_, (number, name))| (*number, Arc::clone(name)))
            .chain(
                free[block]
                    .iter()
                    .map(|(number, name)| (*number, Arc::clone(name))),
            )
            .collect();
        let mut kept = kept;
        kept.sort_by_key(|(number, _)| *number);
        self.agent_numbers = kept.iter().map(|(number, _)| *number).collect();
        self.agents = kept.into_iter().map(|(_, name)| name).collect();

        let scripted = std::mem::take(&mut self.scripted);
        self.scripted = scripted
            .into_iter()
            .enumerate()
            .filter(|(c, _)| mine(*c))
            .map(|(_, conv)| conv)
            .collect();
        Ok(self)
    }
}

/// The round-robin position of each scripted conversation: conversations that name a
/// common agent (directly or through others) are one group, numbered in the order of their
/// first conversation; a conversation that shares no agent is a group of its own, so
/// without shared agents conversation i is group i.
fn script_groups(scripted: &[crate::sim::script::ScriptedConversation]) -> Vec<usize> {
    // Union-find over conversations, joined through the first conversation naming each agent.
    let mut parent: Vec<usize> = (0..scripted.len()).collect();
    fn root(parent: &mut [usize], mut c: usize) -> usize {
        while parent[c] != c {
            parent[c] = parent[parent[c]];
            c = parent[c];
        }
        c
    }
    let mut first_naming: HashMap<&str, usize> = HashMap::new();
    for (c, conv) in scripted.iter().enumerate() {
        for name in conv.agent_names() {
            let other = *first_naming.entry(name).or_insert(c);
            let (a, b) = (root(&mut parent, c), root(&mut parent, other));
            // The earlier conversation stays the root, so a group is named by its first.
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut number: HashMap<usize, usize> = HashMap::new();
    (0..scripted.len())
        .map(|c| {
            let r = root(&mut parent, c);
            let next = number.len();
            *number.entry(r).or_insert(next)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::conversation::HappeningKind;
    use crate::sim::agents::AgentPool;
    use crate::sim::script::{ScriptAction, ScriptStep, ScriptedConversation};
    use crate::sim::workload::{Behaviour, DEFAULT_MAX_LIVE, Mechanics, RateStage, Workload};
    use crate::time::SimTime;
    use crate::units::Span;

    fn script(label: &str, agents: &[&str]) -> ScriptedConversation {
        let steps = agents
            .iter()
            .map(|a| ScriptStep {
                at: SimTime::from_millis(1_000),
                action: ScriptAction::Select(Arc::from(*a)),
                call_id: None,
            })
            .collect();
        ScriptedConversation {
            condition_id: None,
            reserve_state: None,
            label: Arc::from(label),
            kind: ConvType::Queue,
            id: None,
            queue_id: None,
            record_file: None,
            subaccount_id: None,
            user_data: None,
            customer: None,
            agent: None,
            callee: None,
            callee_call_id: None,
            end_reason: None,
            steps,
            exact: false,
        }
    }

    fn plan(agents: usize, scripted: Vec<ScriptedConversation>) -> SimPlan {
        SimPlan {
            seed: 9,
            start: SimTime::from_millis(1_700_000_000_000),
            agents: AgentPool::default_names(agents),
            agent_numbers: Vec::new(),
            shard: Shard::WHOLE,
            subaccount_id: None,
            workload: Workload {
                duration: Span::from_millis(60_000),
                rates: vec![
                    (ConvType::Queue, Rate::from_per_second(8.0)),
                    (ConvType::CallOut, Rate::from_per_second(2.0)),
                ],
                ramp: vec![RateStage {
                    length: Span::from_millis(10_000),
                    rates: vec![(ConvType::Queue, Rate::from_per_second(4.0))],
                }],
                behaviour: Behaviour::default(),
            },
            scripted,
            mechanics: Mechanics::default(),
            max_live: DEFAULT_MAX_LIVE,
            events: crate::families::EventFamilies::default(),
            abandoned_tasks: crate::sim::workload::AbandonedTasks::default(),
        }
    }

    fn shards(plan: &SimPlan, count: u32) -> Vec<SimPlan> {
        (0..count)
            .map(|k| {
                plan.clone()
                    .partition(Shard::new(k, count).unwrap())
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn the_whole_run_is_the_plan_itself() {
        let p = plan(10, vec![script("a", &["agent-001"])]);
        let whole = p.clone().partition(Shard::WHOLE).unwrap();
        assert_eq!(whole.agents, p.agents);
        assert!(whole.agent_numbers.is_empty());
        assert_eq!(whole.workload.rates[0].1, p.workload.rates[0].1);
        assert_eq!(whole.scripted.len(), 1);
    }

    #[test]
    fn each_shard_takes_a_quarter_of_every_rate_and_ramp_stage() {
        let parts = shards(&plan(40, Vec::new()), 4);
        for p in &parts {
            assert_eq!(p.workload.rates[0].1.per_second(), 2.0);
            assert_eq!(p.workload.rates[1].1.per_second(), 0.5);
            assert_eq!(p.workload.ramp[0].rates[0].1.per_second(), 1.0);
            assert_eq!(p.workload.ramp[0].length, Span::from_millis(10_000));
            assert_eq!(p.workload.duration, Span::from_millis(60_000));
        }
        let total: f64 = parts
            .iter()
            .map(|p| p.workload.rates[0].1.per_second())
            .sum();
        assert_eq!(total, 8.0);
    }

    #[test]
    fn the_agents_are_split_into_disjoint_blocks_that_keep_their_numbers() {
        let whole = plan(10, Vec::new());
        let parts = shards(&whole, 4);
        let mut seen = HashSet::new();
        for p in &parts {
            assert!(p.agents.len() == 2 || p.agents.len() == 3, "{:?}", p.agents);
            for (name, number) in p.agents.iter().zip(&p.agent_numbers) {
                // The name is the unsplit pool's name for that number.
                assert_eq!(name, &whole.agents[*number]);
                assert!(seen.insert(name.clone()), "{name} in two shards");
            }
        }
        assert_eq!(seen.len(), 10, "every agent in some shard");
        assert_eq!(&*parts[0].agents[0], "agent-001");
        assert_eq!(&*parts[3].agents[0], "agent-008");
    }

    #[test]
    fn a_shard_without_an_agent_for_its_arrivals_is_refused() {
        let err = plan(3, Vec::new())
            .partition(Shard::new(0, 4).unwrap())
            .unwrap_err();
        assert!(err.contains("use at most 3 shards"), "{err}");
        // Scripts alone need no free agent.
        let mut scripted = plan(1, vec![script("a", &["agent-001"])]);
        scripted.workload.rates.clear();
        scripted.workload.ramp.clear();
        assert!(scripted.partition(Shard::new(3, 4).unwrap()).is_ok());
    }

    #[test]
    fn scripted_conversations_are_dealt_round_robin_with_their_agents() {
        let names = [
            "agent-001",
            "agent-002",
            "agent-003",
            "agent-004",
            "agent-005",
        ];
        let scripts: Vec<ScriptedConversation> = (0..5)
            .map(|i| script(&format!("c{i}"), &[names[i]]))
            .collect();
        let parts = shards(&plan(20, scripts), 2);
        let labels = |p: &SimPlan| {
            p.scripted
                .iter()
                .map(|c| c.label.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(labels(&parts[0]), ["c0", "c2", "c4"]);
        assert_eq!(labels(&parts[1]), ["c1", "c3"]);
        for p in &parts {
            for c in &p.scripted {
                for name in c.agent_names() {
                    assert!(p.agents.iter().any(|a| &**a == name), "{name} left behind");
                }
            }
        }
        // The scripts' agents are in no other shard.
        assert!(!parts[1].agents.iter().any(|a| &**a == "agent-001"));
        // The 15 free agents are split 7 + 8.
        let free = |p: &SimPlan| p.agents.len() - p.scripted.len();
        assert_eq!((free(&parts[0]), free(&parts[1])), (7, 8));
    }

    #[test]
    fn conversations_that_share_an_agent_are_dealt_as_one() {
        let scripts = vec![
            script("c0", &["agent-001"]),
            script("c1", &["agent-002"]),
            script("c2", &["agent-001", "agent-003"]),
            script("c3", &["agent-004"]),
            script("c4", &["agent-003"]),
        ];
        // Groups: {c0, c2, c4} → 0, {c1} → 1, {c3} → 2.
        let parts = shards(&plan(10, scripts), 2);
        let labels = |p: &SimPlan| {
            p.scripted
                .iter()
                .map(|c| c.label.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(labels(&parts[0]), ["c0", "c2", "c3", "c4"]);
        assert_eq!(labels(&parts[1]), ["c1"]);
        assert!(parts[0].agents.iter().any(|a| &**a == "agent-003"));
        assert!(!parts[1].agents.iter().any(|a| &**a == "agent-003"));
    }

    #[test]
    fn shards_generate_disjoint_ids_and_agents() {
        // Every id a shard's engine makes (conversation, queue task, recording, call) and
        // every agent extension, SIP user and name it shows, against the other shards'.
        let whole = plan(8, Vec::new());
        let mut owner: HashMap<String, usize> = HashMap::new();
        let mut claim = |key: String, k: usize| {
            let first = *owner.entry(key.clone()).or_insert(k);
            assert_eq!(first, k, "{key} in shards {first} and {k}");
        };
        for (k, p) in shards(&whole, 4).into_iter().enumerate() {
            let mut engine = crate::sim::engine::Engine::new(p);
            let mut joined = 0;
            while let Some(h) = engine.next_happening() {
                let c = &h.conv;
                claim(format!("conv {}", c.id), k);
                claim(format!("record {}", c.record_file), k);
                claim(format!("call {}", c.initiator_call), k);
                if let Some(q) = c.queue_id {
                    claim(format!("queue {q}"), k);
                }
                if let HappeningKind::Joined(m) = &h.kind {
                    joined += 1;
                    claim(format!("call {}", m.call_id), k);
                    if let (Some(name), Some(ext)) = (&m.agent_name, m.extension_id) {
                        claim(format!("agent {name}"), k);
                        claim(format!("extension {ext}"), k);
                        claim(format!("sip {}", m.telnumber), k);
                    }
                }
            }
            assert!(joined > 0, "shard {k} generated nothing");
        }
        assert!(owner.keys().any(|k| k.starts_with("extension")));
    }
}
