//! The shared cache and rate limit on a real Redis: `REDIS_URL` (the test command sets it to
//! the local server) for most tests, each under a key prefix of its own; the outage tests start,
//! kill and restart a `redis-server` of their own on a free port, never the shared one.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chittyid_app::authority::CallerHash;
use chittyid_app::gateway::{MintFacts, MintVerdict, RateDecision, RateLimitStore, VerdictCache};
use chittyid_domain::ChittyId;
use chittyid_domain::resilience::{CachePolicy, Gcra, GcraDecision};
use chittyid_redis::{RedisLink, RedisSettings, SharedRateLimits, TieredCache};

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| {
        panic!(
            "REDIS_URL is not set: these tests need a Redis server. Run `bash scripts/test.sh` \
             (it starts or installs one on 127.0.0.1:6379 and sets REDIS_URL), or set \
             REDIS_URL=redis://host:port yourself"
        )
    })
}

fn fresh_prefix() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("entropy");
    format!(
        "chittyid-test-{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn link(url: &str, prefix: &str) -> RedisLink {
    RedisLink::open(RedisSettings {
        url: url.to_owned().into(),
        prefix: prefix.to_owned(),
        timeout: Duration::from_millis(200),
    })
    .expect("a valid URL")
}

fn policy() -> CachePolicy {
    CachePolicy::try_new(100, Duration::from_secs(300), Duration::from_secs(2)).expect("valid")
}

/// The authority the caches in these tests stand in front of.
const AUTHORITY: &str = "http://authority.example/v1";

/// How the cache names an authority in its keys: the first 16 hex digits of its SHA-256.
fn scope(authority: &str) -> String {
    chittyid_app::authority::CallerHash::of_token(authority).to_hex()[..16].to_owned()
}

fn id() -> ChittyId {
    ChittyId::parse("03-1-USA-0001-P-2602-0-85").expect("valid")
}

/// A verdict with what the authority said of the mint, as it travels through Redis.
fn minted() -> MintVerdict {
    MintVerdict::Minted(MintFacts {
        entity: Some("SESSION".to_owned()),
        minted_at: Some("2026-11-01T00:00:00.000Z".to_owned()),
    })
}

#[tokio::test]
async fn a_verdict_cached_by_one_gateway_is_answered_to_another_from_redis() {
    let (url, prefix) = (redis_url(), fresh_prefix());
    let first = TieredCache::new(policy(), link(&url, &prefix), AUTHORITY);
    let second = TieredCache::new(policy(), link(&url, &prefix), AUTHORITY);
    first.put(&id(), &minted()).await.expect("stored");
    assert_eq!(second.get(&id()).await.expect("answered"), Some(minted()));
    let shared = second
        .stats()
        .await
        .expect("stats")
        .shared
        .expect("a shared level");
    assert_eq!((shared.hits, shared.misses, shared.errors), (1, 0, 0));
    assert!(shared.available);
    // Now in the second's local level: no second trip to Redis.
    assert_eq!(second.get(&id()).await.expect("answered"), Some(minted()));
    assert_eq!(
        second
            .stats()
            .await
            .expect("stats")
            .shared
            .expect("shared")
            .hits,
        1
    );
    // Another deployment's prefix sees nothing.
    let elsewhere = TieredCache::new(policy(), link(&url, &fresh_prefix()), AUTHORITY);
    assert_eq!(elsewhere.get(&id()).await.expect("answered"), None);
    // Nor does a gateway in front of another authority on the same prefix: its verdicts are
    // about what that authority minted.
    let other_authority =
        TieredCache::new(policy(), link(&url, &prefix), "http://other.example/v1");
    assert_eq!(other_authority.get(&id()).await.expect("answered"), None);
}

#[tokio::test]
async fn a_not_minted_verdict_lives_the_shorter_ttl_in_redis() {
    let (url, prefix) = (redis_url(), fresh_prefix());
    let cache = TieredCache::new(policy(), link(&url, &prefix), AUTHORITY);
    cache
        .put(&id(), &MintVerdict::NotMinted)
        .await
        .expect("stored");
    let client = redis::Client::open(url.as_str()).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    let ttl: i64 = redis::cmd("PTTL")
        .arg(format!("{prefix}:v1:verdict:{}:{}", scope(AUTHORITY), id()))
        .query_async(&mut conn)
        .await
        .expect("pttl");
    assert!((1..=2_000).contains(&ttl), "{ttl} ms");
}

#[tokio::test]
async fn the_script_decides_as_the_domains_gcra_and_two_gateways_share_one_limit() {
    let (url, prefix) = (redis_url(), fresh_prefix());
    let (a, b) = (
        SharedRateLimits::new(link(&url, &prefix), 100),
        SharedRateLimits::new(link(&url, &prefix), 100),
    );
    let caller = CallerHash::of_token("shared-limit");
    let minute = Duration::from_secs(60);
    let mut decisions = Vec::new();
    for n in 0..6 {
        let limits = if n % 2 == 0 { &a } else { &b };
        decisions.push(
            limits
                .try_acquire(caller, 1, 5, minute)
                .await
                .expect("decided"),
        );
    }
    assert!(
        decisions[..5].iter().all(|d| *d == RateDecision::Allowed),
        "{decisions:?}"
    );
    let RateDecision::Limited { retry_after } = decisions[5] else {
        panic!("the sixth of a 5-a-minute limit is refused: {decisions:?}");
    };
    // The domain's GCRA, from the same state: five emissions of 12 s already taken.
    let gcra = Gcra::try_new(5, minute).expect("valid");
    let now = 1_000_000_000;
    let GcraDecision::Limited {
        retry_after: expected,
    } = gcra.decide(Some(now + 5 * gcra.emission_us()), now, 1)
    else {
        panic!("the domain refuses too");
    };
    let gap = expected.abs_diff(retry_after);
    assert!(
        gap < Duration::from_secs(1),
        "script {retry_after:?}, domain {expected:?}"
    );
    assert_eq!(a.shared_available(), Some(true));
}

/// A `redis-server` of the test's own on a free port.
struct OwnRedis {
    port: u16,
    child: Child,
    dir: tempfile_dir::Dir,
}

mod tempfile_dir {
    /// A directory removed on drop (no extra dependency for one use).
    pub(crate) struct Dir(pub(crate) std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl OwnRedis {
    fn start(port: u16, dir: tempfile_dir::Dir) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir.0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!("cannot start redis-server ({err}): install it (Debian's redis-server; scripts/test.sh does)")
            });
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { port, child, dir }
    }

    fn new() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("address")
            .port();
        let mut suffix = [0u8; 6];
        getrandom::fill(&mut suffix).expect("entropy");
        let dir = std::env::temp_dir().join(format!(
            "chittyid-redis-{}",
            suffix
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        Self::start(port, tempfile_dir::Dir(dir))
    }

    fn kill(mut self) -> (u16, tempfile_dir::Dir) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let port = self.port;
        let dir = std::mem::replace(&mut self.dir, tempfile_dir::Dir(std::path::PathBuf::new()));
        (port, dir)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn redis_going_away_falls_back_within_the_bound_and_comes_back_by_itself() {
    let redis = OwnRedis::new();
    let url = redis.url();
    let link = RedisLink::open(RedisSettings {
        url: url.clone().into(),
        prefix: fresh_prefix(),
        timeout: Duration::from_millis(25),
    })
    .expect("valid");
    let cache = TieredCache::new(policy(), link.clone(), AUTHORITY);
    let limits = SharedRateLimits::new(link.clone(), 100);
    let caller = CallerHash::of_token("outage");
    let minute = Duration::from_secs(60);
    assert_eq!(
        limits.try_acquire(caller, 1, 3, minute).await.expect("ok"),
        RateDecision::Allowed
    );
    cache.put(&id(), &minted()).await.expect("stored");
    assert!(link.is_available());

    let (port, dir) = redis.kill();
    // Every call answers, from this process, within the configured bound (plus slack for a
    // loaded machine): the limit is kept here, the cache's local level answers.
    let mut decisions = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        decisions.push(
            limits
                .try_acquire(caller, 1, 3, minute)
                .await
                .expect("decided here"),
        );
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
    }
    // After the first failure, the others did not wait on Redis at all.
    assert!(
        link.skipped_calls() >= 4,
        "skipped {}",
        link.skipped_calls()
    );
    // This gateway's own bucket: a full 3 a minute of its own, then refusals.
    assert!(
        decisions[..3].iter().all(|d| *d == RateDecision::Allowed),
        "{decisions:?}"
    );
    assert!(
        matches!(decisions[3], RateDecision::Limited { .. }),
        "{decisions:?}"
    );
    assert_eq!(limits.shared_available(), Some(false));
    assert_eq!(
        cache.get(&id()).await.expect("answered"),
        Some(minted()),
        "the local level"
    );
    let other = ChittyId::parse("03-4-JPN-0420-L-2511-5-34").expect("valid");
    assert_eq!(cache.get(&other).await.expect("answered"), None);
    let shared = cache.stats().await.expect("stats").shared.expect("shared");
    assert!(!shared.available);

    let _restarted = OwnRedis::start(port, dir);
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(600)).await;
        if limits.try_acquire(caller, 1, 1_000, minute).await.is_ok()
            && limits.shared_available() == Some(true)
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the connection never came back"
        );
    }
    cache.put(&other, &minted()).await.expect("stored");
    assert!(
        cache
            .stats()
            .await
            .expect("stats")
            .shared
            .expect("shared")
            .available
    );
}
