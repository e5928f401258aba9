//! The `ccsim` binary: parses the command line, wires interrupts to a cancellation token,
//! calls [`ccsim::run`], and maps the result to an exit code (`docs/faults.md`).

use std::process::ExitCode;
use std::time::Duration;

/// mimalloc: less fragmentation than glibc's malloc across the runtime's worker threads
/// (flat memory on long runs) and faster small allocations (see bench/engine.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use ccsim::console;
use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    let cli = match ccsim::cli::parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => return command_line_error(&e),
    };
    let shutdown = CancellationToken::new();
    if let Err(e) = spawn_signal_watcher(shutdown.clone(), interrupt_notice(&cli.command)) {
        console::err(&format!("warning: cannot watch for interrupts: {e}"));
    }
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
            console::err(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(async {
        // On a runtime worker, not the calling thread: the dispatcher then shares threads
        // with the delivery workers instead of waking them across threads.
        let outcome = match tokio::spawn(ccsim::run(cli, shutdown)).await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => {
                console::err(&format!("error: the run was cancelled: {e}"));
                return ExitCode::from(1);
            }
        };
        match outcome {
            Ok(exit) => ExitCode::from(exit as u8),
            Err(e) => {
                console::err(&format!("error: {e:#}"));
                ExitCode::from(e.exit() as u8)
            }
        }
    });
    // Everything is written: a write stuck on a dead output (a pipe nobody reads) is not
    // waited for.
    runtime.shutdown_background();
    code
}

/// Prints clap's help, version or usage error: exit 0 or 2 as clap says, 5 when help or
/// the version cannot be written to stdout (a closed stdout is fine).
fn command_line_error(e: &clap::Error) -> ExitCode {
    match e.print() {
        Err(io) if !e.use_stderr() && io.kind() != std::io::ErrorKind::BrokenPipe => {
            console::err(&format!("error: cannot write to stdout: {io}"));
            ExitCode::from(ccsim::Exit::Io as u8)
        }
        _ => ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)),
    }
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

/// Watches for SIGINT, SIGTERM and SIGHUP on a thread of its own, with its own small
/// runtime, so an interrupt is noticed whatever the main runtime is busy with; returns once
/// the handlers are installed (a signal from then on is never the default kill).
fn spawn_signal_watcher(shutdown: CancellationToken, notice: &'static str) -> std::io::Result<()> {
    let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("ccsim-signals".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            runtime.block_on(async move {
                match Signals::install() {
                    Ok(mut signals) => {
                        let _ = ready_tx.send(Ok(()));
                        watch_signals(&mut signals, &shutdown, notice).await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })?;
    match ready_rx.recv_timeout(Duration::from_secs(5)) {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::other("the signal thread did not start")),
    }
}

/// First SIGINT, SIGTERM or SIGHUP: cancel (drain, report, exit 3; `serve` and `listen`
/// just stop), telling `notice`. Second: exit 3 at once, leaving the files as they are
/// (the report's last complete version, the events log at a line boundary).
async fn watch_signals(signals: &mut Signals, shutdown: &CancellationToken, notice: &str) {
    for _ in 0..2 {
        if !signals.next().await {
            return;
        }
        if shutdown.is_cancelled() {
            console::err("\nsecond interrupt: exiting now");
            // Between two writes: the log ends at a line boundary, the report is whole.
            let _no_more_writes = ccsim::files::stop_writes(Duration::from_secs(2));
            #[allow(
                clippy::exit,
                reason = "a second interrupt asks to stop without draining"
            )]
            std::process::exit(ccsim::Exit::Interrupted as i32);
        }
        console::err(&format!("\n{notice}"));
        shutdown.cancel();
    }
}

/// The signals that stop ccsim.
#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Waits for the next one; false if none can come any more.
    async fn next(&mut self) -> bool {
        tokio::select! {
            s = self.int.recv() => s.is_some(),
            s = self.term.recv() => s.is_some(),
            s = self.hup.recv() => s.is_some(),
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn next(&mut self) -> bool {
        tokio::signal::ctrl_c().await.is_ok()
    }
}
