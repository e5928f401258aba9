//! Agents as the platform API manages them: login, logout, keepalive (a registration lapses after 24 h of simulated time), state, skills and extension, and what the API shows of them.
//!
//! None of these operations sends a webhook of its own (the platform sends none for a
//! login, a logout or a state set through the API); a state set to `idle` runs the ACD at
//! once, so a waiting caller may take the agent (`idle → fetching`, announced as usual), and
//! a forced logout hangs up the agent's call first, with that call's usual events.
//!
//! Registration: a login or a keepalive registers the agent for 24 hours of simulated time.
//! Once that lapses, every operation on the agent is refused with `040204` and the ACD
//! never selects it, except two: a keepalive, which registers it again from now (as a
//! phone re-registering brings it back online), and a logout, so a lapsed name can be
//! freed. The scenario's own agents stay registered for good (their simulated phones keep
//! themselves registered), so generated runs of any length behave as before.

use std::sync::Arc;

use crate::agent::{AgentState, StateName};
use crate::operation::{AgentView, Answer, Code, Login, Operation, Refusal};
use crate::sim::agents::directory::page_of;
use crate::sim::agents::{AgentIdx, NewAgent};

use super::super::Engine;
use super::super::conv::Role;
use super::directory::no_such_extension;

impl Engine {
    /// Carries out one of this part's operations.
    pub(super) fn agent_op(&mut self, op: Operation) -> Result<Answer, Refusal> {
        let now = self.now;
        match op {
            Operation::Login(login) => self.login(login),
            Operation::Logout { agent, force } => self.logout(&agent, force),
            Operation::Keepalive { agent } => {
                let idx = self.known_agent(&agent)?;
                self.pool.keepalive(idx, now);
                Ok(Answer::Null)
            }
            Operation::GetAgent { agent } => {
                let idx = self.operable_agent(&agent)?;
                Ok(Answer::Agent(self.agent_view(idx)))
            }
            Operation::ListAgents(page) => {
                let agents: Vec<AgentIdx> = self.pool.logged_in().collect();
                let total = agents.len();
                Ok(Answer::Agents(page_of(
                    agents.into_iter().map(|idx| self.agent_view(idx)),
                    total,
                    page,
                )))
            }
            Operation::SetExtension { agent, extension } => {
                let idx = self.operable_agent(&agent)?;
                let (id, sip_user) = self.free_extension(&extension, Some(idx))?;
                self.pool.set_extension(idx, id, sip_user);
                Ok(Answer::Null)
            }
            Operation::SetState { agent, state } => self.set_state(&agent, &state),
            Operation::SetSkills { agent, skills } => {
                let idx = self.operable_agent(&agent)?;
                self.pool.set_skills(idx, skills);
                Ok(Answer::Null)
            }
            Operation::AgentConversations { agent } => {
                let idx = self.operable_agent(&agent)?;
                Ok(Answer::Conversations(
                    self.conversation_of(idx).into_iter().collect(),
                ))
            }
            other => Err(Refusal::new(
                Code::BadParameter,
                format!("not an agent operation: {other:?}"),
            )),
        }
    }

    /// The logged-in agent called `name`, if it can be operated on now: `040202` if there
    /// is none, `040204` if its registration lapsed (no login or keepalive for 24 h).
    pub(in crate::sim::engine) fn operable_agent(&self, name: &str) -> Result<AgentIdx, Refusal> {
        let idx = self.known_agent(name)?;
        if !self.pool.get(idx).registered(self.now) {
            return Err(Refusal::new(
                Code::AgentExpired,
                format!("agent {name:?}: no login or keepalive for 24 hours"),
            ));
        }
        Ok(idx)
    }

    /// The logged-in agent called `name`, registered or not: `040202` if there is none.
    fn known_agent(&self, name: &str) -> Result<AgentIdx, Refusal> {
        self.pool.find(name).ok_or_else(|| {
            Refusal::new(
                Code::NoSuchAgent,
                format!("agent {name:?} is not logged in"),
            )
        })
    }

    /// Extension `id` and its SIP user, if it exists (`040103`) and no logged-in agent but
    /// `me` is bound to it (`040104`).
    fn free_extension(
        &self,
        id: &str,
        me: Option<AgentIdx>,
    ) -> Result<(crate::ids::ExtensionId, Arc<str>), Refusal> {
        let (ext, view) = self
            .directory
            .extension(id)
            .ok_or_else(|| no_such_extension(id))?;
        if let Some(other) = self.pool.bound_to(ext)
            && Some(other) != me
        {
            return Err(Refusal::new(
                Code::ExtensionUnavailable,
                format!(
                    "extension {id:?} is bound to agent {:?}",
                    self.pool.get(other).name()
                ),
            ));
        }
        let sip_user = view
            .user
            .clone()
            .or_else(|| view.telnum.clone())
            .unwrap_or_else(|| view.id.clone());
        Ok((ext, sip_user))
    }

    /// `POST callcenter/agent`.
    fn login(&mut self, login: Login) -> Result<Answer, Refusal> {
        if self.pool.find(&login.name).is_some() {
            return Err(Refusal::new(
                Code::BadParameter,
                format!("name: agent {:?} is already logged in", login.name),
            ));
        }
        let (extension_id, sip_user) = self.free_extension(&login.extension, None)?;
        let state = match login.state.as_deref() {
            None => AgentState::Online.into(),
            Some(s) => StateName::parse(s).ok_or_else(|| {
                Refusal::new(Code::BadParameter, format!("state: {s:?} is not a state"))
            })?,
        };
        let idle = state == AgentState::Idle;
        self.pool.login(
            NewAgent {
                name: login.name,
                num: login.num,
                state,
                skills: login.skills,
                extension_id,
                sip_user,
            },
            self.now,
        );
        if idle {
            self.acd_dispatch();
        }
        Ok(Answer::Null)
    }

    /// `DELETE callcenter/agent/{name}`: refused while its phone rings or it talks, unless
    /// `force`, which hangs its call up first.
    fn logout(&mut self, name: &str, force: bool) -> Result<Answer, Refusal> {
        let idx = self.known_agent(name)?;
        let state = self.pool.get(idx).state;
        if matches!(state, AgentState::Fetching | AgentState::Talking) {
            if !force {
                return Err(Refusal::new(
                    Code::AgentBusy,
                    format!("agent {name:?} is {state} (force=true hangs its call up first)"),
                ));
            }
            // Out of the ACD first, so the release cannot hand it a waiting caller.
            self.pool.reserve(idx);
            if let Some((key, p)) = self.live_party(idx) {
                self.hangup(key, p);
            }
        }
        self.pool.logout(idx, self.now);
        Ok(Answer::Null)
    }

    /// `POST callcenter/agent/{name}/state`: refused while its phone rings or it talks; no
    /// event; `idle` runs the ACD.
    fn set_state(&mut self, name: &str, state: &str) -> Result<Answer, Refusal> {
        let idx = self.operable_agent(name)?;
        let current = self.pool.get(idx).state;
        if matches!(current, AgentState::Fetching | AgentState::Talking) {
            return Err(Refusal::new(
                Code::AgentBusy,
                format!(
                    "agent {name:?} is {}: its state cannot be set",
                    self.pool.get(idx).state_name()
                ),
            ));
        }
        let state = StateName::parse(state).ok_or_else(|| {
            Refusal::new(
                Code::BadParameter,
                format!("state: {state:?} is not a state"),
            )
        })?;
        let idle = state == AgentState::Idle;
        self.pool.set_state(idx, state, self.now);
        if idle {
            self.acd_dispatch();
        }
        Ok(Answer::Null)
    }

    /// The conversation and party of agent `idx`'s live call, if it has one.
    fn live_party(&self, idx: AgentIdx) -> Option<(u64, usize)> {
        self.convs.iter().find_map(|(&key, conv)| {
            conv.parties
                .iter()
                .position(|p| p.role == Role::Agent(idx) && !p.left)
                .map(|p| (key, p))
        })
    }

    /// The id of the conversation agent `idx` is in (entered and not left), if any.
    fn conversation_of(&self, idx: AgentIdx) -> Option<Arc<str>> {
        self.convs.values().find_map(|conv| {
            conv.parties
                .iter()
                .any(|p| p.role == Role::Agent(idx) && p.joined && !p.left)
                .then(|| conv.id.as_str().into())
        })
    }

    /// Agent `idx` as the API shows it.
    fn agent_view(&self, idx: AgentIdx) -> AgentView {
        let agent = self.pool.get(idx);
        AgentView {
            name: agent.name().clone(),
            num: agent.num().cloned(),
            state: Some(agent.state_name().as_str().into()),
            extension: Some(agent.extension_id().as_str().into()),
            skills: agent.skills().to_vec(),
            conversation: self.conversation_of(idx),
        }
    }
}

#[cfg(test)]
mod tests;
