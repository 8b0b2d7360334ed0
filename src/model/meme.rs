//! Posted memes: template and text, so each has a stable URL the add-on renders on request.

use serde::{Deserialize, Serialize};

/// A meme as posted: template and the two lines of text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meme {
    /// Unguessable id in its URL.
    pub id: String,
    /// Template name.
    pub template: String,
    /// Top text.
    pub top: String,
    /// Bottom text.
    pub bottom: String,
    /// Who posted it.
    pub by: String,
    /// Unix seconds.
    pub at: i64,
}
