//! The store contract as one suite, written against [`Store`] and its [`Batch`] only, so every
//! backend runs the same checks: sled here, PostgreSQL in `postgres/tests.rs`.

use super::{Batch, Keyspace, Store, StoreError, StoreResult};

/// Runs every check on a fresh, empty store. `open` opens the same storage each time it is
/// called (after the previous handle was dropped), which tests durability across a reopen.
pub(crate) async fn run(open: impl AsyncFn() -> StoreResult<Store>) {
    let store = open().await.unwrap();
    get_put_remove(&store).await;
    scans_are_in_key_order(&store).await;
    claims_dedupe_until_they_expire(&store).await;
    expectations_conflict(&store).await;
    failed_batches_apply_nothing(&store).await;
    let last_id = store.next_id().await.unwrap();
    assert!(store.next_id().await.unwrap() > last_id, "ids increase");
    flushed_writes_survive(store, &open, last_id).await;
}

const SPACE: Keyspace = Keyspace::Memes;

async fn put(store: &Store, key: &str, value: u64) {
    let mut batch = Batch::new();
    batch.put(SPACE, key.as_bytes().to_vec(), &value);
    store.apply(batch).await.unwrap();
}

async fn get(store: &Store, key: &str) -> Option<u64> {
    store.get(SPACE, key.as_bytes()).await.unwrap()
}

async fn get_put_remove(store: &Store) {
    assert_eq!(get(store, "gpr/a").await, None);
    put(store, "gpr/a", 1).await;
    assert_eq!(get(store, "gpr/a").await, Some(1));
    put(store, "gpr/a", 2).await;
    assert_eq!(get(store, "gpr/a").await, Some(2), "a put replaces");
    assert_eq!(
        store
            .get::<u64>(Keyspace::Counters, b"gpr/a")
            .await
            .unwrap(),
        None,
        "spaces are apart"
    );
    let mut batch = Batch::new();
    batch.remove(SPACE, b"gpr/a".to_vec());
    batch.remove(SPACE, b"gpr/never".to_vec());
    store.apply(batch).await.unwrap();
    assert_eq!(get(store, "gpr/a").await, None);
    store.apply(Batch::new()).await.unwrap();
}

async fn scans_are_in_key_order(store: &Store) {
    for (n, key) in [
        "scan/b", "scan/a", "scan/ab", "scan/a/x", "scan", "scao/a", "scan/B",
    ]
    .iter()
    .enumerate()
    {
        put(store, key, n as u64).await;
    }
    let mut batch = Batch::new();
    batch.put(SPACE, b"scan/\xff".to_vec(), &9u64);
    store.apply(batch).await.unwrap();
    let keys: Vec<Vec<u8>> = store.keys(SPACE, b"scan/").await.unwrap();
    let expected: [&[u8]; 6] = [
        b"scan/B",
        b"scan/a",
        b"scan/a/x",
        b"scan/ab",
        b"scan/b",
        b"scan/\xff",
    ];
    assert_eq!(
        keys, expected,
        "bytewise order, a key before its extensions"
    );
    let scanned: Vec<(Vec<u8>, u64)> = store.scan(SPACE, b"scan/").await.unwrap();
    assert_eq!(
        scanned.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
        [6, 1, 3, 2, 0, 9]
    );
    assert_eq!(store.count(SPACE, b"scan/").await, 6);
    assert_eq!(store.count(SPACE, b"scan").await, 7);
    assert_eq!(store.count(SPACE, b"nothing/").await, 0);
    assert!(
        store
            .scan::<u64>(SPACE, b"nothing/")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.first::<u64>(Keyspace::Tokens).await.unwrap(), None);
}

async fn claims_dedupe_until_they_expire(store: &Store) {
    let claim = |now: i64| {
        let mut batch = Batch::new();
        store.claim(&mut batch, "claim:1", now, 60);
        batch
    };
    store.commit(claim(100)).await.unwrap();
    assert!(store.is_claimed("claim:1", 159).await.unwrap());
    assert!(
        !store.is_claimed("claim:1", 160).await.unwrap(),
        "expired at its expiry"
    );
    assert!(!store.is_claimed("claim:2", 100).await.unwrap());
    match store.commit(claim(159)).await {
        Err(StoreError::Duplicate(key)) => assert_eq!(key, "claim:1"),
        other => panic!("a held claim is a duplicate, got {other:?}"),
    }
    store.commit(claim(160)).await.unwrap();
    assert!(
        store.is_claimed("claim:1", 219).await.unwrap(),
        "claimed again"
    );
    // Memory's claims are kept with the later expiry; expired claims are swept, held ones not.
    store
        .keep_claims(&[("claim:1".into(), 100), ("claim:3".into(), 500)])
        .await
        .unwrap();
    assert!(store.is_claimed("claim:1", 219).await.unwrap());
    assert!(store.is_claimed("claim:3", 499).await.unwrap());
    assert_eq!(store.sweep_claims(220).await.unwrap(), 1);
    assert!(store.is_claimed("claim:3", 499).await.unwrap());
}

async fn expectations_conflict(store: &Store) {
    put(store, "expect/a", 1).await;
    let change = async |expected: Option<u64>, to: u64| {
        let mut batch = Batch::new();
        batch.expect(SPACE, b"expect/a".to_vec(), expected.as_ref());
        batch.put(SPACE, b"expect/a".to_vec(), &to);
        store.apply(batch).await
    };
    change(Some(1), 2).await.unwrap();
    match change(Some(1), 3).await {
        Err(StoreError::Conflict(key)) => assert_eq!(key, "expect/a"),
        other => panic!("a stale expectation conflicts, got {other:?}"),
    }
    assert!(matches!(
        change(None, 3).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(get(store, "expect/a").await, Some(2));
    let mut absent = Batch::new();
    absent.expect::<u64>(SPACE, b"expect/new".to_vec(), None);
    absent.put(SPACE, b"expect/new".to_vec(), &1u64);
    // A later operation sees an earlier one of the same batch.
    absent.expect(SPACE, b"expect/new".to_vec(), Some(&1u64));
    store.apply(absent).await.unwrap();
    assert_eq!(get(store, "expect/new").await, Some(1));
}

async fn failed_batches_apply_nothing(store: &Store) {
    put(store, "atomic/kept", 1).await;
    let mut held = Batch::new();
    store.claim(&mut held, "atomic:claim", 0, 1_000);
    store.apply(held).await.unwrap();
    let doomed = async |last: fn(&mut Batch, &Store)| {
        let mut batch = Batch::new();
        batch.put(SPACE, b"atomic/new".to_vec(), &1u64);
        batch.remove(SPACE, b"atomic/kept".to_vec());
        batch.put(Keyspace::Counters, b"atomic/other".to_vec(), &1u64);
        last(&mut batch, store);
        store.apply(batch).await
    };
    let duplicate = doomed(|batch, store| store.claim(batch, "atomic:claim", 10, 60)).await;
    assert!(matches!(duplicate, Err(StoreError::Duplicate(_))));
    let conflict =
        doomed(|batch, _| batch.expect(SPACE, b"atomic/kept".to_vec(), Some(&7u64))).await;
    assert!(matches!(conflict, Err(StoreError::Conflict(_))));
    assert_eq!(get(store, "atomic/new").await, None);
    assert_eq!(get(store, "atomic/kept").await, Some(1));
    assert_eq!(
        store
            .get::<u64>(Keyspace::Counters, b"atomic/other")
            .await
            .unwrap(),
        None
    );
}

async fn flushed_writes_survive(
    store: Store,
    open: &impl AsyncFn() -> StoreResult<Store>,
    id: u64,
) {
    let mut batch = Batch::new();
    batch.put(SPACE, b"durable/a".to_vec(), &42u64);
    batch.put(SPACE, b"durable/gone".to_vec(), &1u64);
    store.commit(batch).await.unwrap();
    // One-key batches, which a backend may apply outside a transaction, are as durable.
    put(&store, "durable/b", 7).await;
    let mut batch = Batch::new();
    batch.remove(SPACE, b"durable/gone".to_vec());
    store.apply(batch).await.unwrap();
    store.flush().await.unwrap();
    drop(store);
    let store = open().await.unwrap();
    assert_eq!(get(&store, "durable/a").await, Some(42));
    assert_eq!(get(&store, "durable/b").await, Some(7));
    assert_eq!(get(&store, "durable/gone").await, None);
    assert_eq!(get(&store, "expect/a").await, Some(2));
    assert!(
        store.next_id().await.unwrap() > id,
        "ids increase across a reopen"
    );
}

#[tokio::test]
async fn sled_keeps_the_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let open = async || {
        // sled's flusher thread lets go of the directory's lock a moment after a drop.
        let mut opened = Store::open(dir.path());
        for _ in 0..200 {
            if opened.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            opened = Store::open(dir.path());
        }
        opened
    };
    run(open).await;
}
