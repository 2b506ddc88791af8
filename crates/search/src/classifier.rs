//! A text classifier for routing: TF-IDF over character n-grams and jieba words, multinomial logistic
//! regression trained by AdaGrad on sparse vectors.
//!
//! Why our own ~300 lines instead of linfa/smartcore: both take dense matrices, and a bag of words over
//! 100,000 cases is 100,000 × 50,000 mostly zeros; sparse SGD trains that in seconds with kilobytes per case.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::text::features;

#[derive(Debug, thiserror::Error)]
pub enum ClassifierError {
    #[error("训练数据为空")]
    Empty,
    #[error("训练数据只有一个类别（{0}），无法训练")]
    OneLabel(String),
    #[error("文本与标签数量不一致")]
    Mismatch,
    #[error("模型文件无法读取：{0}")]
    Format(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct TrainOptions {
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    /// Keep the most frequent features only: bounds model size (features × labels) for many labels.
    pub max_features: usize,
    /// Ignore features seen in fewer documents: they are noise and bloat the model.
    pub min_df: u32,
    /// Weigh each label by the inverse of its frequency, so rare kinds (举报, 建议) are not drowned.
    pub balanced: bool,
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            // Chosen by 5-fold cross-validation on the Fuzhou (kind) and TipDM (topic) sets: see docs/benchmarks.md.
            epochs: 20,
            learning_rate: 0.2,
            l2: 1e-4,
            max_features: 60_000,
            min_df: 1,
            balanced: true,
            seed: 7,
        }
    }
}

/// A label with the model's probability for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    pub label: String,
    pub confidence: f32,
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    labels: Vec<String>,
    vocabulary: Vec<String>,
    idf: Vec<f32>,
    trained_on: usize,
    options: TrainOptions,
}

const FORMAT: &str = "zhitong-classifier/1";

pub struct Classifier {
    labels: Vec<String>,
    vocabulary: HashMap<String, u32>,
    terms: Vec<String>,
    idf: Vec<f32>,
    /// Row per feature (and a last row for the bias), one column per label: scoring a sparse document
    /// walks contiguous rows.
    weights: Vec<f32>,
    trained_on: usize,
    options: TrainOptions,
}

type Sparse = Vec<(u32, f32)>;

/// What is classified: an appeal's title and its full text.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a> {
    pub title: &'a str,
    pub body: &'a str,
}

impl<'a> Text<'a> {
    pub fn new(title: &'a str, body: &'a str) -> Self {
        Text { title, body }
    }
}

impl Classifier {
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    pub fn trained_on(&self) -> usize {
        self.trained_on
    }

    pub fn train(texts: &[Text], labels: &[&str], options: TrainOptions) -> Result<Self, ClassifierError> {
        if texts.len() != labels.len() {
            return Err(ClassifierError::Mismatch);
        }
        if texts.is_empty() {
            return Err(ClassifierError::Empty);
        }
        let mut label_names: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
        label_names.sort();
        label_names.dedup();
        if label_names.len() < 2 {
            return Err(ClassifierError::OneLabel(label_names[0].clone()));
        }
        let docs: Vec<Vec<String>> = texts.iter().map(|t| features(t.title, t.body)).collect();

        let mut df: HashMap<&str, u32> = HashMap::new();
        for doc in &docs {
            let mut seen: Vec<&str> = doc.iter().map(String::as_str).collect();
            seen.sort_unstable();
            seen.dedup();
            for f in seen {
                *df.entry(f).or_default() += 1;
            }
        }
        let mut kept: Vec<(&str, u32)> = df.into_iter().filter(|(_, n)| *n >= options.min_df).collect();
        // Most frequent first, ties by name: the same data always gives the same model.
        kept.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        kept.truncate(options.max_features);
        let n = docs.len() as f32;
        let terms: Vec<String> = kept.iter().map(|(t, _)| t.to_string()).collect();
        let idf: Vec<f32> = kept.iter().map(|(_, d)| ((1.0 + n) / (1.0 + *d as f32)).ln() + 1.0).collect();
        let vocabulary: HashMap<String, u32> = terms.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();

        let k = label_names.len();
        let mut model = Classifier {
            weights: vec![0.0; (terms.len() + 1) * k],
            labels: label_names,
            vocabulary,
            terms,
            idf,
            trained_on: texts.len(),
            options,
        };
        let vectors: Vec<Sparse> = docs.iter().map(|d| model.vectorise(d)).collect();
        let targets: Vec<usize> =
            labels.iter().map(|l| model.labels.binary_search_by(|x| x.as_str().cmp(l)).expect("label")).collect();
        let mut counts = vec![0usize; k];
        for t in &targets {
            counts[*t] += 1;
        }
        let label_weight: Vec<f32> = counts
            .iter()
            .map(|c| if options.balanced { texts.len() as f32 / (k as f32 * *c as f32) } else { 1.0 })
            .collect();
        model.fit(&vectors, &targets, &label_weight);
        Ok(model)
    }

    fn fit(&mut self, vectors: &[Sparse], targets: &[usize], label_weight: &[f32]) {
        let k = self.labels.len();
        let bias_row = self.terms.len();
        let mut squared = vec![1e-6f32; self.weights.len()];
        let mut order: Vec<usize> = (0..vectors.len()).collect();
        let mut rng = SplitMix(self.options.seed);
        let mut scores = vec![0f32; k];
        let mut gradient = vec![0f32; k];
        let (rate, l2) = (self.options.learning_rate, self.options.l2);
        for _ in 0..self.options.epochs {
            for i in (1..order.len()).rev() {
                order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
            }
            for &d in &order {
                let x = &vectors[d];
                self.scores_into(x, &mut scores);
                softmax(&mut scores);
                let y = targets[d];
                for (c, g) in gradient.iter_mut().enumerate().take(k) {
                    *g = label_weight[y] * (scores[c] - if c == y { 1.0 } else { 0.0 });
                }
                for &(f, v) in x.iter().chain(std::iter::once(&(bias_row as u32, 1.0))) {
                    let row = f as usize * k;
                    for (c, grad) in gradient.iter().enumerate().take(k) {
                        let at = row + c;
                        let g = grad * v + l2 * self.weights[at];
                        squared[at] += g * g;
                        self.weights[at] -= rate * g / squared[at].sqrt();
                    }
                }
            }
        }
    }

    /// TF-IDF with sublinear term frequency, L2-normalised: long appeals do not outweigh short ones.
    fn vectorise(&self, features: &[String]) -> Sparse {
        let mut tf: HashMap<u32, f32> = HashMap::new();
        for f in features {
            if let Some(&id) = self.vocabulary.get(f) {
                *tf.entry(id).or_default() += 1.0;
            }
        }
        let mut v: Sparse = tf.into_iter().map(|(id, n)| (id, (1.0 + n.ln()) * self.idf[id as usize])).collect();
        v.sort_unstable_by_key(|(id, _)| *id);
        let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, x) in &mut v {
                *x /= norm;
            }
        }
        v
    }

    fn scores_into(&self, x: &Sparse, scores: &mut [f32]) {
        let k = self.labels.len();
        let bias = self.terms.len() * k;
        scores.copy_from_slice(&self.weights[bias..bias + k]);
        for &(f, v) in x {
            let row = &self.weights[f as usize * k..f as usize * k + k];
            for (s, w) in scores.iter_mut().zip(row) {
                *s += w * v;
            }
        }
    }

    /// Every label with its probability, most likely first.
    pub fn predict(&self, text: Text) -> Vec<Prediction> {
        let x = self.vectorise(&features(text.title, text.body));
        let mut scores = vec![0f32; self.labels.len()];
        self.scores_into(&x, &mut scores);
        softmax(&mut scores);
        let mut out: Vec<Prediction> = self
            .labels
            .iter()
            .zip(scores)
            .map(|(label, confidence)| Prediction { label: label.clone(), confidence })
            .collect();
        out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then(a.label.cmp(&b.label)));
        out
    }

    pub fn best(&self, text: Text) -> Prediction {
        self.predict(text).swap_remove(0)
    }

    /// Writes to a temporary file and renames it: a crash never leaves half a model behind.
    pub fn save(&self, path: &Path) -> Result<(), ClassifierError> {
        let header = Header {
            format: FORMAT.into(),
            labels: self.labels.clone(),
            vocabulary: self.terms.clone(),
            idf: self.idf.clone(),
            trained_on: self.trained_on,
            options: self.options,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        {
            let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
            serde_json::to_writer(&mut file, &header).map_err(|e| ClassifierError::Format(e.to_string()))?;
            file.write_all(b"\n")?;
            for w in &self.weights {
                file.write_all(&w.to_le_bytes())?;
            }
            file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    pub fn load(path: &Path) -> Result<Self, ClassifierError> {
        let mut bytes = Vec::new();
        std::fs::File::open(path)?.read_to_end(&mut bytes)?;
        let split =
            bytes.iter().position(|b| *b == b'\n').ok_or_else(|| ClassifierError::Format("缺少文件头".into()))?;
        let header: Header =
            serde_json::from_slice(&bytes[..split]).map_err(|e| ClassifierError::Format(e.to_string()))?;
        if header.format != FORMAT {
            return Err(ClassifierError::Format(format!("未知格式 {}", header.format)));
        }
        let body = &bytes[split + 1..];
        let expected = (header.vocabulary.len() + 1) * header.labels.len() * 4;
        if body.len() != expected || header.idf.len() != header.vocabulary.len() {
            return Err(ClassifierError::Format("权重长度与词表不符（文件不完整？）".into()));
        }
        let weights = body.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        let vocabulary = header.vocabulary.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();
        Ok(Classifier {
            labels: header.labels,
            vocabulary,
            terms: header.vocabulary,
            idf: header.idf,
            weights,
            trained_on: header.trained_on,
            options: header.options,
        })
    }
}

fn softmax(scores: &mut [f32]) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    for s in scores.iter_mut() {
        *s /= sum;
    }
}

/// Deterministic shuffling without a dependency: the same seed trains the same model on every server.
struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Accuracy and F1 of predictions against the truth.
#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub n: usize,
    pub accuracy: f64,
    /// Unweighted mean of every label's F1 (labels in the truth or the predictions).
    pub macro_f1: f64,
    /// The same over labels with at least 20 examples in the truth.
    pub macro_f1_frequent: f64,
    pub per_label: Vec<LabelMetrics>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LabelMetrics {
    pub label: String,
    pub support: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

pub fn evaluate(truth: &[&str], predicted: &[&str]) -> Metrics {
    let mut labels: Vec<&str> = truth.iter().chain(predicted).copied().collect();
    labels.sort_unstable();
    labels.dedup();
    let per_label: Vec<LabelMetrics> = labels
        .iter()
        .map(|l| {
            let tp = truth.iter().zip(predicted).filter(|(t, p)| *t == l && *p == l).count() as f64;
            let support = truth.iter().filter(|t| *t == l).count();
            let guessed = predicted.iter().filter(|p| *p == l).count() as f64;
            let precision = if guessed > 0.0 { tp / guessed } else { 0.0 };
            let recall = if support > 0 { tp / support as f64 } else { 0.0 };
            let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
            LabelMetrics { label: l.to_string(), support, precision, recall, f1 }
        })
        .collect();
    let mean = |xs: Vec<f64>| if xs.is_empty() { 0.0 } else { xs.iter().sum::<f64>() / xs.len() as f64 };
    let correct = truth.iter().zip(predicted).filter(|(t, p)| t == p).count();
    Metrics {
        n: truth.len(),
        accuracy: if truth.is_empty() { 0.0 } else { correct as f64 / truth.len() as f64 },
        macro_f1: mean(per_label.iter().map(|m| m.f1).collect()),
        macro_f1_frequent: mean(per_label.iter().filter(|m| m.support >= 20).map(|m| m.f1).collect()),
        per_label,
    }
}

/// Stratified k-fold cross-validation: every document is predicted by a model that never saw it.
pub fn cross_validate(
    texts: &[Text],
    labels: &[&str],
    folds: usize,
    options: TrainOptions,
) -> Result<Metrics, ClassifierError> {
    let folds = folds.max(2);
    // Deal each label's documents round-robin over the folds, in a seeded order.
    let mut by_label: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, l) in labels.iter().enumerate() {
        by_label.entry(l).or_default().push(i);
    }
    let mut groups: Vec<(&str, Vec<usize>)> = by_label.into_iter().collect();
    groups.sort_by_key(|(l, _)| *l);
    let mut fold_of = vec![0usize; texts.len()];
    let mut rng = SplitMix(options.seed ^ 0xF01D);
    let mut next = 0usize;
    for (_, mut members) in groups {
        for i in (1..members.len()).rev() {
            members.swap(i, (rng.next() % (i as u64 + 1)) as usize);
        }
        for m in members {
            fold_of[m] = next % folds;
            next += 1;
        }
    }
    let mut predicted: Vec<String> = vec![String::new(); texts.len()];
    for fold in 0..folds {
        let (train, test): (Vec<usize>, Vec<usize>) = (0..texts.len()).partition(|i| fold_of[*i] != fold);
        let model = Classifier::train(
            &train.iter().map(|i| texts[*i]).collect::<Vec<_>>(),
            &train.iter().map(|i| labels[*i]).collect::<Vec<_>>(),
            options,
        )?;
        for i in test {
            predicted[i] = model.best(texts[i]).label;
        }
    }
    Ok(evaluate(labels, &predicted.iter().map(String::as_str).collect::<Vec<_>>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<Text<'static>>, Vec<&'static str>) {
        let data = [
            ("请问营业执照变更需要哪些材料", "consultation"),
            ("咨询社保缴费基数如何申报", "consultation"),
            ("想了解高新技术企业认定的条件", "consultation"),
            ("请问出口退税多久能到账", "consultation"),
            ("企业用电报装迟迟没有接通，请帮忙协调", "help"),
            ("厂区门口道路积水严重，请求协调处理", "help"),
            ("项目审批卡在消防环节，请帮助推进", "help"),
            ("工程款被拖欠半年，请求帮助追讨", "help"),
            ("举报某企业偷排污水", "report"),
            ("举报某公职人员吃拿卡要", "report"),
            ("实名举报工作人员索要好处费", "report"),
            ("举报工地夜间偷偷排放废水", "report"),
        ];
        (data.iter().map(|d| Text::new("", d.0)).collect(), data.iter().map(|d| d.1).collect())
    }

    #[test]
    fn learns_the_training_set_and_generalises_to_close_texts() {
        let (texts, labels) = sample();
        let model = Classifier::train(&texts, &labels, TrainOptions { epochs: 30, ..Default::default() }).unwrap();
        for (t, l) in texts.iter().zip(&labels) {
            assert_eq!(model.best(*t).label, *l, "{t:?}");
        }
        assert_eq!(model.best(Text::new("", "举报有人偷排")).label, "report");
        assert_eq!(model.best(Text::new("请问办理营业执照要什么材料", "")).label, "consultation");
        let all = model.predict(Text::new("", "道路积水请协调"));
        let total: f32 = all.iter().map(|p| p.confidence).sum();
        assert!((total - 1.0).abs() < 1e-4, "probabilities sum to one: {total}");
        assert!(all.windows(2).all(|w| w[0].confidence >= w[1].confidence));
    }

    #[test]
    fn saves_and_loads_the_same_model() {
        let (texts, labels) = sample();
        let model = Classifier::train(&texts, &labels, TrainOptions::default()).unwrap();
        let dir = std::env::temp_dir().join(format!("zt-model-{}", std::process::id()));
        let path = dir.join("kind.model");
        model.save(&path).unwrap();
        let loaded = Classifier::load(&path).unwrap();
        assert_eq!(loaded.predict(Text::new("", "举报偷排")), model.predict(Text::new("", "举报偷排")));
        assert_eq!(loaded.trained_on(), 12);
        std::fs::write(&path, b"{\"format\":\"x\"}\n").unwrap();
        assert!(matches!(Classifier::load(&path), Err(ClassifierError::Format(_))));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn same_data_same_model() {
        let (texts, labels) = sample();
        let a = Classifier::train(&texts, &labels, TrainOptions::default()).unwrap();
        let b = Classifier::train(&texts, &labels, TrainOptions::default()).unwrap();
        assert_eq!(a.weights, b.weights);
    }

    #[test]
    fn refuses_degenerate_training_data() {
        assert!(matches!(Classifier::train(&[], &[], TrainOptions::default()), Err(ClassifierError::Empty)));
        assert!(matches!(
            Classifier::train(&[Text::new("a", ""), Text::new("b", "")], &["x", "x"], TrainOptions::default()),
            Err(ClassifierError::OneLabel(_))
        ));
    }

    #[test]
    fn metrics_by_hand() {
        let m = evaluate(&["a", "a", "b", "b"], &["a", "b", "b", "b"]);
        assert_eq!(m.n, 4);
        assert!((m.accuracy - 0.75).abs() < 1e-9);
        // a: p=1 r=.5 f1=2/3; b: p=2/3 r=1 f1=.8
        assert!((m.macro_f1 - (2.0 / 3.0 + 0.8) / 2.0).abs() < 1e-9);
    }

    #[test]
    fn cross_validation_predicts_every_document_once() {
        let (texts, labels) = sample();
        let m = cross_validate(&texts, &labels, 4, TrainOptions::default()).unwrap();
        assert_eq!(m.n, 12);
        assert!(m.accuracy > 0.5, "{m:?}");
    }
}
