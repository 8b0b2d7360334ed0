//! The "Incidents" glance: how many are open, and a lozenge that turns red while any is
//! unacknowledged, blue while all are acknowledged, green when there are none. The glance's
//! icon (the descriptor's `incidents.png`) is neutral: the state is in the lozenge alone, so all
//! clear never shows the alarm icon of incident cards.

use serde_json::json;

use crate::hipchat::message::{Html, glance_label};
use crate::hipchat::module_keys::INCIDENTS_GLANCE;
use crate::hipchat::wire::{GlanceContent, GlanceStatus, GlanceUpdate, GlanceUpdateEntry};
use crate::model::{Incident, IncidentState};

/// The glance for a room's unresolved incidents.
pub fn incidents_glance(active: &[Incident]) -> GlanceContent {
    let open = active.len();
    let unacknowledged = active
        .iter()
        .filter(|i| i.state == IncidentState::Open)
        .count();
    let label = match open {
        0 => Html::markup("No open incidents"),
        1 => Html::markup("<b>1</b> open incident"),
        n => crate::html!("<b>{}</b> open incidents", n),
    };
    let (text, kind) = match (open, unacknowledged) {
        (0, _) => ("all clear".to_owned(), "success"),
        (_, 0) => ("acknowledged".to_owned(), "current"),
        (_, n) => (format!("{n} new"), "error"),
    };
    GlanceContent {
        label: glance_label(label),
        status: Some(GlanceStatus::Lozenge {
            label: text,
            kind: kind.into(),
        }),
        metadata: Some(json!({"open": open, "unacknowledged": unacknowledged})),
    }
}

/// The push body for [`incidents_glance`].
pub fn incidents_update(active: &[Incident]) -> GlanceUpdate {
    GlanceUpdate {
        glance: vec![GlanceUpdateEntry {
            key: INCIDENTS_GLANCE.into(),
            content: incidents_glance(active),
        }],
    }
}
