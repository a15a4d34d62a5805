//! QR codes of join links, as SVG for screens and PNG for print and slides.

use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode};

/// Quiet zone around the code, in modules, as the standard asks.
const QUIET: usize = 4;
/// Pixels per module in the PNG: large enough to project and print sharply.
const PNG_SCALE: usize = 12;

/// The link as an SVG image; `None` if it is too long for a QR code.
pub fn svg(link: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(link, EcLevel::M).ok()?;
    Some(code.render::<svg::Color<'_>>().min_dimensions(256, 256).quiet_zone(true).build())
}

/// The link as a black-on-white PNG; `None` if it is too long for a QR code.
pub fn png(link: &str) -> Option<Vec<u8>> {
    let code = QrCode::with_error_correction_level(link, EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let side = (width + 2 * QUIET) * PNG_SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (x, y) = ((i % width + QUIET) * PNG_SCALE, (i / width + QUIET) * PNG_SCALE);
            for row in y..y + PNG_SCALE {
                pixels[row * side + x..row * side + x + PNG_SCALE].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    let side = u32::try_from(side).ok()?;
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(&pixels).ok()?;
    writer.finish().ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_both_formats() {
        let link = "http://127.0.0.1:8080/join/ABCDEFGHJK";
        assert!(svg(link).is_some_and(|svg| svg.starts_with("<?xml") && svg.contains("<svg")));
        let png = png(link).expect("a short link fits");
        assert_eq!(&png[1..4], b"PNG");
        assert!(svg(&"x".repeat(5000)).is_none());
    }
}
