//! The `ccsim` binary: parses the command line, wires interrupts to a cancellation token,
//! calls [`ccsim::run`], and maps the result to an exit code.

use std::process::ExitCode;

/// mimalloc: less fragmentation than glibc's malloc across the runtime's worker threads
/// (flat memory on long runs) and faster small allocations (see bench/engine.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    let cli = match ccsim::cli::parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // One thread runs on the calling thread: no cross-thread wake-ups at all.
    let mut builder = match cli.runtime_threads() {
        Some(1) => tokio::runtime::Builder::new_current_thread(),
        Some(n) => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(usize::from(n));
            b
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        tokio::spawn(watch_signals(
            shutdown.clone(),
            interrupt_notice(&cli.command),
        ));
        // On a runtime worker, not the calling thread: the dispatcher then shares threads
        // with the delivery workers instead of waking them across threads.
        let outcome = match tokio::spawn(ccsim::run(cli, shutdown)).await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => {
                eprintln!("error: the run was cancelled: {e}");
                return ExitCode::from(1);
            }
        };
        match outcome {
            Ok(exit) => ExitCode::from(exit as u8),
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(e.exit() as u8)
            }
        }
    })
}

/// What the first interrupt does to `command`, as told on stderr.
fn interrupt_notice(command: &ccsim::cli::Command) -> &'static str {
    use ccsim::cli::Command;
    match command {
        Command::Run(_) | Command::Load(_) | Command::Replay(_) => {
            "interrupted: finishing in-flight deliveries, then writing the report (again to exit now)"
        }
        _ => "interrupted: stopping (again to exit now)",
    }
}

/// First SIGINT/SIGTERM: cancel (drain, report, exit 3; `serve` and `listen` just stop),
/// telling `notice`. Second: exit at once.
async fn watch_signals(shutdown: CancellationToken, notice: &'static str) {
    for _ in 0..2 {
        if !wait_for_signal().await {
            return;
        }
        if shutdown.is_cancelled() {
            eprintln!("\nsecond interrupt: exiting now");
            #[allow(
                clippy::exit,
                reason = "a second interrupt asks to stop without draining"
            )]
            std::process::exit(ccsim::Exit::Interrupted as i32);
        }
        eprintln!("\n{notice}");
        shutdown.cancel();
    }
}

#[cfg(unix)]
async fn wait_for_signal() -> bool {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return false;
    };
    tokio::select! {
        _ = int.recv() => true,
        _ = term.recv() => true,
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> bool {
    tokio::signal::ctrl_c().await.is_ok()
}
