//! The reachability check run before a run sends anything: does something accept TCP
//! connections at the target? Called by `run` (through `transport::preflight`) so a
//! wrong `--target` fails fast with a clear message instead of as a run of failed sends.

use std::time::Duration;

/// Checks that something accepts TCP connections at the target, within `within`.
pub async fn preflight(url: &reqwest::Url, within: Duration) -> Result<(), String> {
    let host = url
        .host_str()
        .ok_or_else(|| format!("target {url} has no host"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url
        .port_or_known_default()
        .ok_or_else(|| format!("target {url} has no port"))?;
    match tokio::time::timeout(within, tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("target {url} is unreachable: {e}")),
        Err(_) => Err(format!(
            "target {url} is unreachable: no answer within {}s",
            within.as_secs()
        )),
    }
}
