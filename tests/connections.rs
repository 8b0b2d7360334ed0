//! Connection limits of the add-on's server (issue 12 item 4d): a client that never finishes its
//! headers is cut off, and connections beyond the limit wait without taking a descriptor.

use std::time::Duration;

use hipboard::web::server::{ConnectionLimits, serve_guarded};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn server(limits: ConnectionLimits) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let router = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
    tokio::spawn(serve_guarded(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
    addr
}

/// Reads until the server closes the connection; what it sent.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut seen = Vec::new();
    // Generous: the point is that it ends at all, not when.
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut seen))
        .await
        .expect("the server closes the connection")
        .ok();
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let addr = server(ConnectionLimits {
        max_connections: 16,
        header_read_timeout: Duration::from_millis(200),
    })
    .await;
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut slow).await;
    assert!(!answer.contains("hello"), "{answer}");

    // A client that sends its request gets its answer.
    let mut quick = TcpStream::connect(&addr).await.unwrap();
    quick
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    assert!(read_to_close(&mut quick).await.contains("hello"));
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_free_one() {
    let addr = server(ConnectionLimits {
        max_connections: 1,
        header_read_timeout: Duration::from_secs(600),
    })
    .await;
    // The only slot, held by an idle connection.
    let mut holder = TcpStream::connect(&addr).await.unwrap();
    holder
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 64];
    let n = holder.read(&mut first).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));

    // A second client is not served while the slot is taken...
    let mut waiting = TcpStream::connect(&addr).await.unwrap();
    waiting
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(300), waiting.read(&mut buf)).await;
    assert!(early.is_err(), "served beyond the limit");
    // ...and is served once the first connection closes.
    drop(holder);
    assert!(read_to_close(&mut waiting).await.contains("hello"));
}
