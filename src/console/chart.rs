//! Charts of the staff console, drawn on the server as inline SVG.
//!
//! Drawn with `plotters` (SVG backend only, no font feature): text goes out as
//! `<text font-family="sans-serif">` elements that the browser lays out with its own
//! fonts, so nothing is read from disk and no font is embedded. Plotters escapes the
//! text it writes (`<`, `>`, `&`, quotes); the `aria-label` that this module adds to
//! the `<svg>` tag is escaped here. Every coordinate is an integer and there are no
//! light grid lines, so a 90-day chart stays a few tens of kilobytes.
//!
//! Both functions never panic and always return a well-formed `<svg>`: empty or
//! all-zero data gives an empty chart with an axis 0..1, negative counts are drawn as 0.

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One day of the codes chart.
pub struct DayCodes {
    pub day: NaiveDate,
    pub new: i64,
    pub returning: i64,
}

/// Words drawn in the codes chart, in the page's language (French or English).
pub struct CodesChartLabels<'a> {
    pub new: &'a str,
    pub returning: &'a str,
    pub title: &'a str,
}

/// One stage of the funnel chart.
pub struct FunnelBar<'a> {
    pub label: &'a str,
    pub reached: i64,
    pub left: i64,
}

/// Words drawn in the funnel chart, in the page's language (French or English).
pub struct FunnelChartLabels<'a> {
    /// The legend of each bar's part that did not leave (the whole bar is "reached").
    pub stayed: &'a str,
    pub left: &'a str,
    pub title: &'a str,
}

/// Dark blue: new codes, and stages reached (contrast 8:1 on white).
const BLUE: RGBColor = RGBColor(0x1F, 0x4E, 0x99);
/// Orange: returning clients, and those who left (contrast 3.3:1 on white). Blue and
/// orange stay apart under every common colour-vision deficiency.
const ORANGE: RGBColor = RGBColor(0xE0, 0x6C, 0x00);
const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
const AXIS: RGBColor = RGBColor(0x76, 0x76, 0x76);
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);

/// Width of both charts in SVG units; the `<svg>` itself is `width="100%"`.
const WIDTH: u32 = 880;
/// Height of the codes chart.
const CODES_HEIGHT: u32 = 300;
/// The legend row above the plot.
const HEADER: u32 = 28;
/// Plotters writes `font-size` as size / 1.24: 14.88 gives "12".
const TEXT_SIZE: f64 = 14.88;
/// Height of one funnel stage, and at most this many characters of its label.
const FUNNEL_ROW: u32 = 34;
const FUNNEL_LABEL_CHARS: usize = 28;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type DrawResult<T> = Result<T, Box<dyn std::error::Error + 'static>>;

/// Stacked bars per day (new at the bottom, returning on top), a y axis with integer
/// ticks, a few date labels (dd/mm) on the x axis, and a legend. Returns an `<svg …>`
/// with `role="img"`, an `aria-label` equal to the title, a `viewBox` and
/// `width="100%"`, so that it scales to the width of a phone.
pub fn codes_per_day_svg(days: &[DayCodes], labels: &CodesChartLabels) -> String {
    render(labels.title, (WIDTH, CODES_HEIGHT), |root| {
        draw_codes(root, days, labels)
    })
}

/// Horizontal bars, one per stage from top to bottom: the whole bar is the number who
/// reached the stage, its right-hand part (in orange) those who left at that stage.
/// `left` is clamped to `0..=reached`. Same `<svg>` attributes as
/// [`codes_per_day_svg`]; the height grows with the number of stages.
pub fn funnel_svg(stages: &[FunnelBar], labels: &FunnelChartLabels) -> String {
    let rows = stages.len().clamp(1, 200) as u32;
    let height = HEADER + 8 + rows * FUNNEL_ROW + 28;
    render(labels.title, (WIDTH, height), |root| {
        draw_funnel(root, stages, labels)
    })
}

/// Draws with `draw` on an SVG of `size`, then turns plotters' `<svg>` tag into ours.
/// Should drawing fail (it does not, on an in-memory SVG), the chart is left empty.
fn render(title: &str, size: (u32, u32), draw: impl FnOnce(&Area) -> DrawResult<()>) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let drawn = draw(&root).and_then(|()| Ok(root.present()?));
        if let Err(err) = drawn {
            tracing::warn!(error = %err, "chart drawing failed");
        }
    }
    let body = match (svg.find("<svg"), svg.rfind("</svg>")) {
        (Some(start), Some(_)) => match svg[start..].find('>') {
            Some(end) => svg[start + end + 1..].to_string(),
            None => "</svg>\n".to_string(),
        },
        _ => "</svg>\n".to_string(),
    };
    let mut out = String::with_capacity(body.len() + 200);
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" width=\"100%\" role=\"img\" aria-label=\"",
        size.0, size.1
    ));
    escape_into(&mut out, title);
    out.push_str("\">");
    // plotters writes `opacity="1"` on every shape; it is the default.
    out.push_str(&body.replace(" opacity=\"1\"", ""));
    out
}

/// XML-escapes `text` for an attribute value or text node.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// The text drawn by plotters, with control characters (not allowed in XML) replaced.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn text_style(size: f64) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&INK)
}

/// The legend (swatch and words) above the chart. The title is not drawn: the page's
/// heading says it, and the `aria-label` carries it for screen readers.
fn draw_header(root: &Area, legend: &[(&str, RGBColor)], left: i32) -> DrawResult<()> {
    let style = text_style(TEXT_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = left;
    for (word, colour) in legend {
        let word = clean(word);
        root.draw(&Rectangle::new([(x, 7), (x + 12, 19)], colour.filled()))?;
        root.draw(&Text::new(word.clone(), (x + 17, 13), style.clone()))?;
        let (w, _) = root.estimate_text_size(&word, &style)?;
        x += 17 + w.min(WIDTH) as i32 + 18;
    }
    Ok(())
}

/// A "nice" integer axis 0..=max with about five ticks: (max, ticks).
fn integer_axis(largest: i64) -> (i64, Vec<i64>) {
    let largest = largest.max(0);
    if largest == 0 {
        return (1, vec![0, 1]);
    }
    let raw = (largest as f64 / 5.0).max(1.0);
    let magnitude = 10f64.powi(raw.log10().floor() as i32);
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        // 2.5 only where it stays a whole number (25, 250, …).
        .find(|s| *s >= raw && s.fract() == 0.0)
        .unwrap_or(10.0 * magnitude)
        .round()
        .max(1.0) as i64;
    let count = largest / step + i64::from(largest % step != 0);
    let max = count.saturating_mul(step);
    let ticks = (0..=count).map(|k| k.saturating_mul(step)).collect();
    (max, ticks)
}

/// `1234567` as "1 234 567", with no-break spaces (read the same in French and English).
fn group_digits(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 2 + 1);
    if value < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{a0}');
        }
        out.push(d);
    }
    out
}

/// Sub-divisions of one day (or funnel row) on its axis: plotters has no custom ticks
/// on an `f64` axis, so day `i` spans `i * SLOT .. (i + 1) * SLOT` of an integer axis.
const SLOT: i64 = 100;

/// The centres of the days that get a date label: the last day, then every `step`
/// days back, at most seven labels.
fn date_ticks(count: usize) -> Vec<i64> {
    if count == 0 {
        return vec![];
    }
    let step = [1, 2, 3, 4, 5, 7, 10, 14, 15, 20, 30, 60, 90, 120, 180, 365]
        .into_iter()
        .find(|s| count.div_ceil(*s) <= 7)
        .unwrap_or_else(|| count.div_ceil(7));
    let last = count - 1;
    let mut ticks: Vec<i64> = (0..)
        .map(|k| k * step)
        .take_while(|back| *back <= last)
        .map(|back| (last - back) as i64 * SLOT + SLOT / 2)
        .collect();
    ticks.reverse();
    ticks
}

fn draw_codes(root: &Area, days: &[DayCodes], labels: &CodesChartLabels) -> DrawResult<()> {
    root.fill(&WHITE)?;
    let largest = days
        .iter()
        .map(|d| d.new.max(0).saturating_add(d.returning.max(0)))
        .max()
        .unwrap_or(0);
    let (y_max, y_ticks) = integer_axis(largest);
    let tick_style = text_style(TEXT_SIZE);
    let y_label_width = y_ticks
        .iter()
        .map(|t| root.estimate_text_size(&group_digits(*t), &tick_style))
        .try_fold(0u32, |w, size| size.map(|(tw, _)| w.max(tw)))?;
    let y_area = y_label_width + 12;
    draw_header(root, &[(labels.new, BLUE), (labels.returning, ORANGE)], 8)?;

    let count = days.len();
    let (_, body) = root.split_vertically(HEADER);
    let mut chart = ChartBuilder::on(&body)
        .margin_top(8)
        .margin_left(8)
        .margin_right(24)
        .margin_bottom(4)
        .x_label_area_size(24)
        .y_label_area_size(y_area)
        .build_cartesian_2d(
            (0i64..count.max(1) as i64 * SLOT).with_key_points(date_ticks(count)),
            (0i64..y_max).with_key_points(y_ticks),
        )?;
    let date_label = |x: &i64| match days.get((*x / SLOT) as usize) {
        Some(d) if *x >= 0 => d.day.format("%d/%m").to_string(),
        _ => String::new(),
    };
    let y_label = |y: &i64| group_digits(*y);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID.stroke_width(1))
        .axis_style(AXIS.stroke_width(1))
        .label_style(tick_style.clone())
        .x_label_formatter(&date_label)
        .y_label_formatter(&y_label)
        .draw()?;

    // A gap of about 1 px between bars when a bar is at least 4 px wide.
    let plot_width = i64::from(chart.plotting_area().dim_in_pixel().0.max(1));
    let slots = count.max(1) as i64 * SLOT;
    let gap = if plot_width >= 4 * count.max(1) as i64 {
        (slots + plot_width) / (2 * plot_width)
    } else {
        0
    };
    let bar = |i: usize, from: i64, to: i64, colour: RGBColor| {
        let x = i as i64 * SLOT;
        Rectangle::new([(x + gap, from), (x + SLOT - gap, to)], colour.filled())
    };
    chart.draw_series(
        days.iter()
            .enumerate()
            .filter(|(_, d)| d.new > 0)
            .map(|(i, d)| bar(i, 0, d.new.min(y_max), BLUE)),
    )?;
    chart.draw_series(
        days.iter()
            .enumerate()
            .filter(|(_, d)| d.returning > 0)
            .map(|(i, d)| {
                let base = d.new.max(0);
                bar(i, base, base.saturating_add(d.returning).min(y_max), ORANGE)
            }),
    )?;
    Ok(())
}

fn draw_funnel(root: &Area, stages: &[FunnelBar], labels: &FunnelChartLabels) -> DrawResult<()> {
    root.fill(&WHITE)?;
    let stages = &stages[..stages.len().min(200)];
    let count = stages.len();
    let largest = stages.iter().map(|s| s.reached.max(0)).max().unwrap_or(0);
    let (x_max, x_ticks) = integer_axis(largest);
    let tick_style = text_style(TEXT_SIZE);
    let names: Vec<String> = stages
        .iter()
        .map(|s| {
            let name = clean(s.label);
            if name.chars().count() > FUNNEL_LABEL_CHARS {
                let mut short: String = name.chars().take(FUNNEL_LABEL_CHARS - 1).collect();
                short.push('…');
                short
            } else {
                name
            }
        })
        .collect();
    let label_width = names
        .iter()
        .map(|n| root.estimate_text_size(n, &tick_style))
        .try_fold(0u32, |w, size| size.map(|(tw, _)| w.max(tw)))?;
    let y_area = (label_width + 12).clamp(40, WIDTH * 2 / 5);
    draw_header(root, &[(labels.stayed, BLUE), (labels.left, ORANGE)], 8)?;

    let (_, body) = root.split_vertically(HEADER);
    let rows = count.max(1);
    // Stage 0 at the top: row r of the y axis shows stage count - 1 - r.
    let row_ticks = (0..count as i64).map(|r| r * SLOT + SLOT / 2).collect();
    let mut chart = ChartBuilder::on(&body)
        .margin_top(8)
        .margin_left(8)
        .margin_right(24)
        .margin_bottom(4)
        .x_label_area_size(24)
        .y_label_area_size(y_area)
        .build_cartesian_2d(
            (0i64..x_max).with_key_points(x_ticks),
            (0i64..rows as i64 * SLOT).with_key_points(row_ticks),
        )?;
    let x_label = |x: &i64| group_digits(*x);
    let stage_label = |y: &i64| {
        let r = (*y / SLOT) as usize;
        match names.get(count.wrapping_sub(1).wrapping_sub(r)) {
            Some(name) if *y >= 0 => name.clone(),
            _ => String::new(),
        }
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(GRID.stroke_width(1))
        .axis_style(AXIS.stroke_width(1))
        .label_style(tick_style.clone())
        .x_label_formatter(&x_label)
        .y_label_formatter(&stage_label)
        .draw()?;

    // Bars fill the middle 60 % of their row.
    let row = |i: usize| (count - 1 - i) as i64 * SLOT;
    chart.draw_series(stages.iter().enumerate().filter_map(|(i, s)| {
        let reached = s.reached.max(0);
        let stayed = reached - s.left.clamp(0, reached);
        (stayed > 0).then(|| {
            let y = row(i);
            Rectangle::new(
                [(0, y + SLOT / 5), (stayed, y + SLOT * 4 / 5)],
                BLUE.filled(),
            )
        })
    }))?;
    chart.draw_series(stages.iter().enumerate().filter_map(|(i, s)| {
        let reached = s.reached.max(0);
        let left = s.left.clamp(0, reached);
        (left > 0).then(|| {
            let y = row(i);
            Rectangle::new(
                [(reached - left, y + SLOT / 5), (reached, y + SLOT * 4 / 5)],
                ORANGE.filled(),
            )
        })
    }))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::events::Event;
    use quick_xml::Reader;

    /// Reads every XML event; panics on malformed XML. Returns the number of blue and
    /// of orange bars (`<rect>`s of that fill, less the legend's swatch), and the
    /// `aria-label` of the root.
    fn parse(svg: &str) -> (usize, usize, String) {
        let mut reader = Reader::from_str(svg);
        reader.config_mut().check_end_names = true;
        let (mut blue, mut orange, mut aria, mut elements) = (0, 0, String::new(), 0);
        loop {
            match reader.read_event() {
                Err(e) => panic!("malformed SVG at {}: {e}\n{svg}", reader.buffer_position()),
                Ok(Event::Eof) => break,
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                    elements += 1;
                    let name = e.name().as_ref().to_vec();
                    assert_eq!(name == b"svg", elements == 1, "one <svg>, the root");
                    for a in e.attributes() {
                        let a = a.expect("attribute");
                        let value = a.unescape_value().expect("attribute unescapes");
                        match (&name[..], a.key.as_ref()) {
                            (b"svg", b"aria-label") => aria = value.into_owned(),
                            (b"rect", b"fill") if value == "#1F4E99" => blue += 1,
                            (b"rect", b"fill") if value == "#E06C00" => orange += 1,
                            _ => {}
                        }
                    }
                }
                Ok(Event::Text(t)) => {
                    t.unescape().expect("text unescapes");
                }
                Ok(_) => {}
            }
        }
        assert!(blue >= 1 && orange >= 1, "legend swatches");
        (blue - 1, orange - 1, aria)
    }

    /// Whether `words` are drawn as a `<text>` (plotters puts them on a line of their own).
    fn has_text(svg: &str, words: &str) -> bool {
        svg.contains(&format!(">\n{words}\n</text>"))
    }

    fn labels() -> CodesChartLabels<'static> {
        CodesChartLabels {
            new: "Nouveaux",
            returning: "Déjà venus",
            title: "Codes par jour",
        }
    }

    fn days(n: usize, value: impl Fn(usize) -> (i64, i64)) -> Vec<DayCodes> {
        let start = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
        (0..n)
            .map(|i| {
                let (new, returning) = value(i);
                DayCodes {
                    day: start + chrono::Days::new(i as u64),
                    new,
                    returning,
                }
            })
            .collect()
    }

    #[test]
    fn ninety_days_draw_bars_and_stay_small() {
        let data = days(90, |i| ((i % 17) as i64 * 3 + 1, (i % 5) as i64 * 2 + 1));
        let svg = codes_per_day_svg(&data, &labels());
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("width=\"100%\""));
        assert!(svg.contains("viewBox=\"0 0 880 300\""));
        let (blue, orange, aria) = parse(&svg);
        assert_eq!(aria, "Codes par jour");
        assert_eq!((blue, orange), (90, 90));
        // Seven dates, two weeks apart, ending on the last day.
        for date in [
            "06/09", "20/09", "04/10", "18/10", "01/11", "15/11", "29/11",
        ] {
            assert!(has_text(&svg, date), "date label {date}");
        }
        assert!(!has_text(&svg, "01/09") && !has_text(&svg, "07/09"));
        assert!(svg.len() < 40_000, "90-day chart is {} bytes", svg.len());
        assert!(!svg.contains("font-face") && !svg.contains("base64"));
    }

    #[test]
    fn thirty_days_and_large_values() {
        let data = days(30, |i| (1_000_000, (i as i64) * 10_000));
        let svg = codes_per_day_svg(&data, &labels());
        let (blue, orange, _) = parse(&svg);
        assert_eq!(blue, 30);
        assert_eq!(orange, 29); // day 0 has no returning clients
        assert!(svg.contains("1\u{a0}000\u{a0}000"), "grouped y labels");
        let data = days(90, |_| (1_000_000, 1_000_000));
        let svg = codes_per_day_svg(&data, &labels());
        assert_eq!(parse(&svg).0, 90);
        assert!(svg.len() < 40_000);
        let data = days(3, |_| (i64::MAX, i64::MAX));
        parse(&codes_per_day_svg(&data, &labels()));
    }

    #[test]
    fn empty_and_zero_data_draw_an_empty_chart() {
        for data in [
            days(0, |_| (0, 0)),
            days(30, |_| (0, 0)),
            days(1, |_| (-5, -1)),
        ] {
            let svg = codes_per_day_svg(&data, &labels());
            let (blue, orange, aria) = parse(&svg);
            assert_eq!((blue, orange), (0, 0));
            assert_eq!(aria, "Codes par jour");
            assert!(has_text(&svg, "0") && has_text(&svg, "1"), "axis 0..1");
        }
        let svg = funnel_svg(&[], &funnel_labels("Entonnoir"));
        parse(&svg);
        let zero = [FunnelBar {
            label: "Début",
            reached: 0,
            left: 0,
        }];
        let (blue, orange, _) = parse(&funnel_svg(&zero, &funnel_labels("Entonnoir")));
        assert_eq!((blue, orange), (0, 0));
    }

    #[test]
    fn one_day_is_drawn() {
        let svg = codes_per_day_svg(&days(1, |_| (4, 2)), &labels());
        assert_eq!(parse(&svg).0, 1);
        assert!(has_text(&svg, "01/09"));
    }

    #[test]
    fn markup_in_labels_stays_text() {
        let nasty = CodesChartLabels {
            new: "a<b & \"c\"",
            returning: "</svg><script>x</script>",
            title: "T<&>'\"\u{1}",
        };
        let svg = codes_per_day_svg(&days(5, |_| (1, 1)), &nasty);
        let (_, _, aria) = parse(&svg);
        assert_eq!(aria, "T<&>'\" ");
        assert!(!svg.contains("<script"));
        assert!(svg.contains("a&lt;b &amp; &quot;c&quot;"));
        let stages = [FunnelBar {
            label: "<&>",
            reached: 3,
            left: 1,
        }];
        let svg = funnel_svg(&stages, &funnel_labels("<&>"));
        assert_eq!(parse(&svg).2, "<&>");
        assert!(svg.contains("&lt;&amp;&gt;"));
    }

    fn funnel_labels(title: &str) -> FunnelChartLabels<'_> {
        FunnelChartLabels {
            stayed: "Atteint, resté",
            left: "Parti",
            title,
        }
    }

    #[test]
    fn funnel_draws_each_stage() {
        let stages = [
            FunnelBar {
                label: "Message reçu",
                reached: 1200,
                left: 150,
            },
            FunnelBar {
                label: "Consentement",
                reached: 1050,
                left: 50,
            },
            FunnelBar {
                label: "Questions",
                reached: 1000,
                left: 1000,
            },
            FunnelBar {
                label: "Code donné",
                reached: 900,
                left: 0,
            },
            FunnelBar {
                label: "Bad data",
                reached: -3,
                left: 7,
            },
        ];
        let svg = funnel_svg(&stages, &funnel_labels("Parcours"));
        let (blue, orange, aria) = parse(&svg);
        assert_eq!(aria, "Parcours");
        assert_eq!((blue, orange), (3, 3));
        assert!(has_text(&svg, "Message reçu") && has_text(&svg, "Code donné"));
        assert!(svg.len() < 20_000);
    }

    #[test]
    fn integer_axis_is_nice() {
        assert_eq!(integer_axis(0), (1, vec![0, 1]));
        assert_eq!(integer_axis(-4), (1, vec![0, 1]));
        assert_eq!(integer_axis(3), (3, vec![0, 1, 2, 3]));
        assert_eq!(integer_axis(7).0, 8);
        assert_eq!(integer_axis(12), (15, vec![0, 5, 10, 15]));
        assert_eq!(integer_axis(120), (125, vec![0, 25, 50, 75, 100, 125]));
        assert_eq!(integer_axis(2_000_000).1.last(), Some(&2_000_000));
        let (max, ticks) = integer_axis(i64::MAX);
        assert!(max >= ticks[ticks.len() - 2]);
        assert_eq!(group_digits(1_234_567), "1\u{a0}234\u{a0}567");
        assert_eq!(group_digits(12), "12");
    }
}
