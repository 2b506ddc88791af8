//! Tuning aid: cross-validate the classifier on a labelled CSV.
//! `cargo run --release -p zhitong-search --example cv -- FILE title,content nature [epochs lr l2]`
use zhitong_search::classifier::{TrainOptions, cross_validate};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut reader = csv::Reader::from_path(&args[1]).unwrap();
    let headers = reader.headers().unwrap().clone();
    let cols: Vec<usize> = args[2].split(',').map(|c| headers.iter().position(|h| h == c).unwrap()).collect();
    let label = headers.iter().position(|h| h == args[3]).unwrap();
    let mut texts = Vec::new();
    let mut labels = Vec::new();
    for r in reader.records() {
        let r = r.unwrap();
        texts.push((r[cols[0]].to_string(), cols.iter().map(|c| &r[*c]).collect::<Vec<_>>().join("。")));
        labels.push(r[label].to_string());
    }
    let mut o = TrainOptions::default();
    if let Some(e) = args.get(4) {
        o.epochs = e.parse().unwrap();
    }
    if let Some(e) = args.get(5) {
        o.learning_rate = e.parse().unwrap();
    }
    if let Some(e) = args.get(6) {
        o.l2 = e.parse().unwrap();
    }
    let t = std::time::Instant::now();
    let m = cross_validate(
        &texts.iter().map(|(t, b)| zhitong_search::classifier::Text::new(t, b)).collect::<Vec<_>>(),
        &labels.iter().map(String::as_str).collect::<Vec<_>>(),
        5,
        o,
    )
    .unwrap();
    println!(
        "acc={:.3} macro_f1={:.3} frequent={:.3} n={} {:?}",
        m.accuracy,
        m.macro_f1,
        m.macro_f1_frequent,
        m.n,
        t.elapsed()
    );
    for l in m.per_label {
        println!("  {} n={} f1={:.3}", l.label, l.support, l.f1);
    }
}
