//! Latency histograms as the report carries them: percentiles in milliseconds beside the
//! whole histogram, serialised as HdrHistogram V2 (deflate-compressed, base64, the format
//! every HdrHistogram library reads), so reports of several processes merge exactly.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};

use super::Percentiles;

/// A histogram of microseconds, 1 µs to 1 hour, 3 significant digits (values beyond
/// saturate): the one shape of every latency histogram of a run, and of a merge.
pub fn histogram() -> Histogram<u64> {
    // Bounds and precision are constants that hdrhistogram accepts.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).unwrap_or_else(|_| unreachable!())
}

/// `h` as HdrHistogram V2 deflate, in base64 (`HISTFAAA…`); `None` if it cannot be
/// serialised (it always can: the error cases are I/O on a `Vec`).
pub fn encode(h: &Histogram<u64>) -> Option<String> {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new().serialize(h, &mut bytes).ok()?;
    Some(STANDARD.encode(bytes))
}

/// The histogram [`encode`] wrote, or what is wrong with `text`.
pub fn decode(text: &str) -> Result<Histogram<u64>, String> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|e| format!("not base64: {e}"))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("not an HdrHistogram V2 histogram: {e:?}"))
}

/// The percentiles of a histogram of microseconds, in milliseconds, with the histogram
/// itself (`hdr`).
pub fn percentiles(h: &Histogram<u64>) -> Percentiles {
    if h.is_empty() {
        return Percentiles {
            hdr: encode(h),
            ..Percentiles::default()
        };
    }
    let ms = |v: u64| v as f64 / 1000.0;
    Percentiles {
        count: h.len(),
        mean: h.mean() / 1000.0,
        p50: ms(h.value_at_quantile(0.50)),
        p90: ms(h.value_at_quantile(0.90)),
        p99: ms(h.value_at_quantile(0.99)),
        p999: ms(h.value_at_quantile(0.999)),
        max: ms(h.max()),
        hdr: encode(h),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_survives_the_round_trip_through_base64_v2_deflate() {
        let mut h = histogram();
        for v in [1, 7, 250, 999, 1_000, 12_345, 3_600_000_000, u64::MAX] {
            h.saturating_record(v);
        }
        let text = encode(&h).unwrap();
        assert!(text.starts_with("HISTF"), "{text}");
        let back = decode(&text).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.len(), 8);
        assert_eq!(
            back.value_at_quantile(0.99),
            h.value_at_quantile(0.99),
            "same percentiles"
        );
        assert_eq!(
            percentiles(&back).p999.to_bits(),
            percentiles(&h).p999.to_bits()
        );
    }

    #[test]
    fn text_that_is_no_histogram_is_refused_with_the_reason() {
        assert!(decode("%%%").unwrap_err().starts_with("not base64"));
        assert!(
            decode("aGVsbG8=")
                .unwrap_err()
                .starts_with("not an HdrHistogram V2 histogram")
        );
        let empty = histogram();
        assert_eq!(decode(&encode(&empty).unwrap()).unwrap().len(), 0);
    }
}
