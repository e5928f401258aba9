//! `docs/lifecycles.md` shows, for each lifecycle and failure path, every event of all three
//! families each profile sends, in order: this test produces those tables from the real
//! engine and event builder and fails if the document differs (`CCSIM_BLESS=1 cargo test
//! --locked lifecycle_doc` rewrites them). Timings are fixed (agents ring 5 s, callees 10 s,
//! talks last 60 s, conferences start 0.2 s after creation, an agent's phone rings 1 s after
//! it is selected, a callee's 3 s after it is dialled); times are seconds from the start (the callers arrive together, a microsecond after it).

use ccsim::agent::{AgentHappeningKind, Presence};
use ccsim::conversation::{ConvType, HappeningKind};
use ccsim::event::EventBuilder;
use ccsim::event::profile::{Profile, ProfileName};
use ccsim::families::EventFamilies;
use ccsim::occurrence::Occurrence;
use ccsim::queue_task::QueueStep;
use ccsim::sim::agents::AgentPool;
use ccsim::sim::dist::Dist;
use ccsim::sim::engine::Engine;
use ccsim::sim::workload::{Behaviour, Mechanics, SimPlan, Workload};
use ccsim::time::SimTime;
use ccsim::units::{Probability, Rate, Span};

const DOC: &str = "docs/lifecycles.md";
const BEGIN: &str = "<!-- sequences: begin -->";
const END: &str = "<!-- sequences: end -->";

fn p(x: f64) -> Probability {
    Probability::new(x).expect("probability")
}

fn secs(s: u64) -> Span {
    Span::from_millis(s * 1000)
}

/// One path: a heading, the conversation type, how many agents and callers, and the
/// behaviour that forces it.
struct Path {
    title: &'static str,
    kind: ConvType,
    agents: usize,
    callers: usize,
    tweak: fn(&mut Behaviour),
}

fn paths() -> Vec<Path> {
    let path = |title, kind, agents, callers, tweak: fn(&mut Behaviour)| Path {
        title,
        kind,
        agents,
        callers,
        tweak,
    };
    vec![
        path(
            "`queue`: answered, the customer hangs up",
            ConvType::Queue,
            1,
            1,
            |_| {},
        ),
        path("`queue`: the agent hangs up", ConvType::Queue, 1, 1, |b| {
            b.customer_hangup = p(0.0);
        }),
        path(
            "`queue`: after-call work (10 s)",
            ConvType::Queue,
            1,
            1,
            |b| {
                b.wrap_up = Dist::fixed(secs(10));
            },
        ),
        path(
            "`queue`: the selected agent does not answer",
            ConvType::Queue,
            1,
            1,
            |b| {
                b.agent_answer = p(0.0);
            },
        ),
        path(
            "`queue`: the caller hangs up while the agent's phone rings",
            ConvType::Queue,
            1,
            1,
            |b| {
                b.patience = Some(Dist::fixed(secs(3)));
            },
        ),
        path(
            "`queue`: no agent free before the queue timeout (30 s)",
            ConvType::Queue,
            0,
            1,
            |b| {
                b.queue_timeout = Some(secs(30));
            },
        ),
        path(
            "`queue`: a second caller gives up waiting (after 40 s) while the only agent talks",
            ConvType::Queue,
            1,
            2,
            |b| {
                b.patience = Some(Dist::fixed(secs(40)));
                b.queue_timeout = Some(secs(600));
            },
        ),
        path(
            "`call_out`: answered, the callee hangs up",
            ConvType::CallOut,
            1,
            1,
            |_| {},
        ),
        path(
            "`call_out`: the agent does not pick up its own call",
            ConvType::CallOut,
            1,
            1,
            |b| {
                b.agent_answer = p(0.0);
            },
        ),
        path(
            "`call_out`: the callee does not answer",
            ConvType::CallOut,
            1,
            1,
            |b| {
                b.callee_answer = p(0.0);
            },
        ),
        path(
            "`call_agent`: agent B answers, agent A hangs up",
            ConvType::CallAgent,
            2,
            1,
            |_| {},
        ),
        path(
            "`call_agent`: no agent B free before the queue timeout (30 s)",
            ConvType::CallAgent,
            1,
            1,
            |b| {
                b.queue_timeout = Some(secs(30));
            },
        ),
    ]
}

/// The engine's plan for `path` under `profile`: every family, fixed timings, the callers
/// arriving together at the start (one more arrival would be turned away: `max_live`).
fn plan(path: &Path, profile: &Profile) -> SimPlan {
    let mut behaviour = Behaviour {
        handle_time: Dist::fixed(secs(60)),
        patience: None,
        queue_timeout: None,
        agent_ring: Dist::fixed(secs(5)),
        agent_answer: p(1.0),
        fetch_timeout: secs(50),
        callee_ring: Dist::fixed(secs(10)),
        callee_answer: p(1.0),
        dial_timeout: secs(45),
        customer_hangup: p(1.0),
        wrap_up: Dist::fixed(Span::ZERO),
        user_data: p(0.0),
    };
    (path.tweak)(&mut behaviour);
    SimPlan {
        seed: 3,
        start: SimTime::from_millis(1_700_000_000_000),
        agents: AgentPool::default_names(path.agents),
        agent_numbers: Vec::new(),
        shard: ccsim::shard::Shard::WHOLE,
        subaccount_id: None,
        workload: Workload {
            duration: Span::from_millis(1),
            rates: vec![(path.kind, Rate::from_per_second(1_000_000.0))],
            ramp: Vec::new(),
            behaviour,
        },
        scripted: Vec::new(),
        mechanics: Mechanics {
            conf_start: Dist::fixed(Span::from_millis(200)),
            agent_dial: Dist::fixed(secs(1)),
            callee_dial: Dist::fixed(secs(3)),
            ..Mechanics::default()
        },
        max_live: path.callers,
        events: EventFamilies::all(),
        abandoned_tasks: profile.abandoned_tasks,
    }
}

/// One row: when, what happened (the same words in both profiles), what the profile sent.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    at: String,
    what: String,
    sent: String,
}

/// What happened, in words that do not depend on the profile.
fn what(o: &Occurrence, callers: &mut Vec<ccsim::ids::ConversationId>) -> String {
    let caller = |callers: &mut Vec<_>, id| {
        let n = callers.iter().position(|c| *c == id).unwrap_or_else(|| {
            callers.push(id);
            callers.len() - 1
        });
        if n == 0 {
            String::new()
        } else {
            format!(" (caller {})", n + 1)
        }
    };
    match o {
        Occurrence::Conversation(h) => {
            let c = caller(callers, h.conv.id);
            match &h.kind {
                HappeningKind::Created => format!("conversation created{c}"),
                HappeningKind::Joined(m) => match &m.agent_name {
                    Some(a) => format!("{a}'s call joins{c}"),
                    None if h.conv.kind == ConvType::Queue => format!("the customer joins{c}"),
                    None => format!("the callee's call joins{c}"),
                },
                HappeningKind::Left { .. } => format!("a member leaves{c}"),
                HappeningKind::Started { .. } => format!("answered: the conversation begins{c}"),
                HappeningKind::Released { reason, started_at } => match started_at {
                    Some(_) => format!("released ({}){c}", reason.as_str()),
                    None => format!("released before it began{c}"),
                },
            }
        }
        Occurrence::Agent(h) => match &h.kind {
            AgentHappeningKind::StateChanged { previous, latest } => {
                format!("{} {previous} → {latest}", h.agent.name)
            }
            AgentHappeningKind::ConversationChanged { presence, .. } => match presence {
                Presence::Enter => format!("{} enters the conversation", h.agent.name),
                Presence::Exit => format!("{} exits the conversation", h.agent.name),
            },
        },
        Occurrence::Queue(h) => {
            let c = caller(callers, h.conversation_id);
            let agent = h
                .agent
                .as_ref()
                .map_or(String::new(), |a| format!(" {}", a.name));
            match h.step {
                QueueStep::Select => format!("{} task selects{agent}{c}", h.kind.as_str()),
                QueueStep::Success => format!("{} task succeeds{c}", h.kind.as_str()),
                QueueStep::Fail(cause) => {
                    let ringing = if h.agent_ringing {
                        ", the agent's phone ringing"
                    } else {
                        ""
                    };
                    format!("{} task ends: {cause}{ringing}{c}", h.kind.as_str())
                }
            }
        }
    }
}

/// The events `builder` sends for `o`, as a table cell.
fn sent(builder: &EventBuilder, o: &Occurrence) -> String {
    let mut out = Vec::new();
    builder.build(o, &mut out);
    let cells: Vec<String> = out
        .iter()
        .map(|w| {
            let body: serde_json::Value = serde_json::from_slice(&w.body).expect("json");
            let short = w.kind.name().trim_start_matches("callcenter.");
            let detail = match w.kind.name() {
                "callcenter.agent.state_changed" => format!(
                    " {}→{}",
                    body["previous_state"].as_str().unwrap_or("?"),
                    body["latest_state"].as_str().unwrap_or("?")
                ),
                "callcenter.agent.conversation_changed" => {
                    format!(" {}", body["type"].as_str().unwrap_or("?"))
                }
                "callcenter.queue.fail" => format!(" {}", body["cause"].as_str().unwrap_or("?")),
                "callcenter.conversation.end" => body
                    .get("end_reason")
                    .and_then(serde_json::Value::as_str)
                    .map_or(String::new(), |r| format!(" {r}")),
                _ => String::new(),
            };
            format!("`{short}{detail}`")
        })
        .collect();
    if cells.is_empty() {
        "—".to_owned()
    } else {
        cells.join(" ")
    }
}

fn rows(path: &Path, profile: &Profile) -> Vec<Row> {
    let builder = EventBuilder::new(profile.clone()).with_families(EventFamilies::all());
    let plan = plan(path, profile);
    let start = plan.start;
    let mut engine = Engine::new(plan);
    let mut callers = Vec::new();
    let mut rows = Vec::new();
    while let Some(o) = engine.next_occurrence() {
        rows.push(Row {
            at: format!("{:.1}", o.at().since(start).as_secs_f64()),
            what: what(&o, &mut callers),
            sent: sent(&builder, &o),
        });
    }
    rows
}

/// The two profiles' rows side by side, rows of the same happening (same time, same words)
/// joined: a longest common subsequence of the two.
fn side_by_side(a: &[Row], b: &[Row]) -> Vec<(String, String, String, String)> {
    let same = |x: &Row, y: &Row| x.at == y.at && x.what == y.what;
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if same(&a[i], &b[j]) {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    let dash = || "—".to_owned();
    while i < n || j < m {
        if i < n && j < m && same(&a[i], &b[j]) {
            out.push((
                a[i].at.clone(),
                a[i].what.clone(),
                a[i].sent.clone(),
                b[j].sent.clone(),
            ));
            i += 1;
            j += 1;
        } else if j == m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push((
                a[i].at.clone(),
                a[i].what.clone(),
                a[i].sent.clone(),
                dash(),
            ));
            i += 1;
        } else {
            out.push((
                b[j].at.clone(),
                b[j].what.clone(),
                dash(),
                b[j].sent.clone(),
            ));
            j += 1;
        }
    }
    out
}

fn generated() -> String {
    let documented = Profile::named(ProfileName::Documented);
    let platform = Profile::named(ProfileName::Platform);
    let mut doc = String::new();
    for path in paths() {
        doc.push_str(&format!("\n### {}\n\n", path.title));
        doc.push_str(
            "| s | what happens | `documented` sends | `platform` sends |\n|---|---|---|---|\n",
        );
        for (at, what, d, pl) in side_by_side(&rows(&path, &documented), &rows(&path, &platform)) {
            doc.push_str(&format!("| {at} | {what} | {d} | {pl} |\n"));
        }
    }
    doc.push('\n');
    doc
}

#[test]
fn lifecycle_doc_tables_are_what_the_engine_and_builder_send() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DOC);
    let text = std::fs::read_to_string(&path).expect("read docs/lifecycles.md");
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        panic!("{DOC} has no {BEGIN} … {END} block");
    };
    let inside = &text[b + BEGIN.len()..e];
    let fresh = generated();
    if std::env::var_os("CCSIM_BLESS").is_some() {
        let new = format!("{}{BEGIN}{fresh}{}", &text[..b], &text[e..]);
        std::fs::write(&path, new).expect("write docs/lifecycles.md");
        return;
    }
    assert!(
        inside == fresh,
        "{DOC} differs from what the engine sends (CCSIM_BLESS=1 cargo test --locked lifecycle_doc \
         rewrites it):\n{fresh}"
    );
}
