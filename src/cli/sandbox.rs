//! `hipboard sandbox [DESCRIPTOR_URL…]`: the HipChat emulator alone, with its browser UI, for
//! anyone writing a HipChat add-on in any language. Each given add-on is installed into the
//! first room (globally when its descriptor allows only that); a failed installation is printed
//! with every reason and the sandbox keeps running, so the add-on can be fixed and installed
//! again from the browser.

use std::net::SocketAddr;

use super::demo::local_only;
use hipboard::web::server;
use hipboard_sandbox::{InstallError, Sandbox, SandboxSettings};

/// Flags of `hipboard sandbox`.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// Descriptor URLs of the add-ons to install.
    pub descriptors: Vec<String>,
    /// Listen address of the sandbox HipChat.
    #[arg(long, env = "HIPBOARD_SANDBOX_ADDR", default_value = "127.0.0.1:3001")]
    pub sandbox_addr: String,
    /// Serve beyond loopback; the sandbox's controls then need the token printed at start.
    #[arg(long)]
    pub public: bool,
}

/// Runs the sandbox until interrupted.
pub async fn run(args: SandboxArgs) -> Result<(), String> {
    let addr: SocketAddr = args.sandbox_addr.parse().map_err(|_| {
        format!(
            "HIPBOARD_SANDBOX_ADDR: {:?} is not a socket address (expected IP:port)",
            args.sandbox_addr
        )
    })?;
    local_only("HIPBOARD_SANDBOX_ADDR", addr, args.public)?;
    let access_token = args.public.then(|| {
        format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        )
    });
    let listener = server::bind("HIPBOARD_SANDBOX_ADDR", addr).await?;
    // Port 0 means "any": the real one is in the URLs the add-ons are given.
    let bound = listener
        .local_addr()
        .map_err(|e| format!("HIPBOARD_SANDBOX_ADDR: {e}"))?;
    let sandbox = Sandbox::new(
        &format!("http://{bound}"),
        SandboxSettings {
            access_token: access_token.clone(),
            ..SandboxSettings::default()
        },
    );
    let task = tokio::spawn(hipboard_sandbox::serve(sandbox.clone(), listener));
    let room = sandbox
        .rooms()
        .into_iter()
        .min_by_key(|r| r.id)
        .ok_or("the sandbox has no room")?;
    println!();
    println!("  hipboard sandbox: a local HipChat");
    for descriptor in &args.descriptors {
        match install(&sandbox, descriptor, room.id).await {
            Ok((oauth_id, place)) => {
                println!("  installed     {descriptor} in {place} (oauthId {oauth_id})");
            }
            Err(e) => {
                println!("  NOT installed {descriptor}: {e}");
                if let InstallError::Invalid(errors) = &e {
                    for error in errors {
                        println!(
                            "                {} ({}): {}",
                            error.path, error.rule, error.message
                        );
                    }
                }
            }
        }
    }
    match &access_token {
        None => println!("  open          {}/", sandbox.base_url()),
        Some(token) => println!(
            "  open          {}/?token={token}   (public: the token is required)",
            sandbox.base_url()
        ),
    }
    println!("  capabilities  {}", sandbox.capabilities_url());
    println!("  Ctrl-C stops it.");
    println!();
    tokio::select! {
        () = server::shutdown_signal() => Ok(()),
        r = task => Err(format!("sandbox stopped: {r:?}")),
    }
}

/// Installs in `room`, or globally when the descriptor allows only a global installation.
async fn install(
    sandbox: &Sandbox,
    descriptor: &str,
    room: i64,
) -> Result<(String, String), InstallError> {
    match sandbox.install(descriptor, Some(room)).await {
        Ok(oauth_id) => {
            let name = sandbox
                .rooms()
                .into_iter()
                .find(|r| r.id == room)
                .map_or_else(|| format!("room {room}"), |r| format!("room {}", r.name));
            Ok((oauth_id, name))
        }
        Err(InstallError::Invalid(errors))
            if errors.iter().all(|e| e.path.ends_with("allowRoom")) =>
        {
            let oauth_id = sandbox.install(descriptor, None).await?;
            Ok((oauth_id, "the whole group".into()))
        }
        Err(e) => Err(e),
    }
}
