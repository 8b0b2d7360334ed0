//! HipChat's REST API v2, the subset add-ons use (§7, §9.3), with scopes, limits and §7.2 rules:
//! one module per job, the routes here.

mod answer;
mod auth;
mod faults;
mod glances;
mod history;
mod notifications;
mod rooms;
mod users;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post, put};

use crate::Sandbox;

pub(crate) use answer::{Answer, Q, Refused, hipchat_error, hipchat_errors, parse_json};
pub(crate) use auth::{Authorized, authorize, set_window_headers, with_headers};
use glances::{glance_group, glance_room};
pub(crate) use history::history_items;
use history::latest_history;
use notifications::notification;
pub(crate) use notifications::{check_notification, posted_notification};
pub(crate) use rooms::room_or_404;
use rooms::{create_room, delete_room, get_room, list_rooms, set_topic, update_room};
use users::get_user;

pub(super) fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/v2/room", post(create_room).get(list_rooms))
        .route(
            "/v2/room/{room}",
            get(get_room).put(update_room).delete(delete_room),
        )
        .route("/v2/room/{room}/notification", post(notification))
        .route("/v2/room/{room}/topic", put(set_topic))
        .route("/v2/room/{room}/history/latest", get(latest_history))
        .route("/v2/addon/ui/room/{room_id}", post(glance_room))
        .route("/v2/addon/ui", post(glance_group))
        .route("/v2/user/{user}", get(get_user))
        .with_state(sandbox)
}

/// Applies the fault/record layer to the HipChat-facing routes.
pub(super) fn layered(sandbox: Sandbox, routes: Router) -> Router {
    routes.layer(middleware::from_fn_with_state(
        sandbox,
        faults::faults_and_record,
    ))
}
