//! The platform's control endpoints (`docs/api.md`, "Control endpoints"): extensions,
//! agents, agent operations, conversation operations and ACD conditions under
//! `/v1/account/{account}/callcenter/`. Each handler parses its request strictly into an
//! [`Operation`](crate::operation::Operation) (a malformed one is answered `000001` naming
//! the field and never reaches the engine), hands it to the attached
//! [`Platform`](crate::operation::Platform) and renders the answer or refusal in the
//! platform's envelope.
//!
//! - `call`: the one extractor every handler uses (path, query, body within the limit,
//!   content type) and running an operation on the platform;
//! - `fields`: a JSON body read field by field, refusing unknown fields and wrong types;
//! - `rules`: the value rules (agent names, ids, states, numbers, modes);
//! - `answer`: answers and refusals as the platform's envelope;
//! - `extensions`, `agents`, `agent_ops`, `conversations`, `conditions`: the handlers.

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use super::render::Renderer;
use super::store::RecordStore;
use crate::operation::Platform;

mod agent_ops;
mod agents;
mod answer;
mod call;
mod conditions;
mod conversations;
mod extensions;
mod fields;
mod rules;

/// The callcenter base path.
const BASE: &str = "/v1/account/{account}/callcenter";

/// What the control endpoints need.
#[derive(Clone)]
pub(super) struct OpsState {
    /// The platform operations go to.
    pub(super) platform: Arc<dyn Platform>,
    /// The records (`GET agent/{name}/conversation` shows them).
    pub(super) store: RecordStore,
    /// The profile and zone.
    pub(super) renderer: Renderer,
    /// The largest body read (413 past it).
    pub(super) body_limit: usize,
}

impl std::fmt::Debug for OpsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpsState").finish_non_exhaustive()
    }
}

/// The control endpoints' router, to be merged into the API's (which adds the fallbacks
/// and, with `--api-auth`, authentication).
pub(super) fn router(state: OpsState) -> Router {
    let at = |tail: &str| format!("{BASE}/{tail}");
    Router::new()
        .route(
            &at("extension"),
            post(extensions::create).get(extensions::list),
        )
        .route(
            &at("extension/{id}"),
            get(extensions::get_one).delete(extensions::delete),
        )
        .route(&at("agent"), post(agents::login).get(agents::list))
        .route(
            &at("agent/{name}"),
            get(agents::get_one).delete(agents::logout),
        )
        .route(&at("agent/{name}/keepalive"), get(agents::keepalive))
        .route(&at("agent/{name}/extension"), post(agents::set_extension))
        .route(&at("agent/{name}/state"), post(agents::set_state))
        .route(&at("agent/{name}/skills"), post(agents::set_skills))
        .route(&at("agent/{name}/call_out"), post(agent_ops::call_out))
        .route(&at("agent/{name}/call_agent"), post(agent_ops::call_agent))
        .route(&at("agent/{name}/enter"), post(agent_ops::enter))
        .route(&at("agent/{name}/exit"), post(agent_ops::exit))
        .route(&at("agent/{name}/lsm"), post(agent_ops::lsm))
        .route(&at("agent/{name}/reject"), post(agent_ops::reject))
        .route(
            &at("agent/{name}/conversation"),
            get(agent_ops::conversations),
        )
        .route(&at("agent/{name}/fwd_agent"), post(agent_ops::fwd_agent))
        .route(&at("agent/{name}/xfer_agent"), post(agent_ops::xfer_agent))
        .route(&at("agent/{name}/xfer_out"), post(agent_ops::xfer_out))
        .route(
            &at("conversation/{id}"),
            axum::routing::delete(conversations::dismiss),
        )
        .route(
            &at("conversation/{id}/agent/{name}/lsm"),
            post(conversations::lsm),
        )
        .route(
            &at("conversation/{id}/invite_agent"),
            post(conversations::invite_agent),
        )
        .route(
            &at("conversation/{id}/invite_out"),
            post(conversations::invite_out),
        )
        .route(
            &at("condition"),
            post(conditions::create).get(conditions::list),
        )
        .route(
            &at("condition/{id}"),
            post(conditions::update)
                .get(conditions::get_one)
                .delete(conditions::delete),
        )
        .with_state(state)
}
