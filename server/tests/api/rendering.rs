//! Server-side rendering while other applications start in the same process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use integration::DbKind;

use crate::helpers::{browser, spawn_app};

/// Starting an application generates the Leptos route list, which (leptos_server 0.8.8) sets a
/// process-wide flag that parks every resource first polled meanwhile: a page another running
/// application was rendering then never finished (leptos issue #4773). The API tests start many
/// applications in one process, and CI once hung for 90 minutes on exactly that. The route list
/// is now generated once per process; this test renders pages from one application while others
/// start, on a multi-threaded runtime so both really happen at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_other_applications_start() {
    let mut app = spawn_app(DbKind::Sqlite).await;
    let client = browser(&app.address);
    let url = format!("{}/signin", app.address);
    let starting = AtomicBool::new(true);
    let renders = async {
        let mut rendered = 0;
        while starting.load(Ordering::Relaxed) || rendered < 5 {
            let response = tokio::time::timeout(Duration::from_secs(10), client.get(&url).send())
                .await
                .expect("a page render stalled while another application started")
                .unwrap();
            assert_eq!(response.status(), 200);
            let page = tokio::time::timeout(Duration::from_secs(10), response.text())
                .await
                .expect("a page body stalled while another application started")
                .unwrap();
            assert!(page.contains("</html>"));
            rendered += 1;
        }
        rendered
    };
    let starts = async {
        for _ in 0..5 {
            app.start_another_instance().await;
        }
        starting.store(false, Ordering::Relaxed);
    };
    let (rendered, ()) = tokio::join!(renders, starts);
    assert!(rendered >= 5);
    app.cleanup().await;
}
