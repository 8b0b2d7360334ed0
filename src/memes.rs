//! Memes: the templates the add-on ships and the renderer that puts two lines of text on one,
//! as a self-contained SVG (the same input always gives the same picture).

use crate::hipchat::html::Html;

/// Longest text of a meme's top or bottom.
pub const MAX_TEXT: usize = 100;

/// Picture size, in SVG units.
const WIDTH: f32 = 600.0;
const HEIGHT: f32 = 450.0;
/// Room between the text and the picture's edges.
const MARGIN: f32 = 20.0;
/// Width of an average capital, and of a space, as a share of the font size. Impact is
/// narrower; these are the widths of the bold sans-serif a browser falls back to without it
/// (DejaVu Sans Bold), so the text fits either way.
const CAPITAL_WIDTH: f32 = 0.76;
const SPACE_WIDTH: f32 = 0.35;
/// Largest font size, and most lines per text.
const MAX_SIZE: f32 = 52.0;
const MAX_LINES: usize = 3;

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

/// The meme as SVG: the template with `top` and `bottom` in outlined capitals, each wrapped onto
/// up to three lines and sized to fit the picture's width.
pub fn render(template: &MemeTemplate, top: &str, bottom: &str) -> String {
    let picture = template.svg.trim_start_matches(|c: char| c != '<');
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 450" width="600" height="450">{picture}{}{}</svg>"#,
        text_block(top, Edge::Top),
        text_block(bottom, Edge::Bottom)
    )
}

/// Which edge of the picture a text hangs from.
#[derive(Clone, Copy)]
enum Edge {
    Top,
    Bottom,
}

/// One text as SVG `<text>` lines, stacked down from the top or up from the bottom.
fn text_block(text: &str, edge: Edge) -> String {
    if text.is_empty() {
        return String::new();
    }
    let (lines, size) = layout(&text.to_uppercase());
    let step = size * 1.1;
    let first = match edge {
        Edge::Top => MARGIN + size,
        Edge::Bottom => HEIGHT - MARGIN + 4.0 - step * (lines.len() - 1) as f32,
    };
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| svg_text(line, first + step * i as f32, size))
        .collect()
}

/// One line in outlined capitals, centred, with its baseline at `y`.
fn svg_text(line: &str, y: f32, size: f32) -> String {
    format!(
        r##"<text x="300" y="{y:.0}" font-family="Impact, 'Anton', 'Arial Black', 'Helvetica Neue', sans-serif" font-size="{size:.0}" font-weight="900" fill="#fff" stroke="#000" stroke-width="{stroke:.0}" paint-order="stroke" stroke-linejoin="round" text-anchor="middle">{}</text>"##,
        Html::text(line),
        stroke = size / 8.0 + 2.0,
    )
}

/// The lines and font size that show `text` largest: one to [`MAX_LINES`] lines, each as wide
/// as the picture allows.
fn layout(text: &str) -> (Vec<String>, f32) {
    (1..=MAX_LINES)
        .map(|n| balanced(text, n))
        .map(|lines| {
            let widest = lines.iter().map(|l| em_width(l)).fold(1.0, f32::max);
            let size = ((WIDTH - 2.0 * MARGIN) / widest).min(MAX_SIZE).floor();
            (lines, size)
        })
        .fold(
            (Vec::new(), 0.0),
            |best, next| {
                if next.1 > best.1 { next } else { best }
            },
        )
}

/// `text` on at most `n` lines, as even as word breaks allow.
fn balanced(text: &str, n: usize) -> Vec<String> {
    let total = text.chars().count();
    (total.div_ceil(n)..total)
        .map(|width| wrap(text, width))
        .find(|lines| lines.len() <= n)
        .unwrap_or_else(|| wrap(text, total))
}

/// Estimated width of a line, in units of the font size.
fn em_width(line: &str) -> f32 {
    line.chars()
        .map(|c| if c == ' ' { SPACE_WIDTH } else { CAPITAL_WIDTH })
        .sum()
}

/// Words filled into lines of at most `width` characters; a longer word is cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace().flat_map(|w| pieces(w, width)) {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `word` in pieces of at most `width` characters.
fn pieces(word: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    chars.chunks(width).map(|c| c.iter().collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_limited() {
        let svg = render(template("stonks").unwrap(), "<script>&", "ok");
        assert!(svg.contains("&lt;SCRIPT&gt;&amp;"));
        assert!(!svg.contains("<script>"));
        assert!(check_text("Top", &"x".repeat(MAX_TEXT + 1)).is_err());
        assert!(check_text("Top", "a\nb").is_err());
        assert_eq!(check_text("Top", "  hi "), Ok("hi".into()));
    }

    #[test]
    fn long_text_wraps_onto_lines_that_fit_the_width() {
        let text = "when the deploy goes green on a friday afternoon and nobody is around to see it happen at all ok";
        let (lines, size) = layout(&text.to_uppercase());
        assert!((2..=MAX_LINES).contains(&lines.len()), "{lines:?}");
        for line in &lines {
            assert!(
                em_width(line) * size <= WIDTH - 2.0 * MARGIN,
                "{line} at {size}"
            );
        }
        assert!(size >= 20.0, "{size}");
        assert_eq!(lines.join(" "), text.to_uppercase());
        let (short, size) = layout("SHIP IT");
        assert_eq!((short.len(), size), (1, MAX_SIZE));
        let (cut, _) = layout(&"X".repeat(MAX_TEXT));
        assert!(cut.len() <= MAX_LINES && cut.concat() == "X".repeat(MAX_TEXT));
    }
}
