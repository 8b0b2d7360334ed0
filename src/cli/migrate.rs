//! `hipboard migrate --to postgres://…`: copies the sled data directory (`HIPBOARD_DATA_DIR`)
//! into an empty PostgreSQL database, then prints each key space's record count on both sides.

use hipboard::config::{RawConfig, parse_database_url};
use hipboard::store::{Store, StoreError};

/// Flags of `hipboard migrate`.
#[derive(Debug, Clone, clap::Args)]
pub struct MigrateArgs {
    /// The empty PostgreSQL database to copy into (postgres://user:password@host:port/db).
    #[arg(long, value_name = "POSTGRES_URL")]
    pub to: String,
}

/// Copies, verifies and reports; any failure is one line naming what failed.
pub async fn run(raw: RawConfig, args: MigrateArgs) -> Result<(), String> {
    let config = raw.validate().map_err(|e| e.to_string())?;
    let url = parse_database_url("--to", &args.to).map_err(|e| e.to_string())?;
    let dir = config.data_dir.display().to_string();
    // Opening a directory that holds no store would create an empty one there: refuse instead,
    // as the operator most likely named the wrong directory.
    if !Store::exists_in(&config.data_dir) {
        return Err(format!(
            "HIPBOARD_DATA_DIR: {dir} holds no hipboard data (set HIPBOARD_DATA_DIR or --data-dir)"
        ));
    }
    let source = Store::open(&config.data_dir).map_err(|e| match e {
        StoreError::Open { .. } => format!("HIPBOARD_DATA_DIR: {e} (is hipboard running?)"),
        other => format!("HIPBOARD_DATA_DIR: {other}"),
    })?;
    let target = Store::open_postgres(url.secret(), 4)
        .await
        .map_err(|e| format!("--to: {e}"))?;
    let to = target.database_target().unwrap_or("PostgreSQL").to_owned();
    println!("copying sled in {dir} into postgres at {to}");
    let copied = source
        .copy_into(&target)
        .await
        .map_err(|e| format!("--to: {e}"))?;
    let width = copied
        .iter()
        .map(|c| c.space.name().len())
        .max()
        .unwrap_or(0);
    let mut total = 0;
    for c in &copied {
        println!(
            "ok    {:width$}  {} records (source {})",
            c.space.name(),
            c.target,
            c.source
        );
        total += c.target;
    }
    println!(
        "copied {total} records into {to} (schema version {}); point HIPBOARD_DATABASE_URL at it",
        target.schema_version().unwrap_or_default()
    );
    Ok(())
}
