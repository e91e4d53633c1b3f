// `sqlx::migrate!` embeds the migration folders at compile time, but cargo does not know it reads
// them: without this a new migration file is silently left out until something else changes.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
