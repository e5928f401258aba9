//! `https://` targets end to end: a TLS receiver (the built-in receiver's router behind
//! rustls) whose certificate is signed by a CA generated in the test. Delivery succeeds
//! when the CA is trusted (`--ca-cert`, `CCSIM_CA_CERT`), fails with a certificate error
//! that says how to fix it when it is not, and succeeds with `--insecure`
//! (`CCSIM_INSECURE`), which accepts any certificate as the platform does.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use ccsim::Exit;
use ccsim::receiver::Receiver;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_util::sync::CancellationToken;

use super::support::{binary, seeded_run, tempdir};

/// A TLS receiver on 127.0.0.1 with a certificate for `localhost` and `127.0.0.1` signed
/// by its own test CA.
struct TlsReceiver {
    url: String,
    receiver: Receiver,
    /// The CA's certificate, as a PEM file.
    ca_pem: PathBuf,
    _dir: tempfile::TempDir,
    stop: CancellationToken,
}

impl TlsReceiver {
    async fn start() -> Self {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "ccsim test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let dir = tempdir();
        let ca_pem = dir.path().join("ca.pem");
        std::fs::write(&ca_pem, ca.pem()).unwrap();

        let config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(leaf.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}/hook", listener.local_addr().unwrap());
        let receiver = Receiver::new(false);
        let router = receiver.router();
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            loop {
                let (tcp, _) = tokio::select! {
                    () = stopped.cancelled() => return,
                    accepted = listener.accept() => accepted.unwrap(),
                };
                let (acceptor, router) = (acceptor.clone(), router.clone());
                tokio::spawn(async move {
                    // A client that rejects the certificate ends the handshake: nothing to serve.
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), TowerToHyperService::new(router))
                        .await;
                });
            }
        });
        Self {
            url,
            receiver,
            ca_pem,
            _dir: dir,
            stop,
        }
    }

    /// Events the receiver accepted.
    fn received(&self) -> u64 {
        self.receiver.summary(false).events
    }
}

impl Drop for TlsReceiver {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[tokio::test]
async fn an_https_target_whose_ca_is_trusted_with_ca_cert_gets_every_event() {
    let rx = TlsReceiver::start().await;
    let ca = rx.ca_pem.display().to_string();
    let o = seeded_run("20s", Some(&rx.url), &["--ca-cert", &ca]).await;
    assert_eq!(o.exit, Exit::Ok, "{:?}", o.report.events.errors);
    assert!(o.report.events.emitted > 0);
    assert_eq!(o.report.events.delivered, o.report.events.emitted);
    assert_eq!(rx.received(), o.report.events.delivered);
}

#[tokio::test]
async fn an_untrusted_certificate_fails_every_send_with_a_certificate_error_saying_what_to_do() {
    let rx = TlsReceiver::start().await;
    let o = seeded_run("20s", Some(&rx.url), &["--retries", "0"]).await;
    assert_ne!(o.exit, Exit::Ok);
    assert_eq!(o.report.events.failed, o.report.events.emitted);
    assert_eq!(rx.received(), 0);
    let errors: Vec<&String> = o.report.events.errors.keys().collect();
    assert!(
        errors.iter().all(|e| e.contains("certificate")
            && e.contains("--ca-cert FILE.pem")
            && e.contains("--insecure")),
        "{errors:?}"
    );
}

#[tokio::test]
async fn insecure_accepts_any_certificate_as_the_platform_does() {
    let rx = TlsReceiver::start().await;
    let o = seeded_run("20s", Some(&rx.url), &["--insecure"]).await;
    assert_eq!(o.exit, Exit::Ok, "{:?}", o.report.events.errors);
    assert_eq!(o.report.events.delivered, o.report.events.emitted);
    assert_eq!(rx.received(), o.report.events.delivered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tls_flags_have_environment_variables_and_a_bad_ca_file_is_a_usage_error() {
    let rx = TlsReceiver::start().await;
    let run = |env: &[(&str, &str)], extra: &[&str]| {
        let mut command = Command::new(binary());
        command
            .args(["run", "-q", "--api", "off", "--seed", "3", "--speed", "max"])
            .args(["--duration", "10s", "--retries", "0", "--target", &rx.url])
            .args(extra)
            .env_remove("CCSIM_INSECURE")
            .env_remove("CCSIM_CA_CERT");
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().unwrap()
    };
    let ca = rx.ca_pem.display().to_string();
    for env in [
        [("CCSIM_CA_CERT", ca.as_str())],
        [("CCSIM_INSECURE", "true")],
    ] {
        let o = tokio::task::block_in_place(|| run(&env, &[]));
        assert_eq!(
            o.status.code(),
            Some(0),
            "{env:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = tokio::task::block_in_place(|| run(&[], &["--ca-cert", "/nonexistent/ca.pem"]));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--ca-cert: cannot read /nonexistent/ca.pem"),
        "{err}"
    );
}

#[tokio::test]
async fn an_https_receiver_that_refuses_a_large_body_early_is_reported_by_its_status() {
    use ccsim::delivery::https::TlsOptions;
    use ccsim::delivery::transport::Transport;
    let rx = TlsReceiver::start().await;
    let tls = TlsOptions {
        insecure: true,
        extra_roots: Vec::new(),
    };
    let url = reqwest::Url::parse(&rx.url).unwrap();
    let transport = Transport::http(url, std::time::Duration::from_secs(10), 1, &tls).unwrap();
    // The built-in receiver answers 413 to a body over 2 MB.
    let body = bytes::Bytes::from(vec![b'x'; 10 * 1024 * 1024]);
    let attempt = transport.open().attempt(&body, &Vec::new()).await;
    assert_eq!(
        attempt.result,
        ccsim::delivery::attempt::AttemptResult::Status(413)
    );
}
