//! Suggestions while the agent types: likely kind, topic and lead unit (each with a confidence), the most
//! similar earlier cases (repeat appeals of the same enterprise flagged) and the best knowledge-base answers.
//! Suggestions are shown, never applied: the console fills nothing by itself.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use serde::Serialize;
use utoipa::ToSchema;
use zhitong_domain::{
    org::{JurisdictionTree, UnitCode},
    work_order::{Actor, Kind},
};
use zhitong_storage::{REPEAT_WINDOW_MS, Store};

use crate::classifier::{Classifier, ClassifierError, Text, TrainOptions};
use crate::index::{SearchHit, SearchIndex, SearchQuery, SearchResults, SearchScope};

/// The three routing models, as files in the models folder: `kind.model`, `topic.model`, `unit.model`.
pub const MODELS: [&str; 3] = ["kind", "topic", "unit"];

/// A model is retrained from the platform's own cases only once it has this many labelled ones; until then a
/// model bootstrapped with `zhitong classify train --model DIR/kind.model` is kept.
pub const MIN_TRAINING_CASES: usize = 200;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Guess {
    /// A code (kind, topic or unit code).
    pub code: String,
    /// Probability, 0–1.
    pub confidence: f32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SimilarCase {
    #[serde(flatten)]
    pub hit: SearchHit,
    /// The enterprise on the phone appealed here before.
    pub same_enterprise: bool,
    /// A repeat appeal (重复诉求) as the reports count it: the same enterprise, on the same topic, within the
    /// 30 days before (`zhitong_storage::REPEAT_WINDOW_MS`). The topic is the one the agent chose, or else
    /// the most likely one.
    pub repeat: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Suggestions {
    pub kind: Vec<Guess>,
    pub topic: Vec<Guess>,
    pub units: Vec<Guess>,
    pub similar: Vec<SimilarCase>,
    /// Published, unexpired knowledge-base answers.
    pub knowledge: Vec<SearchHit>,
}

pub struct Suggester {
    dir: PathBuf,
    models: RwLock<[Option<Arc<Classifier>>; 3]>,
    /// Modification times of the files loaded: a model retrained by command or by another process is picked up.
    stamps: RwLock<[Option<std::time::SystemTime>; 3]>,
}

impl Suggester {
    /// Loads whatever models exist in `dir` (none is fine: suggestions then hold only similar cases and answers).
    pub fn open(dir: &Path) -> Self {
        let s = Suggester {
            dir: dir.to_path_buf(),
            models: RwLock::new([None, None, None]),
            stamps: RwLock::new([None, None, None]),
        };
        s.reload();
        s
    }

    fn stamps_on_disk(&self) -> [Option<std::time::SystemTime>; 3] {
        MODELS.map(|name| std::fs::metadata(self.dir.join(format!("{name}.model"))).and_then(|m| m.modified()).ok())
    }

    /// Reloads when a model file changed since it was loaded. True if it did.
    pub fn reload_if_changed(&self) -> bool {
        let now = self.stamps_on_disk();
        if *self.stamps.read().expect("stamps lock") == now {
            return false;
        }
        self.reload();
        true
    }

    pub fn reload(&self) {
        *self.stamps.write().expect("stamps lock") = self.stamps_on_disk();
        let loaded = MODELS.map(|name| {
            let path = self.dir.join(format!("{name}.model"));
            match Classifier::load(&path) {
                Ok(m) => Some(Arc::new(m)),
                Err(ClassifierError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    tracing::warn!(path = %path.display(), "routing model not loaded: {e}");
                    None
                }
            }
        });
        *self.models.write().expect("models lock") = loaded;
    }

    /// (model name, cases it was trained on) for the admins' page.
    pub fn loaded(&self) -> Vec<(&'static str, Option<usize>)> {
        let models = self.models.read().expect("models lock");
        MODELS.iter().zip(models.iter()).map(|(n, m)| (*n, m.as_ref().map(|m| m.trained_on()))).collect()
    }

    fn guesses(&self, which: usize, text: Text, keep: impl Fn(&str) -> Option<String>) -> Vec<Guess> {
        let model = self.models.read().expect("models lock")[which].clone();
        let Some(model) = model else { return Vec::new() };
        model
            .predict(text)
            .into_iter()
            .filter_map(|p| keep(&p.label).map(|code| Guess { code, confidence: p.confidence }))
            .take(3)
            .collect()
    }

    #[allow(clippy::too_many_arguments)] // what the agent typed, who asks, and the org's lookups: all distinct
    pub fn suggest(
        &self,
        index: &SearchIndex,
        actor: &Actor,
        tree: &JurisdictionTree,
        title: &str,
        content: &str,
        enterprise_id: Option<i64>,
        chosen_topic: Option<&str>,
        now_ms: i64,
        known_code: impl Fn(&str, &str) -> bool,
    ) -> Result<Suggestions, crate::index::SearchError> {
        let text = Text::new(title, content);
        // A model bootstrapped from a CSV may name kinds in Chinese (投诉): map them onto the domain's codes.
        let kind = self.guesses(0, text, |l| {
            Kind::from_code(l)
                .or_else(|| Kind::ALL.iter().copied().find(|k| k.label() == l))
                .map(|k| k.code().to_string())
        });
        let topic = self.guesses(1, text, |l| known_code("topic", l).then(|| l.to_string()));
        let units = self.guesses(2, text, |l| known_code("unit", l).then(|| l.to_string()));
        let q: String = format!("{title} {content}").chars().take(300).collect();
        let terms = Some(index.key_terms(&q, 6));
        let search = |scope: SearchScope, limit: usize| -> Result<SearchResults, crate::index::SearchError> {
            let query =
                SearchQuery { q: q.clone(), terms: terms.clone(), scope, limit, top_only: true, ..Default::default() };
            index.search(actor, tree, &query)
        };
        let topic_now = chosen_topic.map(String::from).or_else(|| topic.first().map(|g| g.code.clone()));
        let similar_case = |hit: SearchHit| {
            let same_enterprise = enterprise_id.is_some() && hit.enterprise_id == enterprise_id;
            let recent = hit.received_at.is_some_and(|r| r < now_ms && r >= now_ms - REPEAT_WINDOW_MS);
            let same_topic = topic_now.is_none() || hit.topic == topic_now;
            SimilarCase { repeat: same_enterprise && recent && same_topic, same_enterprise, hit }
        };
        let mut similar: Vec<SimilarCase> =
            search(SearchScope::Cases, 5)?.items.into_iter().map(similar_case).collect();
        if let Some(e) = enterprise_id {
            // The enterprise's own earlier appeals on the same matter are the strongest signal: always include them.
            let own = index.search(
                actor,
                tree,
                &SearchQuery {
                    q: q.clone(),
                    terms: terms.clone(),
                    scope: SearchScope::Cases,
                    enterprise_id: Some(e),
                    limit: 3,
                    top_only: true,
                    ..Default::default()
                },
            )?;
            for hit in own.items.into_iter().rev() {
                if !similar.iter().any(|s| s.hit.id == hit.id) {
                    similar.insert(0, similar_case(hit));
                }
            }
            similar.truncate(5);
        }
        let knowledge = search(SearchScope::Knowledge, 6)?.items.into_iter().filter(|h| !h.expired).take(3).collect();
        Ok(Suggestions { kind, topic, units, similar, knowledge })
    }

    /// Retrains from the platform's decided cases and swaps the models in. Returns (model, cases) trained.
    pub async fn retrain(&self, store: &Store) -> Result<Vec<(&'static str, usize)>, crate::index::SearchError> {
        let cases = store.training_cases(200_000).await?;
        let dir = self.dir.clone();
        let trained = tokio::task::spawn_blocking(move || -> Vec<(&'static str, usize)> {
            let mut done = Vec::new();
            for name in MODELS {
                let rows: Vec<(Text, &str)> = cases
                    .iter()
                    .filter_map(|c| {
                        let label = match name {
                            "kind" => Some(c.kind.code()),
                            "topic" => c.topic.as_deref(),
                            _ => c.accepted_unit.as_ref().map(UnitCode::as_str),
                        };
                        label.map(|l| (Text::new(&c.title, &c.content), l))
                    })
                    .collect();
                if rows.len() < MIN_TRAINING_CASES {
                    continue;
                }
                let (texts, labels): (Vec<Text>, Vec<&str>) = rows.into_iter().unzip();
                // Many units: fewer features keep the model (features × units) small and training fast.
                let options = if name == "unit" {
                    TrainOptions { max_features: 20_000, epochs: 10, ..Default::default() }
                } else {
                    TrainOptions::default()
                };
                match Classifier::train(&texts, &labels, options)
                    .and_then(|m| m.save(&dir.join(format!("{name}.model"))))
                {
                    Ok(()) => done.push((name, texts.len())),
                    Err(e) => tracing::warn!(model = name, "retraining failed: {e}"),
                }
            }
            done
        })
        .await
        .map_err(|e| crate::index::SearchError::Dir(e.to_string()))?;
        self.reload();
        Ok(trained)
    }
}
