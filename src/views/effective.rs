//! Whether an installation's announcement settings are in effect. Events of the deployment's
//! default dynaBOARD connection are announced once, under the settings of the connection's owner
//! (DESIGN.md "Default connection with several installations"): another installation that uses
//! the default connection has notification, event, hours and prefix settings that do nothing
//! until it sets its own connection. Its configuration page says so, and where to go instead.

use serde::Serialize;

use super::Views;
use super::room_choice::room_name;
use crate::model::{Installation, Settings};

/// Where the settings in effect for this installation's events are.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ElsewhereNotice {
    /// "the global installation" or "the installation in the room X".
    pub owner: String,
    /// The default dynaBOARD's URL.
    pub dynaboard: String,
}

/// `Some` when `installation`'s announcement settings are not in effect: it uses the default
/// connection, and another installation owns that connection.
pub async fn elsewhere(
    views: &Views,
    installation: &Installation,
    settings: &Settings,
) -> Option<ElsewhereNotice> {
    if settings.connection.is_some() {
        return None;
    }
    let issues = &views.services.issues;
    let default = issues.default_connection(&installation.oauth_id).await?;
    let owner = match issues.default_owner().await {
        Ok(Some(owner)) if owner.oauth_id != installation.oauth_id => owner,
        Ok(_) => return None,
        Err(e) => {
            tracing::warn!(error = %e, "cannot tell who owns the default dynaBOARD connection");
            return None;
        }
    };
    let owner = match owner.room_id {
        None => "the global installation".to_owned(),
        Some(room) => format!(
            "the installation in the room {}",
            room_name(&views.people, installation, room).await
        ),
    };
    Some(ElsewhereNotice {
        owner,
        dynaboard: default.url.as_str().trim_end_matches('/').to_owned(),
    })
}
