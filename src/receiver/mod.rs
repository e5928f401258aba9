//! The built-in receiver (`ccsim listen`, and the default target of `run` without
//! `--target`): an axum server that accepts webhooks with HTTP 200, checks each against the
//! event contract, and can print each event as a line.

pub mod contract;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use contract::{ContractChecker, ContractSummary};

/// The receiver's shared state: the contract checker behind a short-lived lock.
#[derive(Clone, Default)]
pub struct Receiver {
    checker: Arc<Mutex<ContractChecker>>,
    print: bool,
}

impl Receiver {
    /// A receiver; with `print`, every event is printed as a line on stdout.
    pub fn new(print: bool) -> Self {
        Self {
            checker: Arc::default(),
            print,
        }
    }

    /// The contract summary so far.
    pub fn summary(&self, complete: bool) -> ContractSummary {
        self.checker
            .lock()
            .map(|c| c.summary(complete))
            .unwrap_or_default()
    }

    /// The router: `POST` to any path is a webhook.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", post(accept))
            .route("/{*path}", post(accept))
            .with_state(self.clone())
    }

    /// Serves on `listener` until `shutdown` fires.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
    }

    /// Binds `addr` and serves in the background; returns the bound address.
    pub async fn spawn(
        self,
        addr: SocketAddr,
        shutdown: CancellationToken,
    ) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        tokio::spawn(self.serve(listener, shutdown));
        Ok(bound)
    }
}

async fn accept(State(rx): State<Receiver>, body: Bytes) -> &'static str {
    if let Ok(mut checker) = rx.checker.lock() {
        checker.check(&body);
    }
    if rx.print {
        println!("{}", describe(&body));
    }
    "success"
}

/// A readable one-line description of an event body.
pub fn describe(body: &[u8]) -> String {
    let Ok(serde_json::Value::Object(obj)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return format!("(not a JSON object) {}", String::from_utf8_lossy(body));
    };
    let field = |k: &str| {
        obj.get(k)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
    };
    let event = field("event").unwrap_or_default();
    let short = event
        .strip_prefix("callcenter.")
        .unwrap_or(&event)
        .to_string();
    let mut line = format!("{short:<30} {}", field("id").unwrap_or_default());
    for k in ["type", "end_reason", "user_data"] {
        if let Some(v) = field(k) {
            line.push_str(&format!(" {k}={v}"));
        }
    }
    line
}
