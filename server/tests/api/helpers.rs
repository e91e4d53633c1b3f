//! `spawn_app()` and friends (zero2prod style).

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use integration::storage::testing::TestDb;
use integration::{Db, DbKind, Engine};
use reqwest::header::{HeaderMap, HeaderValue, LOCATION, ORIGIN};
use reqwest::redirect::Policy;
use server::config::Settings;
use server::startup::{Application, RunningApplication};
use simulator::{
    AppRegistration, HmacOrder, ShopSeed, Simulator, SimulatorConfig, SimulatorHandle,
};
use uuid::Uuid;

pub use integration::storage::testing::engines;

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of this test binary (all tests share one subscriber).
pub fn captured_logs() -> String {
    LOGS.get()
        .map(|b| String::from_utf8_lossy(&b.lock().unwrap()).into_owned())
        .unwrap_or_default()
}

fn init_logs() {
    let buffer = LOGS.get_or_init(Arc::default).clone();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            "info,integration=debug,shoprenter=debug,server=debug,tower_sessions=debug",
        )
        .with_ansi(false)
        .with_writer(move || LogWriter(buffer.clone()))
        .try_init();
}

pub const SHOP: &str = "pelda";
pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub sim: SimulatorHandle,
    pub registration: AppRegistration,
    pub engine: Arc<Engine>,
    pub db: Db,
    pub vars: HashMap<String, String>,
    test_db: TestDb,
    instances: Vec<RunningApplication>,
}

/// How long a single request may take before the test fails instead of hanging CI.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long stopping a server may take (its workers get 15 s to reach a safe point, then are
/// aborted; the other background tasks get another 15 s).
const STOP_TIMEOUT: Duration = Duration::from_secs(45);

pub async fn spawn_app(kind: DbKind) -> TestApp {
    init_logs();
    // The simulator's app registration needs our URLs before the server starts. The listener
    // stays bound until the server takes it: a port picked and released here was once taken
    // meanwhile by another test's outgoing connection (AddrInUse).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let address = format!("http://127.0.0.1:{port}");
    let registration = AppRegistration::shopcall_demo(&address);
    let sim = Simulator::start(SimulatorConfig {
        apps: vec![registration.clone()],
        shops: vec![ShopSeed::sized(SHOP, 1, 3), ShopSeed::sized("masik", 2, 3)],
        rate_limit_per_sec: 0,
        ..SimulatorConfig::default()
    })
    .await
    .expect("simulator");
    let test_db = TestDb::create(kind).await.expect("test database");
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut key);
    let vars: HashMap<String, String> = [
        ("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}")),
        ("DATABASE_URL", test_db.url.clone()),
        ("FRONTEND_URL", address.clone()),
        ("DEMO_MODE", "false".into()),
        ("SHOPRENTER_APP_ID", registration.app_id.clone()),
        ("SHOPRENTER_CLIENT_ID", registration.client_id.clone()),
        (
            "SHOPRENTER_CLIENT_SECRET",
            registration.client_secret.clone(),
        ),
        ("SHOPRENTER_TOKEN_URL", sim.token_url_template()),
        ("SHOPRENTER_API_URL", sim.api_url_template()),
        ("SHOPRENTER_ADMIN_URL", sim.admin_url_template()),
        ("TOKEN_ENCRYPTION_KEY", hex::encode(key)),
        (
            "SESSION_SECRET",
            "0123456789abcdef0123456789abcdef-test".into(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let settings = settings_from(&vars);
    let app = Application::build_on(settings, listener)
        .await
        .expect("application builds");
    assert_eq!(app.port(), port);
    let engine = app.engine();
    let running = app.spawn();
    TestApp {
        client: browser(&address),
        address,
        sim,
        registration,
        db: engine.db().clone(),
        engine,
        vars,
        test_db,
        instances: vec![running],
    }
}

pub fn settings_from(vars: &HashMap<String, String>) -> Settings {
    Settings::from_lookup(|k| vars.get(k).cloned()).expect("settings")
}

/// A browser-like client: own cookie jar, no redirect following, `Origin` on every request.
pub fn browser(address: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(ORIGIN, HeaderValue::from_str(address).unwrap());
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .default_headers(headers)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .unwrap()
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .unwrap_or_else(|| panic!("no Location on {}", response.status()))
        .to_str()
        .unwrap()
        .to_string()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, client: &reqwest::Client, path_or_url: &str) -> reqwest::Response {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            self.url(path_or_url)
        };
        client.get(url).send().await.unwrap()
    }

    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client.post(self.url(path)).form(form).send().await.unwrap()
    }

    pub async fn sign_up(&self, client: &reqwest::Client, email: &str) -> reqwest::Response {
        self.post_form(
            client,
            "/auth/signup",
            &[("email", email), ("password", PASSWORD), ("next", "/")],
        )
        .await
    }

    /// The merchant clicks "install" in the simulator's admin: the signed RedirectUri URL.
    pub fn install_url(&self, shop: &str) -> String {
        self.sim
            .state()
            .install(shop, &self.registration.app_id)
            .expect("simulator install")
    }

    /// The signed EntryPoint URL, forwarding `sr_install` like ShopRenter forwards app params.
    pub fn entry_url(&self, shop: &str, sr_install: Option<&str>) -> String {
        let extra: Vec<(String, String)> = sr_install
            .map(|id| vec![("sr_install".to_string(), id.to_string())])
            .unwrap_or_default();
        self.sim
            .state()
            .entry_url(shop, &self.registration.app_id, &extra)
            .expect("simulator entry")
    }

    /// Runs RedirectUri and returns the `sr_install` id from the redirect.
    pub async fn callback(&self, client: &reqwest::Client, shop: &str) -> String {
        let response = self.get(client, &self.install_url(shop)).await;
        assert_eq!(response.status(), 303, "callback should redirect");
        sr_install(&location(&response))
    }

    /// Sign-up, install and entry: returns the connected store's id.
    pub async fn install_for_new_merchant(
        &self,
        client: &reqwest::Client,
        shop: &str,
        email: &str,
    ) -> Uuid {
        assert_eq!(self.sign_up(client, email).await.status(), 303);
        let install = self.callback(client, shop).await;
        let response = self
            .get(client, &self.entry_url(shop, Some(&install)))
            .await;
        assert_eq!(response.status(), 303);
        store_id_from(&location(&response))
    }

    /// A signed query for `shop` (docs HMAC order) with the given timestamp and extra params.
    pub fn signed_query(&self, shop: &str, timestamp: i64, extra: &[(&str, &str)]) -> String {
        let code = Uuid::new_v4().simple().to_string();
        let ts = timestamp.to_string();
        let hmac = simulator::sign(
            &self.registration.client_secret,
            &simulator::hmac_message(HmacOrder::Docs, shop, &code, &ts),
        );
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("shopname", shop)
            .append_pair("code", &code)
            .append_pair("timestamp", &ts)
            .append_pair("hmac", &hmac);
        for (k, v) in extra {
            q.append_pair(k, v);
        }
        q.finish()
    }

    pub async fn token_requests(&self) -> u64 {
        self.sim.state().stats().token_requests
    }

    /// Starts another server on this app's database and settings, on its own port.
    pub async fn start_another_instance(&mut self) {
        let mut vars = self.vars.clone();
        vars.insert("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into());
        let app = Application::build(settings_from(&vars))
            .await
            .expect("another instance builds");
        self.instances.push(app.spawn());
    }

    /// Stops every server this test started, then closes the pool and drops the database.
    /// Each step is bounded, so a leak fails this test with a message instead of hanging CI.
    pub async fn cleanup(self) {
        for instance in self.instances {
            if let Err(error) = instance.stop(STOP_TIMEOUT).await {
                panic!("a test server {error}");
            }
        }
        if tokio::time::timeout(STOP_TIMEOUT, self.db.close())
            .await
            .is_err()
        {
            let (open, idle) = self.db.connections();
            panic!(
                "a database connection was still checked out {STOP_TIMEOUT:?} after the servers stopped ({open} open, {idle} idle)"
            );
        }
        self.test_db.cleanup().await;
    }

    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        self.test_db.sqlite_file().map(|p| p.to_path_buf())
    }
}

pub fn sr_install(location: &str) -> String {
    let url = url::Url::parse(location).expect("absolute redirect");
    url.query_pairs()
        .find(|(k, _)| k == "sr_install")
        .map(|(_, v)| v.into_owned())
        .expect("sr_install in redirect")
}

pub fn store_id_from(location: &str) -> Uuid {
    let id = location
        .strip_prefix("/stores/")
        .unwrap_or_else(|| panic!("not a store page: {location}"));
    Uuid::parse_str(id).unwrap()
}
