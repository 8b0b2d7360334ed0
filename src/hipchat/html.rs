//! `Html`: HipChat's HTML subset as a type, escaped exactly once by construction.
//!
//! An `Html` value is made only from markup written in the source (`&'static str` literals)
//! and from text that is escaped on the way in; composing `Html` values never escapes them
//! again. So text from users or dynaBOARD cannot reach a message unescaped, and markup cannot
//! be escaped twice (which would show `&amp;lt;` to people): the compiler checks both.

use std::fmt;

use hipboard_protocol::html::escape_into;

/// HTML that is safe to send: literal markup and escaped text.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Html(String);

/// Something that can go into [`Html`]: text is escaped, `Html` is kept as it is.
pub trait ToHtml {
    /// Appends this value to `out` as HTML.
    fn write_html(&self, out: &mut String);
}

impl ToHtml for str {
    fn write_html(&self, out: &mut String) {
        escape_into(self, out);
    }
}

impl ToHtml for String {
    fn write_html(&self, out: &mut String) {
        escape_into(self, out);
    }
}

impl ToHtml for Html {
    fn write_html(&self, out: &mut String) {
        out.push_str(&self.0);
    }
}

impl<T: ToHtml + ?Sized> ToHtml for &T {
    fn write_html(&self, out: &mut String) {
        (**self).write_html(out);
    }
}

macro_rules! numbers_are_html {
    ($($t:ty),*) => {$(
        impl ToHtml for $t {
            fn write_html(&self, out: &mut String) {
                // Digits and a sign need no escaping.
                out.push_str(&self.to_string());
            }
        }
    )*};
}
numbers_are_html!(u16, u32, u64, usize, i32, i64);

impl Html {
    /// Escaped text.
    pub fn text(text: &str) -> Html {
        let mut out = String::with_capacity(text.len() + text.len() / 8);
        escape_into(text, &mut out);
        Html(out)
    }

    /// Markup written in the source, such as `"<br>"`: never data, hence `'static`.
    pub fn markup(markup: &'static str) -> Html {
        Html(markup.to_owned())
    }

    /// `template` with each `{}` replaced by the next part, text escaped and `Html` kept; the
    /// template is markup written in the source. Used through [`html!`](crate::html).
    pub fn format(template: &'static str, parts: &[&dyn ToHtml]) -> Html {
        let mut out = String::with_capacity(template.len() + 16 * parts.len());
        let mut parts = parts.iter();
        let mut pieces = template.split("{}");
        if let Some(first) = pieces.next() {
            out.push_str(first);
        }
        for piece in pieces {
            // A template with more `{}` than parts is a bug caught by the tests that render it;
            // the slot stays empty rather than panicking on a request path.
            if let Some(part) = parts.next() {
                part.write_html(&mut out);
            }
            out.push_str(piece);
        }
        Html(out)
    }

    /// Appends text, escaped.
    pub fn push_text(&mut self, text: &str) {
        escape_into(text, &mut self.0);
    }

    /// Appends markup written in the source.
    pub fn push_markup(&mut self, markup: &'static str) {
        self.0.push_str(markup);
    }

    /// Appends another piece of HTML as it is.
    pub fn push(&mut self, html: &Html) {
        self.0.push_str(&html.0);
    }

    /// The parts joined by `separator` (markup written in the source).
    pub fn join(parts: impl IntoIterator<Item = Html>, separator: &'static str) -> Html {
        let mut out = Html::default();
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                out.push_markup(separator);
            }
            out.push(&part);
        }
        out
    }

    /// The HTML as the string the wire carries.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The HTML as the string the wire carries.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Html {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Html({:?})", self.0)
    }
}

impl fmt::Display for Html {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Html> for String {
    fn from(html: Html) -> String {
        html.0
    }
}

/// Builds [`Html`] from a template literal and parts: `html!("<b>{}</b> opened {}", who, name)`
/// escapes text parts (`&str`, `String`), keeps `Html` parts, and writes numbers as digits.
#[macro_export]
macro_rules! html {
    ($template:literal $(,)?) => {
        $crate::hipchat::html::Html::markup($template)
    };
    ($template:literal, $($part:expr),+ $(,)?) => {
        $crate::hipchat::html::Html::format($template, &[$(&$part as &dyn $crate::hipchat::html::ToHtml),+])
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_once_and_html_is_kept() {
        let who = Html::text(r#"<script>alert("x&y")</script>'"#);
        assert_eq!(
            who.as_str(),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;"
        );
        let line = crate::html!("<b>{}</b> opened {} #{}", who, "a < b", 7u64);
        assert_eq!(
            line.as_str(),
            "<b>&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;</b> opened a &lt; b #7"
        );
        assert_eq!(Html::text("Zoë 🚀 שלום").as_str(), "Zoë 🚀 שלום");
    }

    #[test]
    fn composing_never_escapes_again() {
        let mut out = Html::markup("<br>");
        out.push(&Html::text("&"));
        out.push_text("&");
        assert_eq!(out.as_str(), "<br>&amp;&amp;");
        let joined = Html::join([Html::text("a&b"), crate::html!("<i>{}</i>", "c")], "<br>");
        assert_eq!(joined.as_str(), "a&amp;b<br><i>c</i>");
    }

    #[test]
    fn a_template_short_of_parts_leaves_the_slot_empty() {
        let parts: [&dyn ToHtml; 1] = [&"x"];
        assert_eq!(Html::format("{} and {}", &parts).as_str(), "x and ");
    }
}
