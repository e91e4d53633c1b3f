//! `shoprenter-simulator`: a fake ShopRenter on a local port.
//!
//! Every option is a flag `--name value` or an environment variable `SIM_NAME`:
//! `--port` (7070), `--host` (127.0.0.1), `--backend-url` (http://127.0.0.1:3000: where the app's
//! RedirectUri, EntryPoint and UninstallUri live), `--app-id`, `--client-id`, `--client-secret`,
//! `--shops` (comma list, default `demo-shop`), `--size` (records per resource, 300),
//! `--categories`, `--seed`, `--rate-limit` (3/s, 0 = off), `--token-lifetime` (3600),
//! `--hmac-order` (docs | demo-app), `--public-base-url`, `--webhook-delay-ms`.

use std::net::SocketAddr;
use std::time::Instant;

use simulator::{AppRegistration, HmacOrder, ShopSeed, Simulator, SimulatorConfig};

fn opt(args: &[String], name: &str) -> Option<String> {
    let flag = format!("--{name}");
    if let Some(pos) = args.iter().position(|a| *a == flag) {
        return args.get(pos + 1).cloned();
    }
    if let Some(v) = args
        .iter()
        .find_map(|a| a.strip_prefix(&format!("{flag}=")))
    {
        return Some(v.to_string());
    }
    std::env::var(format!("SIM_{}", name.to_uppercase().replace('-', "_"))).ok()
}

fn num<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match opt(args, name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| format!("--{name}: not a number: {v}")),
    }
}

fn config(args: &[String]) -> Result<(SimulatorConfig, SocketAddr), String> {
    let backend = opt(args, "backend-url").unwrap_or_else(|| "http://127.0.0.1:3000".into());
    let mut app = AppRegistration::shopcall_demo(&backend);
    if let Some(v) = opt(args, "app-id") {
        app.app_id = v;
    }
    if let Some(v) = opt(args, "client-id") {
        app.client_id = v;
    }
    if let Some(v) = opt(args, "client-secret") {
        app.client_secret = v;
    }
    let size: u32 = num(args, "size", 300)?;
    let categories: u32 = num(args, "categories", size.clamp(1, 40))?;
    let seed: u64 = num(args, "seed", 2024)?;
    let shops = opt(args, "shops").unwrap_or_else(|| simulator::DEMO_SHOP.into());
    let hmac_order = match opt(args, "hmac-order").as_deref() {
        None | Some("docs") => HmacOrder::Docs,
        Some("demo-app") => HmacOrder::DemoApp,
        Some(other) => {
            return Err(format!(
                "--hmac-order: expected docs or demo-app, got {other}"
            ))
        }
    };
    let cfg = SimulatorConfig {
        apps: vec![app],
        shops: shops
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .enumerate()
            .map(|(i, name)| ShopSeed {
                categories,
                ..ShopSeed::sized(name, seed + i as u64, size)
            })
            .collect(),
        rate_limit_per_sec: num(args, "rate-limit", 3)?,
        token_lifetime_secs: num(args, "token-lifetime", 3600)?,
        hmac_order,
        public_base_url: opt(args, "public-base-url"),
        webhook_delay_ms: num(args, "webhook-delay-ms", 0)?,
        ..SimulatorConfig::default()
    };
    let host = opt(args, "host").unwrap_or_else(|| "127.0.0.1".into());
    let port: u16 = num(args, "port", 7070)?;
    let addr = format!("{host}:{port}")
        .parse()
        .map_err(|_| format!("--host/--port: bad address {host}:{port}"))?;
    Ok((cfg, addr))
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "{}",
            include_str!("main.rs")
                .lines()
                .take_while(|l| l.starts_with("//!"))
                .map(|l| l.trim_start_matches("//!"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        return;
    }
    let (cfg, addr) = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("shoprenter-simulator: {e}");
            std::process::exit(2);
        }
    };
    let app = cfg.apps[0].clone();
    let shops: Vec<String> = cfg.shops.iter().map(|s| s.name.clone()).collect();
    let started = Instant::now();
    let handle = match Simulator::start_on(cfg, addr).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("shoprenter-simulator: cannot start on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "ShopRenter simulator on {} (ready in {:?})",
        handle.base_url(),
        started.elapsed()
    );
    println!("SHOPRENTER_TOKEN_URL={}", handle.token_url_template());
    println!("SHOPRENTER_API_URL={}", handle.api_url_template());
    println!("SHOPRENTER_ADMIN_URL={}", handle.admin_url_template());
    println!("SHOPRENTER_APP_ID={}", app.app_id);
    println!("SHOPRENTER_CLIENT_ID={}", app.client_id);
    println!("SHOPRENTER_CLIENT_SECRET={}", app.client_secret);
    for shop in &shops {
        println!(
            "install page: {}/{shop}/admin/app/{}",
            handle.base_url(),
            app.app_id
        );
    }
    println!("control API: {}/_control/stats", handle.base_url());
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("shoprenter-simulator: {e}");
    }
    handle.shutdown().await;
}
