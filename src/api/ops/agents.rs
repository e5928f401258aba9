//! `callcenter/agent`: login, logout, keepalive, get one, list, set extension, set state,
//! set skills.

use std::sync::{Arc, Mutex};

use axum::response::Response;
use serde_json::Value;

use super::call::Call;
use super::fields::{Fields, bad};
use super::rules;
use crate::operation::{Answer, Login, Operation, Refusal, Skill};

/// Skill scores accepted (a Java `int`).
const SCORE: std::ops::RangeInclusive<i64> = i32::MIN as i64..=i32::MAX as i64;

/// `POST agent`: `{name, num?, state?, skills?, extension}`.
pub(super) async fn login(call: Call) -> Response {
    call.run(|call| {
        let mut body = call.body(&["name", "num", "state", "skills", "extension"])?;
        let name = rules::agent_name("name", &body.text("name")?)?;
        let num = body.opt_text("num")?;
        if let Some(num) = &num
            && (num.chars().count() > 32 || !num.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(bad(format!("num: \"{num}\" is not 1 to 32 digits")));
        }
        let state = body
            .opt_text("state")?
            .map(|s| rules::state(call.state_rule(), "state", &s, true))
            .transpose()?;
        let skills = match body.opt_array("skills")? {
            Some(items) => login_skills(items)?,
            None => Vec::new(),
        };
        let extension = rules::hex32("extension", &body.text("extension")?)?;
        Ok(Operation::Login(Login {
            name,
            num: num.map(Arc::from),
            state,
            skills,
            extension,
        }))
    })
    .await
}

/// A login's `skills`: `[{name, score?, enabled?}]` (score 0 and enabled by default), no
/// name twice.
fn login_skills(items: Vec<Value>) -> Result<Vec<Skill>, Refusal> {
    let mut skills: Vec<Skill> = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let at = format!("skills[{i}]");
        let mut fields =
            Fields::object(item, format!("{at}."), &["name", "score", "enabled"], &at)?;
        let name: Arc<str> = fields.text("name")?.into();
        if skills.iter().any(|s| s.name == name) {
            return Err(bad(format!("{at}.name: \"{name}\" given twice")));
        }
        skills.push(Skill {
            name,
            score: fields.opt_int("score", SCORE)?.unwrap_or(0),
            enabled: fields.opt_bool("enabled")?.unwrap_or(true),
        });
    }
    Ok(skills)
}

/// `DELETE agent/{name}?force=`.
pub(super) async fn logout(call: Call) -> Response {
    call.run(|call| {
        let query = call.query(&["force"])?;
        Ok(Operation::Logout {
            agent: call.agent()?,
            force: rules::flag(&query, "force")?,
        })
    })
    .await
}

/// `GET agent/{name}/keepalive`.
pub(super) async fn keepalive(call: Call) -> Response {
    call.run(|call| {
        call.query(&[])?;
        Ok(Operation::Keepalive {
            agent: call.agent()?,
        })
    })
    .await
}

/// `GET agent/{name}`.
pub(super) async fn get_one(call: Call) -> Response {
    call.run(|call| {
        call.query(&[])?;
        Ok(Operation::GetAgent {
            agent: call.agent()?,
        })
    })
    .await
}

/// `GET agent?pageNo=&pageSize=`.
pub(super) async fn list(call: Call) -> Response {
    call.run(|call| {
        let query = call.query(&["pageNo", "pageSize"])?;
        Ok(Operation::ListAgents(rules::page(&query)?))
    })
    .await
}

/// `POST agent/{name}/extension`: `{id}`.
pub(super) async fn set_extension(call: Call) -> Response {
    call.run(|call| {
        let agent = call.agent()?;
        let mut body = call.body(&["id"])?;
        Ok(Operation::SetExtension {
            agent,
            extension: rules::hex32("id", &body.text("id")?)?,
        })
    })
    .await
}

/// `POST agent/{name}/state`: `{state}`.
pub(super) async fn set_state(call: Call) -> Response {
    call.run(|call| {
        let agent = call.agent()?;
        let mut body = call.body(&["state"])?;
        let state = rules::state(call.state_rule(), "state", &body.text("state")?, false)?;
        Ok(Operation::SetState { agent, state })
    })
    .await
}

/// One skill operation of `POST agent/{name}/skills`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SkillOp {
    /// `{opt: 0}`: remove every skill.
    Clear,
    /// `{opt: 1, name, score?, enabled?}`: add or change; what is not given stays (a new
    /// skill: score 0, disabled).
    Upsert {
        name: Arc<str>,
        score: Option<i64>,
        enabled: Option<bool>,
    },
    /// `{opt: 2, name}`: remove one.
    Remove(Arc<str>),
}

/// `{"opts": […]}`.
fn skill_ops(mut body: Fields) -> Result<Vec<SkillOp>, Refusal> {
    let items = body.array("opts")?;
    if items.is_empty() {
        return Err(bad("opts: empty"));
    }
    let mut ops = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let at = format!("opts[{i}]");
        let mut fields = Fields::object(
            item,
            format!("{at}."),
            &["opt", "name", "score", "enabled"],
            &at,
        )?;
        // With opt 0 the other fields mean nothing (they are checked, then ignored).
        let op = match fields.int("opt", 0..=2)? {
            0 => {
                fields.opt_any_text("name")?;
                fields.opt_int("score", SCORE)?;
                fields.opt_bool("enabled")?;
                SkillOp::Clear
            }
            1 => SkillOp::Upsert {
                name: fields.text("name")?.into(),
                score: fields.opt_int("score", SCORE)?,
                enabled: fields.opt_bool("enabled")?,
            },
            _ => SkillOp::Remove(fields.text("name")?.into()),
        };
        ops.push(op);
    }
    Ok(ops)
}

/// `skills` after `ops`, in order.
fn apply(mut skills: Vec<Skill>, ops: &[SkillOp]) -> Vec<Skill> {
    for op in ops {
        match op {
            SkillOp::Clear => skills.clear(),
            SkillOp::Remove(name) => skills.retain(|s| &s.name != name),
            SkillOp::Upsert {
                name,
                score,
                enabled,
            } => match skills.iter_mut().find(|s| &s.name == name) {
                Some(skill) => {
                    skill.score = score.unwrap_or(skill.score);
                    skill.enabled = enabled.unwrap_or(skill.enabled);
                }
                None => skills.push(Skill {
                    name: name.clone(),
                    score: score.unwrap_or(0),
                    enabled: enabled.unwrap_or(false),
                }),
            },
        }
    }
    skills
}

/// One skill edit at a time: an edit reads the agent's skills and writes them back.
static SKILL_EDITS: Mutex<()> = Mutex::new(());

/// `POST agent/{name}/skills`: `{"opts": [{opt, name, score, enabled}]}`, applied in order
/// to the agent's skills, which then replace them (`Operation::SetSkills`).
pub(super) async fn set_skills(call: Call) -> Response {
    let parsed = (|| {
        let agent = call.agent()?;
        let ops = skill_ops(call.body(&["opts"])?)?;
        Ok::<_, Refusal>((agent, ops))
    })();
    let (agent, ops) = match parsed {
        Ok(parsed) => parsed,
        Err(refusal) => return super::answer::refusal(&refusal),
    };
    call.operate(move |platform| {
        let _one_at_a_time = SKILL_EDITS.lock().unwrap_or_else(|e| e.into_inner());
        let current = match platform.operate(Operation::GetAgent {
            agent: agent.clone(),
        })? {
            Answer::Agent(view) => view.skills,
            _ => Vec::new(),
        };
        let skills = apply(current, &ops);
        platform.operate(Operation::SetSkills { agent, skills })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(name: &str, score: i64, enabled: bool) -> Skill {
        Skill {
            name: name.into(),
            score,
            enabled,
        }
    }

    fn ops(json: &str) -> Result<Vec<SkillOp>, Refusal> {
        skill_ops(Fields::parse(json.as_bytes(), &["opts"])?)
    }

    #[test]
    fn the_docs_skill_examples() {
        let start = vec![skill("投诉", 80, true), skill("洗衣机", 50, true)];
        let o = ops(r#"{"opts":[{"opt":1,"name":"投诉","score":95,"enabled":true},{"opt":2,"name":"洗衣机"}]}"#).unwrap();
        assert_eq!(apply(start.clone(), &o), [skill("投诉", 95, true)]);
        let o = ops(r#"{"opts":[{"opt":0}]}"#).unwrap();
        assert_eq!(apply(start.clone(), &o), []);
        let o = ops(r#"{"opts":[{"opt":1,"name":"投诉","enabled":false}]}"#).unwrap();
        assert_eq!(
            apply(start.clone(), &o),
            [skill("投诉", 80, false), skill("洗衣机", 50, true)]
        );
        let o = ops(r#"{"opts":[{"opt":0},{"opt":1,"name":"投诉","score":60,"enabled":true}]}"#)
            .unwrap();
        assert_eq!(apply(start, &o), [skill("投诉", 60, true)]);
        // A new skill given without score or enabled: 0 and disabled, as documented.
        let o = ops(r#"{"opts":[{"opt":1,"name":"新"}]}"#).unwrap();
        assert_eq!(apply(Vec::new(), &o), [skill("新", 0, false)]);
    }

    #[test]
    fn bad_skill_operations_name_the_field() {
        let detail = |json: &str| ops(json).unwrap_err().detail;
        assert_eq!(
            detail(r#"{"opts":[{"opt":3}]}"#),
            "opts[0].opt: 3 is not from 0 to 2"
        );
        assert_eq!(detail(r#"{"opts":[{"opt":1}]}"#), "opts[0].name: missing");
        assert_eq!(
            detail(r#"{"opts":[{"opt":1,"name":"a","score":"9"}]}"#),
            "opts[0].score: expected a whole number, got a string"
        );
        assert_eq!(
            detail(r#"{"opts":[{"opt":2,"name":"a","x":1}]}"#),
            "unknown field \"opts[0].x\""
        );
        assert_eq!(detail(r#"{"opts":[]}"#), "opts: empty");
        assert_eq!(
            detail(r#"{"opts":[1]}"#),
            "opts[0]: expected a JSON object, got a number"
        );
    }
}
