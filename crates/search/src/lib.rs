//! Chinese text for Zhitong: segmentation, the routing classifier, the search index and suggestions.
//! Depends on the domain, never the other way; storage hands it rows, it hands back ids and scores.

pub mod classifier;
pub mod text;
