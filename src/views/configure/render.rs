//! Rendering of the configuration page: the form with its field errors, the notification room
//! picker, the time zone list and the notice about settings in effect elsewhere.

use once_cell::sync::Lazy;
use serde::Serialize;

use super::form::ConfigForm;
use super::validate::FieldErrors;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::model::Settings;
use crate::views::effective::{self, ElsewhereNotice};
use crate::views::room_choice::{self, RoomOption};
use crate::views::{Page, PageBase, Views, page};

/// Every IANA zone name chrono-tz knows, for the time zone picker.
static TIMEZONES: Lazy<Vec<&'static str>> =
    Lazy::new(|| chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect());

#[derive(Serialize)]
struct ConfigPage<'a> {
    base: &'a PageBase,
    form: ConfigForm,
    errors: FieldErrors,
    saved: bool,
    has_errors: bool,
    rooms: RoomPicker,
    timezones: &'a [&'static str],
    /// The form's zone is not one of `timezones` (a typo posted back), so it is offered too.
    unknown_timezone: bool,
    elsewhere: Option<ElsewhereNotice>,
}

/// What the notification room picker offers.
#[derive(Serialize, Default)]
struct RoomPicker {
    /// Rooms the installation may choose.
    options: Vec<RoomOption>,
    /// Why the list is missing, when HipChat did not give it.
    unavailable: Option<String>,
    /// The installation's own room, for a room installation.
    own: Option<String>,
}

impl RoomPicker {
    /// The picker for `caller`'s installation, as HipChat reports its rooms now.
    async fn load(views: &Views, caller: &Caller) -> RoomPicker {
        let installation = &caller.installation;
        let (options, unavailable) = match room_choice::options(&views.people, installation).await {
            Ok(options) => (options, None),
            Err(e) => {
                tracing::warn!(error = %e, "HipChat did not list its rooms");
                (Vec::new(), Some(e.to_string()))
            }
        };
        let own = match installation.room_id {
            Some(id) => match options.iter().find(|r| r.id == id) {
                Some(r) => Some(r.name.clone()),
                None => Some(room_choice::room_name(&views.people, installation, id).await),
            },
            None => None,
        };
        RoomPicker {
            options,
            unavailable,
            own,
        }
    }

    /// A room id shown by its name, when the picker knows it.
    fn shown(&self, typed: &str) -> Option<String> {
        let id: i64 = typed.trim().parse().ok()?;
        self.options
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.name.clone())
    }
}

/// The page showing `form` with `errors` (a page with errors is marked refused); `stored` is
/// what is saved now (the notice about settings in effect describes it, not the form).
pub async fn render(
    views: &Views,
    caller: &Caller,
    mut form: ConfigForm,
    errors: FieldErrors,
    saved: bool,
    stored: &Settings,
) -> Result<Page, ApiError> {
    let base = PageBase::new(caller, &views.services.clock)?;
    let rooms = RoomPicker::load(views, caller).await;
    if let Some(name) = rooms.shown(&form.notification_room) {
        form.notification_room = name;
    }
    let elsewhere = effective::elsewhere(views, &caller.installation, stored).await;
    let unknown_timezone = !TIMEZONES.contains(&form.timezone.as_str());
    let refused = !errors.is_empty();
    let html = views.templates.render(
        "configure.html",
        &ConfigPage {
            base: &base,
            form,
            has_errors: errors.any_shown(),
            errors,
            saved,
            rooms,
            timezones: &TIMEZONES,
            unknown_timezone,
            elsewhere,
        },
    )?;
    Ok(Page {
        refused,
        ..page(html, &base, &caller.installation)
    })
}
