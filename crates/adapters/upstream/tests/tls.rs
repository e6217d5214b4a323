//! The upstream client over https to a real TLS server behind a private CA: trusted when the
//! CA is given, refused (and classified as a broken connection) when it is not.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use chittyid_app::authority::MintRequest;
use chittyid_app::gateway::{AuthorityError, MintAuthority, UpstreamKey};
use chittyid_domain::EntityName;
use chittyid_upstream::{HttpAuthority, UpstreamConfigError};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// A TLS authority on 127.0.0.1 that mints one fixed, valid ID. Returns its port and CA PEM.
async fn tls_authority() -> (u16, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("cert");
    let ca_pem = certified.cert.pem();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = service_fn(|_request| async {
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                        br#"{"chittyId":"03-1-USA-0001-P-2602-0-85"}"#,
                    ))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (port, ca_pem)
}

fn request() -> MintRequest {
    MintRequest::new(EntityName::parse("PEO").expect("known"))
}

#[tokio::test]
async fn https_with_the_private_ca_mints() {
    let (port, ca) = tls_authority().await;
    let url = format!("https://127.0.0.1:{port}/v1");
    let authority = HttpAuthority::try_new_with_roots(&url, Some("token"), Some(ca.as_bytes()))
        .expect("configured");
    let id = authority
        .mint(&request(), &UpstreamKey::fresh())
        .await
        .expect("minted over TLS");
    assert_eq!(id.as_str(), "03-1-USA-0001-P-2602-0-85");
}

#[tokio::test]
async fn https_without_the_ca_is_refused() {
    let (port, _) = tls_authority().await;
    let url = format!("https://127.0.0.1:{port}/v1");
    let authority = HttpAuthority::try_new(&url, Some("token")).expect("configured");
    let err = authority
        .mint(&request(), &UpstreamKey::fresh())
        .await
        .expect_err("untrusted certificate");
    assert!(
        matches!(
            err,
            AuthorityError::ConnectionReset | AuthorityError::ConnectionRefused
        ),
        "{err:?}"
    );
}

#[test]
fn a_ca_file_without_certificates_is_refused_at_start() {
    let err =
        HttpAuthority::try_new_with_roots("https://127.0.0.1:1/v1", Some("t"), Some(b"not pem"))
            .expect_err("no certificate");
    assert!(matches!(err, UpstreamConfigError::InvalidCa(_)), "{err:?}");
}
