//! The self-contained HTML page: a [`Page`] collects HTML fragments and the [`Chart`]s its
//! figures show, and [`Page::finish`] wraps them in one document with everything inlined: the
//! vendored chart library (uPlot, `assets/vendor/uplot/`), the page's own script and style
//! (`assets/report/`), and the charts' data as `<script type="application/json">`.
//!
//! The page makes no network request of any kind, and says so to the browser as well: its
//! Content-Security-Policy allows only inline scripts and styles and `data:` images, so even a
//! stray URL could not be fetched. What a page is about (a run against the published figures,
//! a comparison of two scenarios) is up to its builder; this module knows only charts and
//! fragments.

use serde::Serialize;

use super::chart::Chart;

/// The version of the vendored chart library, named in the page's footer.
pub const UPLOT_VERSION: &str = "1.6.32";
const UPLOT_JS: &str = include_str!("../../assets/vendor/uplot/uPlot.iife.min.js");
const UPLOT_CSS: &str = include_str!("../../assets/vendor/uplot/uPlot.min.css");
const PAGE_JS: &str = include_str!("../../assets/report/report.js");
const PAGE_CSS: &str = include_str!("../../assets/report/report.css");

/// Said in a page's footer.
pub const OFFLINE_NOTE: &str =
    "The page makes no network request: it opens offline and can be copied or mailed as one file.";

/// The id of the `<script type="application/json">` element holding the data.
pub const DATA_ELEMENT_ID: &str = "caseflow-data";

/// No network, no plugins, no forms: inline scripts and styles only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; \
     style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/// Height of an interactive chart's plot area container, in CSS pixels.
const CHART_HEIGHT_PX: u32 = 300;

/// Text made safe for HTML and XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page under construction.
#[derive(Debug, Default)]
pub struct Page {
    title: String,
    body: String,
    charts: Vec<Chart>,
    /// Attributes of `<body>`, already escaped (`name="value"` pairs).
    body_attributes: Vec<(String, String)>,
}

impl Page {
    /// An empty page whose `<title>` is `title`.
    pub fn new(title: &str) -> Page {
        Page { title: title.to_string(), ..Page::default() }
    }

    /// Appends an HTML fragment, taken as written: escape any text in it with [`escape`].
    pub fn html(&mut self, fragment: &str) {
        self.body.push_str(fragment);
    }

    /// Sets an attribute of `<body>` (e.g. a count a test or a browser check reads).
    pub fn body_attribute(&mut self, name: &str, value: &str) {
        self.body_attributes.push((escape(name), escape(value)));
    }

    /// A fresh chart id for this page (`c0`, `c1`, ... in the order charts are added).
    pub fn next_chart_id(&self) -> String {
        format!("c{}", self.charts.len())
    }

    /// Appends a figure drawing `chart` (its id must come from [`Page::next_chart_id`]) with
    /// the caption `caption_html`; `anchor` is the figure's id, for links to it.
    pub fn figure(&mut self, chart: Chart, anchor: &str, caption_html: &str) {
        self.body.push_str(&format!(
            "<figure class=\"chart\" id=\"{}\"><figcaption>{caption_html}</figcaption>\
             <div class=\"plot\" data-chart=\"{}\" style=\"min-height:{CHART_HEIGHT_PX}px\"></div></figure>\n",
            escape(anchor),
            escape(&chart.id)
        ));
        self.charts.push(chart);
    }

    /// The finished document. The embedded data is `{"kind": kind, "charts": [...], "meta":
    /// meta}`: the page's script reads only `charts`; `meta` carries what the page is about,
    /// for readers who take the data out of the page.
    ///
    /// # Errors
    /// When `meta` cannot be serialised as JSON.
    pub fn finish<M: Serialize>(self, kind: &str, meta: &M) -> Result<String, serde_json::Error> {
        #[derive(Serialize)]
        struct Data<'a, M: Serialize> {
            kind: &'a str,
            charts: &'a [Chart],
            meta: &'a M,
        }
        let mut page = self;
        page.body_attribute("data-charts-total", &page.charts.len().to_string());
        let json = serde_json::to_string(&Data { kind, charts: &page.charts, meta })?;
        let attributes: String = page.body_attributes.iter().map(|(k, v)| format!(" {k}=\"{v}\"")).collect();
        let mut out = String::with_capacity(page.body.len() + json.len() + UPLOT_JS.len() + 16 * 1024);
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        out.push_str(&format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{CONTENT_SECURITY_POLICY}\">\n"));
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        out.push_str(&format!("<meta name=\"generator\" content=\"caseflow {}\">\n", crate::output::CRATE_VERSION));
        out.push_str(&format!("<title>{}</title>\n", escape(&page.title)));
        out.push_str(&format!(
            "<style>\n/* uPlot {UPLOT_VERSION} (MIT) */\n{}\n</style>\n",
            inline(UPLOT_CSS, "style")
        ));
        out.push_str(&format!("<style>\n{}</style>\n", inline(PAGE_CSS, "style")));
        out.push_str("</head>\n");
        out.push_str(&format!("<body{attributes}>\n"));
        out.push_str(
            "<noscript><p class=\"warning\">The charts are drawn by JavaScript inside this page (nothing is \
             downloaded); with scripts off, the tables below still hold every figure.</p></noscript>\n",
        );
        out.push_str(&page.body);
        out.push_str(&format!(
            "<script type=\"application/json\" id=\"{DATA_ELEMENT_ID}\">{}</script>\n",
            json_for_script(&json)
        ));
        out.push_str(&format!("<script>\n{}\n</script>\n", inline(UPLOT_JS, "script")));
        out.push_str(&format!("<script>\n{}</script>\n", inline(PAGE_JS, "script")));
        out.push_str("</body>\n</html>\n");
        Ok(out)
    }
}

/// JSON safe inside `<script>`: `<`, `>` and `&` (which JSON allows only inside strings) as
/// `\u` escapes, so no `</script>` in a series name or a command line can end the element;
/// U+2028 and U+2029 too, for old JavaScript parsers.
fn json_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// An asset's text for inlining in a `<script>` or `<style>` element: a closing tag inside it
/// would end the element early, so it is broken up (`<\/script`, valid in JavaScript strings
/// and regular expressions, the only places such text can occur). The vendored files contain
/// none (a unit test checks), so this only guards future updates.
fn inline(text: &str, element: &str) -> String {
    let closing = format!("</{element}");
    if !text.to_ascii_lowercase().contains(&closing) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    let lower = text.to_ascii_lowercase();
    let mut last = 0;
    for (i, _) in lower.match_indices(&closing) {
        out.push_str(&text[last..i]);
        out.push_str("<\\/");
        last = i + 2;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_assets_inline_unchanged() {
        for (text, element) in [(UPLOT_JS, "script"), (PAGE_JS, "script"), (UPLOT_CSS, "style"), (PAGE_CSS, "style")] {
            assert_eq!(inline(text, element), text);
        }
        assert_eq!(inline("a</SCRIPT>b</script", "script"), "a<\\/SCRIPT>b<\\/script");
    }

    #[test]
    fn data_cannot_end_its_script_element() {
        let json =
            serde_json::to_string(&"</script><script>alert(1)</script> & \u{2028}").expect("a string serialises");
        let safe = json_for_script(&json);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        let back: String = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, "</script><script>alert(1)</script> & \u{2028}");
    }

    #[test]
    fn a_page_embeds_its_charts_and_escapes_text() {
        let mut page = Page::new("a <test>");
        let chart = Chart::simulated(&page.next_chart_id(), "a.count", "cases", &[2000], &[1.0], &[0.5], &[1.5], &[]);
        page.html("<h1>x</h1>");
        page.figure(chart, "s-a", "<code>a.count</code>");
        page.body_attribute("data-charts-main", "1");
        let html = page.finish("test", &()).expect("the page serialises");
        assert!(html.contains("<title>a &lt;test&gt;</title>"));
        assert!(html.contains(r#"<body data-charts-main="1" data-charts-total="1">"#));
        assert!(html.contains(r#"data-chart="c0""#));
        let start = html.find(r#"id="caseflow-data">"#).expect("the data element") + r#"id="caseflow-data">"#.len();
        let end = start + html[start..].find("</script>").expect("its end");
        let data: serde_json::Value = serde_json::from_str(&html[start..end]).expect("the data is JSON");
        assert_eq!(data["charts"][0]["id"], "c0");
        assert_eq!(data["kind"], "test");
    }
}
