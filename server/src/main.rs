use server::{config::Settings, startup::Application, telemetry};

// Many short-lived allocations per request (JSON documents, rows); glibc's malloc spent a fifth
// of the webhook ingest CPU in its free lists (perf, 2026-11-26).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("ShopCall.ai cannot start: {error}");
            std::process::exit(2);
        }
    };
    telemetry::init(settings.log_format);
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, "start-up failed");
            eprintln!("ShopCall.ai cannot start: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = app.run_until_stopped().await {
        tracing::error!(%error, "server stopped with an error");
        std::process::exit(1);
    }
}
