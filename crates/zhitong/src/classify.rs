//! `zhitong classify train|eval|predict`: the routing classifier on labelled CSV files (API.md).

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use clap::Subcommand;
use zhitong_search::classifier::{Classifier, Text, TrainOptions, cross_validate, evaluate};

#[derive(Subcommand)]
pub enum ClassifyCommand {
    /// Learn a model from a labelled CSV and write it to --model.
    Train {
        #[command(flatten)]
        input: Input,
        /// The column holding the label.
        #[arg(long)]
        label_column: String,
        #[arg(long)]
        model: PathBuf,
    },
    /// Score a model on a labelled CSV; prints one JSON line (accuracy, macro_f1, n, …).
    /// With --folds K, cross-validates on the CSV instead (--model is then not read).
    Eval {
        #[command(flatten)]
        input: Input,
        #[arg(long)]
        label_column: String,
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        folds: Option<usize>,
    },
    /// Retrain the kind, topic and unit models from the platform's decided cases (DATA/models).
    Retrain {
        #[command(flatten)]
        db: crate::cli::DatabaseArgs,
    },
    /// Write the CSV's rows with `predicted` and `confidence` columns added.
    Predict {
        #[command(flatten)]
        input: Input,
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(clap::Args)]
pub struct Input {
    /// CSV file (UTF-8, with a header row).
    #[arg(long)]
    input: PathBuf,
    /// The text column; several (comma-separated or repeated) are joined, the first also read as the title.
    #[arg(long, value_delimiter = ',', required = true)]
    text_column: Vec<String>,
}

struct Table {
    headers: csv::StringRecord,
    rows: Vec<csv::StringRecord>,
}

impl Table {
    fn read(path: &Path) -> anyhow::Result<Self> {
        let mut reader =
            csv::Reader::from_path(path).with_context(|| format!("无法读取 --input {}", path.display()))?;
        let headers = reader.headers().context("CSV 缺少表头")?.clone();
        let rows = reader
            .records()
            .enumerate()
            .map(|(i, r)| r.with_context(|| format!("CSV 第 {} 行格式错误", i + 2)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if rows.is_empty() {
            bail!("--input {} 没有数据行", path.display());
        }
        Ok(Table { headers, rows })
    }

    fn column(&self, flag: &str, name: &str) -> anyhow::Result<usize> {
        self.headers.iter().position(|h| h.trim_start_matches('\u{feff}') == name).ok_or_else(|| {
            anyhow!("{flag}：CSV 中没有列“{name}”（现有列：{}）", self.headers.iter().collect::<Vec<_>>().join("、"))
        })
    }

    /// (title, body) per row: the body joins every text column so a single-column CSV still reads whole.
    fn texts(&self, columns: &[String]) -> anyhow::Result<Vec<(String, String)>> {
        let idx: Vec<usize> = columns.iter().map(|c| self.column("--text-column", c)).collect::<Result<_, _>>()?;
        Ok(self
            .rows
            .iter()
            .map(|r| {
                let title = if idx.len() > 1 { r.get(idx[0]).unwrap_or("").to_string() } else { String::new() };
                let body = idx.iter().map(|i| r.get(*i).unwrap_or("")).collect::<Vec<_>>().join("。");
                (title, body)
            })
            .collect())
    }

    fn labels(&self, column: &str) -> anyhow::Result<Vec<String>> {
        let i = self.column("--label-column", column)?;
        Ok(self.rows.iter().map(|r| r.get(i).unwrap_or("").trim().to_string()).collect())
    }
}

fn as_texts(rows: &[(String, String)]) -> Vec<Text<'_>> {
    rows.iter().map(|(t, b)| Text::new(t, b)).collect()
}

pub async fn run(command: ClassifyCommand, config_file: Option<&Path>) -> anyhow::Result<()> {
    match command {
        ClassifyCommand::Train { input, label_column, model } => {
            let table = Table::read(&input.input)?;
            let (texts, labels) = labelled(&table, &input, &label_column)?;
            let started = std::time::Instant::now();
            let trained = Classifier::train(&as_texts(&texts), &strs(&labels), TrainOptions::default())?;
            trained.save(&model)?;
            eprintln!(
                "已训练 trained on {} rows, {} labels ({}) in {:.1} s → {}",
                texts.len(),
                trained.labels().len(),
                trained.labels().join("、"),
                started.elapsed().as_secs_f64(),
                model.display()
            );
            Ok(())
        }
        ClassifyCommand::Eval { input, label_column, model, folds } => {
            let table = Table::read(&input.input)?;
            let (texts, labels) = labelled(&table, &input, &label_column)?;
            let metrics = match folds {
                Some(k) => cross_validate(&as_texts(&texts), &strs(&labels), k, TrainOptions::default())?,
                None => {
                    let m = Classifier::load(&model).with_context(|| format!("--model {}", model.display()))?;
                    let predicted: Vec<String> = as_texts(&texts).into_iter().map(|t| m.best(t).label).collect();
                    evaluate(&strs(&labels), &strs(&predicted))
                }
            };
            println!("{}", serde_json::to_string(&metrics)?);
            Ok(())
        }
        ClassifyCommand::Retrain { db } => {
            let config = crate::config::Config::load(config_file, &db.overrides())?;
            crate::cli::init_logs(&config);
            let store = crate::startup::open_store_with(&config, crate::startup::Keys::Load).await?;
            let suggester = zhitong_search::Suggester::open(&config.data.join("models"));
            let started = std::time::Instant::now();
            let trained = suggester.retrain(&store).await?;
            for (name, n) in &trained {
                println!("已训练 trained {name}: {n} 件已决定的工单 decided cases");
            }
            if trained.len() < zhitong_search::suggest::MODELS.len() {
                println!(
                    "少于 {} 件带标签工单的模型保持不变 (models with fewer labelled cases are kept as they were)",
                    zhitong_search::suggest::MIN_TRAINING_CASES
                );
            }
            println!(
                "用时 {:.1} 秒 → {}；运行中的服务器数秒内自动载入 (running servers pick them up within seconds)",
                started.elapsed().as_secs_f64(),
                config.data.join("models").display()
            );
            store.close().await;
            Ok(())
        }
        ClassifyCommand::Predict { input, model, out } => {
            let table = Table::read(&input.input)?;
            let texts = table.texts(&input.text_column)?;
            let m = Classifier::load(&model).with_context(|| format!("--model {}", model.display()))?;
            let bar = indicatif::ProgressBar::new(texts.len() as u64);
            let tmp = out.with_extension("tmp");
            {
                let mut writer =
                    csv::Writer::from_path(&tmp).with_context(|| format!("无法写入 --out {}", out.display()))?;
                let mut headers = table.headers.clone();
                headers.push_field("predicted");
                headers.push_field("confidence");
                writer.write_record(&headers)?;
                for (row, (title, body)) in table.rows.iter().zip(&texts) {
                    let best = m.best(Text::new(title, body));
                    let mut record = row.clone();
                    record.push_field(&best.label);
                    record.push_field(&format!("{:.4}", best.confidence));
                    writer.write_record(&record)?;
                    bar.inc(1);
                }
                writer.flush()?;
            }
            std::fs::rename(&tmp, &out)?;
            bar.finish_and_clear();
            eprintln!("已预测 predicted {} rows → {}", texts.len(), out.display());
            Ok(())
        }
    }
}

/// (text, label) pairs and the labels in order.
type Labelled = (Vec<(String, String)>, Vec<String>);

fn labelled(table: &Table, input: &Input, label_column: &str) -> anyhow::Result<Labelled> {
    let texts = table.texts(&input.text_column)?;
    let labels = table.labels(label_column)?;
    // Rows without a label teach nothing and would become a label of their own.
    Ok(texts.into_iter().zip(labels).filter(|(_, l)| !l.is_empty()).unzip())
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
