//! `summary.csv`: the summary across runs as byte-stable text.

use std::fmt::Write as _;

use crate::summary::SummaryRow;

/// The text of `summary.csv`: header `series,year,mean,sd,p05,p95`, then one line per row.
///
/// Floats use Rust's shortest round-trip formatting (`NaN` for NaN), so parsing a value back
/// gives the same f64. The text depends on nothing but `rows`: same rows, same bytes.
pub fn summary_csv(rows: &[SummaryRow]) -> String {
    let mut out = String::from("series,year,mean,sd,p05,p95\n");
    for row in rows {
        // Writing to a String cannot fail.
        let _ =
            writeln!(out, "{},{},{},{},{},{}", csv_field(&row.series), row.year, row.mean, row.sd, row.p05, row.p95);
    }
    out
}

/// Quotes a field per RFC 4180 when it contains a delimiter, a quote or a line break.
fn csv_field(field: &str) -> std::borrow::Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\"")).into()
    } else {
        field.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("North Kazakhstan"), "North Kazakhstan");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
