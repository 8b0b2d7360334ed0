//! Memes: the templates the add-on ships and the renderer that puts two lines of text on one,
//! as a self-contained SVG (the same input always gives the same picture).

use crate::hipchat::message::escape;

/// Longest line of meme text.
pub const MAX_TEXT: usize = 60;

/// A template: its name and SVG.
pub struct MemeTemplate {
    /// Name in URLs and forms.
    pub name: &'static str,
    /// Shown in the dialog.
    pub title: &'static str,
    /// The picture.
    pub svg: &'static str,
}

/// Every template.
pub const TEMPLATES: &[MemeTemplate] = &[
    MemeTemplate {
        name: "ship-it",
        title: "Ship it",
        svg: include_str!("../templates/memes/ship-it.svg"),
    },
    MemeTemplate {
        name: "this-is-fine",
        title: "This is fine",
        svg: include_str!("../templates/memes/this-is-fine.svg"),
    },
    MemeTemplate {
        name: "stonks",
        title: "Stonks",
        svg: include_str!("../templates/memes/stonks.svg"),
    },
    MemeTemplate {
        name: "its-a-feature",
        title: "It's a feature",
        svg: include_str!("../templates/memes/its-a-feature.svg"),
    },
];

/// A template by name.
pub fn template(name: &str) -> Option<&'static MemeTemplate> {
    TEMPLATES.iter().find(|t| t.name == name)
}

/// Checks a line of text: at most [`MAX_TEXT`] characters, no control characters.
pub fn check_text(field: &str, text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.chars().count() > MAX_TEXT {
        return Err(format!("{field} text has at most {MAX_TEXT} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err(format!("{field} text must be a single line"));
    }
    Ok(text.to_owned())
}

/// The meme as SVG: the template with `top` and `bottom` in outlined capitals.
pub fn render(template: &MemeTemplate, top: &str, bottom: &str) -> String {
    let line = |text: &str, y: u32| {
        if text.is_empty() {
            return String::new();
        }
        let upper = text.to_uppercase();
        // Shrink long lines to fit the 600-pixel width.
        let size = (940 / upper.chars().count().max(1)).clamp(20, 52);
        format!(
            r##"<text x="300" y="{y}" font-family="Impact, 'Anton', 'Arial Black', 'Helvetica Neue', sans-serif" font-size="{size}" font-weight="900" fill="#fff" stroke="#000" stroke-width="{stroke}" paint-order="stroke" stroke-linejoin="round" text-anchor="middle">{}</text>"##,
            escape(&upper),
            stroke = size / 8 + 2,
        )
    };
    let picture = template.svg.trim_start_matches(|c: char| c != '<');
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 450" width="600" height="450">{picture}{}{}</svg>"#,
        line(top, 70),
        line(bottom, 425)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_limited() {
        let svg = render(template("stonks").unwrap(), "<script>&", "ok");
        assert!(svg.contains("&lt;SCRIPT&gt;&amp;"));
        assert!(!svg.contains("<script>"));
        assert!(check_text("Top", &"x".repeat(61)).is_err());
        assert!(check_text("Top", "a\nb").is_err());
        assert_eq!(check_text("Top", "  hi "), Ok("hi".into()));
    }
}
