//! CSV text of result tables (`summary.csv`, and the calibration's `compare.csv`, `fit.csv`
//! and `generations.csv`), written with the `csv` crate.
//!
//! Fields are formatted here, not by the crate's serialiser: floats in Rust's shortest
//! round-trip `Display` form (`NaN` for NaN, never an exponent), which is what these files have
//! always held, so that they stay byte-stable and parse back to the same f64. The crate's
//! default quoting (only a field holding a comma, a quote or a line break is quoted, quotes
//! doubled) and line ends (`\n`) are those of RFC 4180 as the files were written before.

use crate::summary::SummaryRow;

/// A CSV text: the header, then one line per row of already formatted fields.
pub fn csv_text<R, F>(header: &[&str], rows: impl IntoIterator<Item = R>) -> String
where
    R: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    // Flexible: a row of another length is written as it is, not dropped.
    let mut writer = ::csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    // Writing to memory cannot fail, and every field is valid UTF-8, so neither can the text.
    let _ = writer.write_record(header);
    for row in rows {
        let _ = writer.write_record(row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// The text of `summary.csv`: header `series,year,mean,sd,p05,p95`, then one line per row.
///
/// The text depends on nothing but `rows`: same rows, same bytes.
pub fn summary_csv(rows: &[SummaryRow]) -> String {
    csv_text(
        &["series", "year", "mean", "sd", "p05", "p95"],
        rows.iter().map(|r| {
            [
                r.series.clone(),
                r.year.to_string(),
                r.mean.to_string(),
                r.sd.to_string(),
                r.p05.to_string(),
                r.p95.to_string(),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_line_ends_are_rfc_4180() {
        let text = csv_text(&["a", "b"], [["North Kazakhstan", "a,b"], ["say \"hi\"", "two\nlines"]]);
        assert_eq!(text, "a,b\nNorth Kazakhstan,\"a,b\"\n\"say \"\"hi\"\"\",\"two\nlines\"\n");
    }

    #[test]
    fn floats_in_shortest_round_trip_display_form() {
        let row = SummaryRow { series: "s".into(), year: 2000, mean: 1e-7, sd: f64::NAN, p05: 0.1 + 0.2, p95: 1e21 };
        assert_eq!(
            summary_csv(&[row]),
            "series,year,mean,sd,p05,p95\ns,2000,0.0000001,NaN,0.30000000000000004,1000000000000000000000\n"
        );
    }
}
