//! Chinese text for Zhitong: segmentation, the routing classifier, the search index and suggestions.
//! Depends on the domain and reads storage; nothing below depends on it.

pub mod classifier;
pub mod index;
pub mod suggest;
pub mod text;

use std::path::Path;
use std::time::Duration;

use zhitong_storage::Store;

pub use index::{HitType, SearchError, SearchHit, SearchIndex, SearchQuery, SearchResults, SearchScope};
pub use suggest::{Guess, SimilarCase, Suggester, Suggestions};

/// One server's search: its index (`DATA/search`) and routing models (`DATA/models`).
pub struct Search {
    pub index: SearchIndex,
    pub suggester: Suggester,
}

impl Search {
    pub fn open(data: &Path) -> Result<Self, SearchError> {
        Ok(Search { index: SearchIndex::open(&data.join("search"))?, suggester: Suggester::open(&data.join("models")) })
    }

    /// A throw-away index and no models (tests that do not search).
    pub fn in_memory(models: &Path) -> Result<Self, SearchError> {
        Ok(Search { index: SearchIndex::in_memory()?, suggester: Suggester::open(models) })
    }

    /// Keeps the index in step with the database every `every`, and retrains the routing models once a day
    /// (and at start when a model is missing and enough decided cases exist). Stops when `stop` turns true.
    pub async fn follow(
        self: std::sync::Arc<Self>,
        store: Store,
        every: Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut last_training: Option<std::time::Instant> = None;
        loop {
            if let Err(e) = self.index.sync(&store).await {
                tracing::warn!("search index sync failed: {e}");
            }
            if self.suggester.reload_if_changed() {
                tracing::info!("routing models reloaded from disk");
            }
            // At start only when a model is missing; after that once a day.
            let due = match last_training {
                None => self.suggester.loaded().iter().any(|(_, n)| n.is_none()),
                Some(t) => t.elapsed() > Duration::from_secs(24 * 3600),
            };
            if due {
                match self.suggester.retrain(&store).await {
                    Ok(trained) if !trained.is_empty() => tracing::info!(?trained, "routing models retrained"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!("retraining routing models failed: {e}"),
                }
                last_training = Some(std::time::Instant::now());
            }
            last_training.get_or_insert_with(std::time::Instant::now);
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
