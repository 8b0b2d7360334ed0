//! The configuration page (`configurable`, §12): dynaBOARD connection with *Check connection*,
//! notification room (checked with HipChat before it is saved), announced events, chat service
//! hours with an IANA time zone (overnight windows allowed), and the chat room prefix. Only
//! room admins (room installations) or group admins (global ones) may use it — HipChat shows
//! the page only to them, and the add-on checks again, since any room user holds a valid token.
//! The form carries the page token, so it cannot be posted cross-site.
//!
//! This module shows and saves the page; `form` reads what is posted, `validate` judges it,
//! `render` draws the page and `connection_check` answers *Check connection*.

pub mod connection_check;
pub mod form;
pub mod render;
pub mod validate;

pub use connection_check::{CheckRequest, check_connection};

use self::form::{ConfigForm, Posted};
use self::render::render;
use self::validate::{Field, FieldErrors, validate};
use super::room_choice;
use super::{Page, Views, user_of};
use crate::auth::{AuthError, Caller, Verifier, jwt};
use crate::error::ApiError;
use crate::model::Settings;
use crate::store::Batch;

/// Only admins may configure: group admins for global installations (whatever room the page
/// was opened in: its settings apply to every room), admins of its room otherwise.
async fn require_admin(views: &Views, caller: &Caller) -> Result<(), ApiError> {
    let user = user_of(&caller.claims)?;
    let installation = &caller.installation;
    let (verdict, refusal) = match installation.room_id {
        Some(room) => (
            views.people.is_room_admin(installation, room, user).await,
            "only the room's owner or a group admin can configure the add-on",
        ),
        None => (
            views.people.is_group_admin(installation, user).await,
            "only group admins can configure a global installation",
        ),
    };
    match verdict {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::Forbidden(refusal.into())),
        Err(e) => Err(ApiError::Unavailable(format!(
            "cannot check your permissions with HipChat: {e}"
        ))),
    }
}

/// The page of `GET /views/configure?signed_request=…`.
pub async fn show(views: &Views, caller: &Caller) -> Result<Page, ApiError> {
    require_admin(views, caller).await?;
    let settings = views
        .services
        .store
        .settings(&caller.installation.oauth_id)
        .await?;
    let form = ConfigForm::of(&settings, &caller.installation.oauth_id, views);
    render(
        views,
        caller,
        form.await,
        FieldErrors::none(),
        false,
        &settings,
    )
    .await
}

/// `POST /views/configure` (a form `body`, its token in it or in `authorization`): validates
/// every field; saves, or shows what is wrong where.
pub async fn save(
    views: &Views,
    authorization: Option<&str>,
    body: &[u8],
) -> Result<Page, ApiError> {
    let posted = Posted::parse(body)?;
    let caller = form_caller(views, authorization, posted.signed_request.as_deref()).await?;
    require_admin(views, &caller).await?;
    let oauth_id = caller.installation.oauth_id.clone();
    let old = views.services.store.settings(&oauth_id).await?;
    let mut form = ConfigForm::of(&old, &oauth_id, views)
        .await
        .with_posted(&posted);
    let result = validate(&posted, &old, &mut form);
    let room = match &result {
        Err(errors) if errors.contains(Field::NotificationRoom) => Ok(None),
        _ => {
            room_choice::resolve(&views.people, &caller.installation, &form.notification_room).await
        }
    };
    let new = match (result, room) {
        (Ok(new), Ok(room)) => Settings {
            notification_room: room_choice::stored(&caller.installation, room.as_ref()),
            ..new
        },
        (result, room) => {
            let mut errors = result.err().unwrap_or_default();
            if let Err(refused) = room {
                errors.insert(Field::NotificationRoom, refused.to_string());
            }
            return render(views, &caller, form, errors, false, &old).await;
        }
    };
    if let Some(refused) = refused_address(views, &old, &new).await {
        let errors = FieldErrors::one(Field::DynaboardUrl, refused);
        return render(views, &caller, form, errors, false, &old).await;
    }
    let mut batch = Batch::new();
    views
        .services
        .store
        .put_settings(&mut batch, &oauth_id, &old, &new);
    views.services.store.commit(batch).await?;
    if old.connection != new.connection {
        // Issues cached from the previous dynaBOARD must not answer for the new one.
        views.services.store.clear_issue_cache(&oauth_id).await?;
    }
    tracing::info!(oauth_id, "settings saved");
    let form = ConfigForm::of(&new, &oauth_id, views);
    render(views, &caller, form.await, FieldErrors::none(), true, &new).await
}

/// Why a newly entered dynaBOARD URL may not be called (DESIGN.md "Outbound addresses"), if so.
async fn refused_address(views: &Views, old: &Settings, new: &Settings) -> Option<String> {
    let own = new.connection.as_ref()?;
    if old.connection.as_ref().is_some_and(|o| o.url == own.url) {
        return None;
    }
    let url = url::Url::parse(&own.url).ok()?;
    let policy = views.services.issues.client().policy();
    policy.check(&url).await.err().map(|e| e.to_string())
}

/// The form's caller, by its token: the `signed_request` field, else `Authorization: JWT`.
async fn form_caller(
    views: &Views,
    header: Option<&str>,
    signed_request: Option<&str>,
) -> Result<Caller, ApiError> {
    let token = match signed_request {
        Some(t) => jwt::token_from(None, Some(t))?,
        None => jwt::token_from(header, None)?,
    };
    let verifier = Verifier {
        store: views.services.store.clone(),
        clock: views.services.clock.clone(),
    };
    let (claims, installation) = verifier.verify(&token).await?;
    if claims.user_id().is_none() {
        return Err(AuthError::WrongContext("token names no user").into());
    }
    Ok(Caller {
        installation,
        claims,
        token,
    })
}
