//! The full-text index of cases and knowledge-base answers (tantivy, words cut by jieba).
//!
//! Architecture invariant: the database is the truth, the index a per-server copy. Each server follows the
//! `updated_at` of work orders and knowledge entries from a watermark kept in the index's own commit, so it
//! catches up after a restart and stays consistent with other servers writing to the same PostgreSQL.
//! Visibility is applied inside the query, from the same `permission::list_scope` as every list.

use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tantivy::{
    Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term,
    collector::{Count, TopDocs},
    query::{AllQuery, BooleanQuery, BoostQuery, Occur, Query, RangeQuery, TermQuery},
    schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value},
    snippet::SnippetGenerator,
    tokenizer::{Token, TokenStream, Tokenizer},
};
use tokio::sync::Mutex;
use zhitong_domain::{
    org::{DivisionCode, JurisdictionTree, UnitCode},
    permission::{ListScope, list_scope},
    time::local,
    work_order::{Actor, Kind, State},
};
use zhitong_storage::{CaseDoc, KnowledgeEntry, KnowledgeStatus, Store};

use crate::text::JIEBA;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("搜索索引错误：{0}")]
    Index(#[from] tantivy::TantivyError),
    #[error(transparent)]
    Store(#[from] zhitong_storage::StoreError),
    #[error("搜索索引目录无法打开：{0}")]
    Dir(String),
}

type Result<T> = std::result::Result<T, SearchError>;

/// jieba in search mode (营业执照 also yields 营业 and 执照), ASCII lower-cased. Shares the process's one dictionary.
#[derive(Clone, Default)]
pub struct ChineseTokenizer;

pub struct ChineseTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for ChineseTokenizer {
    type TokenStream<'a> = ChineseTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> ChineseTokenStream {
        let tokens = JIEBA
            .tokenize(text, jieba_rs::TokenizeMode::Search, true)
            .into_iter()
            .filter(|t| t.word.chars().any(char::is_alphanumeric))
            .enumerate()
            .map(|(i, t)| Token {
                offset_from: t.byte_start,
                offset_to: t.byte_end,
                position: i,
                text: t.word.to_lowercase(),
                position_length: 1,
            })
            .collect();
        ChineseTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for ChineseTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// The query's words, as the index cut the documents.
pub fn query_terms(q: &str) -> Vec<String> {
    let mut stream = ChineseTokenizer.token_stream(q);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token().text.clone();
        if seen.insert(t.clone()) {
            out.push(t);
        }
    }
    out
}

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    doc_type: Field,
    id: Field,
    number: Field,
    title: Field,
    title_exact: Field,
    body: Field,
    enterprise: Field,
    enterprise_id: Field,
    kind: Field,
    state: Field,
    topic: Field,
    jurisdiction: Field,
    unit: Field,
    lead_unit: Field,
    restricted: Field,
    received: Field,
    expires: Field,
}

/// Named for the dictionary it cuts with: a new name makes every server rebuild its index (`open`).
const TOKENIZER: &str = "zh-jieba-f5-domain2";

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        doc_type: b.add_text_field("doc_type", STRING | STORED),
        id: b.add_i64_field("id", INDEXED | STORED | FAST),
        number: b.add_text_field("number", STRING | STORED),
        title: b.add_text_field("title", text.clone()),
        title_exact: b.add_text_field("title_exact", STRING),
        body: b.add_text_field("body", text.clone()),
        enterprise: b.add_text_field("enterprise", text),
        enterprise_id: b.add_i64_field("enterprise_id", INDEXED | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        state: b.add_text_field("state", STRING | STORED),
        topic: b.add_text_field("topic", STRING | STORED),
        jurisdiction: b.add_text_field("jurisdiction", STRING | STORED),
        unit: b.add_text_field("unit", STRING | STORED),
        lead_unit: b.add_text_field("lead_unit", STRING | STORED),
        restricted: b.add_text_field("restricted", STRING),
        received: b.add_i64_field("received", INDEXED | STORED | FAST),
        expires: b.add_text_field("expires", STRING | STORED),
    };
    (b.build(), fields)
}

/// Where the index has caught up to, kept in its commit so a restart resumes there.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct Watermark {
    cases_ms: i64,
    knowledge_ms: i64,
}

/// Rows changed this long before the watermark are read again: a transaction that committed late with an
/// earlier `updated_at` (another server, a slow write) is still picked up.
const OVERLAP_MS: i64 = 10_000;
const PAGE: i64 = 2_000;

struct Writer {
    writer: IndexWriter,
    watermark: Watermark,
    /// (key → updated_at) of documents indexed inside the overlap window: not rewritten on every sync.
    recent: HashMap<String, i64>,
}

pub struct SearchIndex {
    reader: IndexReader,
    fields: Fields,
    writer: Mutex<Writer>,
    sealed: Sealed,
}

/// The discipline commission's cases with their text, in memory only: their text is sealed at rest
/// (storage's `crypto`), and the on-disk index holds their number and title alone. Loaded in full at the
/// first sync after a start, then kept up by the same follower; searched only for those who may see them.
struct Sealed {
    reader: IndexReader,
    writer: Mutex<(IndexWriter, bool)>,
}

/// Which documents a search reaches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchScope {
    /// Cases and knowledge-base answers.
    #[default]
    Both,
    Cases,
    Knowledge,
}

impl SearchScope {
    /// `cases`, `knowledge`, or blank for both.
    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "" => Some(SearchScope::Both),
            "cases" => Some(SearchScope::Cases),
            "knowledge" => Some(SearchScope::Knowledge),
            _ => None,
        }
    }
}

/// What a hit is: a case or a knowledge-base answer (serialised `case` / `knowledge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HitType {
    Case,
    Knowledge,
}

impl HitType {
    /// The value of the index's `doc_type` field.
    fn code(self) -> &'static str {
        match self {
            HitType::Case => "case",
            HitType::Knowledge => "knowledge",
        }
    }
}

/// What to search: cases, knowledge-base answers or both, and filters on cases, every value parsed.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub q: String,
    pub scope: SearchScope,
    pub kind: Option<Kind>,
    pub state: Option<State>,
    /// That jurisdiction and the ones below it.
    pub jurisdiction: Option<DivisionCode>,
    pub unit: Option<UnitCode>,
    /// Received on or after / before (milliseconds).
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub enterprise_id: Option<i64>,
    /// Words to match instead of cutting `q` (suggestions pass the text's most distinctive words).
    pub terms: Option<Vec<String>>,
    /// Skip counting every match (`total` is then the hits returned): lets the top-k search prune.
    pub top_only: bool,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    /// `case` or `knowledge`
    #[schema(value_type = String)]
    pub doc_type: HitType,
    pub id: i64,
    /// Work-order number (cases).
    pub number: Option<String>,
    pub title: String,
    /// HTML: the title with matched words in `<b>`; everything else escaped.
    pub title_html: String,
    /// HTML: the best passage of the text with matched words in `<b>`.
    pub snippet_html: String,
    #[schema(value_type = Option<String>)]
    pub kind: Option<Kind>,
    #[schema(value_type = Option<String>)]
    pub state: Option<State>,
    pub jurisdiction: Option<String>,
    pub topic: Option<String>,
    pub lead_unit: Option<String>,
    pub enterprise_id: Option<i64>,
    pub received_at: Option<i64>,
    /// Knowledge entries: the expiry day, and whether it has passed.
    pub expires_on: Option<String>,
    pub expired: bool,
    pub score: f32,
    /// A discipline case found with its text (the commission's in-memory index): its reading is audited.
    #[serde(skip)]
    pub sealed: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub total: usize,
    pub items: Vec<SearchHit>,
}

impl SearchIndex {
    /// Opens (or creates) the index in `dir`; a corrupt or older-schema index is rebuilt from scratch.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| SearchError::Dir(format!("{}: {e}", dir.display())))?;
        let (schema, fields) = schema();
        let index = match Index::open_in_dir(dir) {
            Ok(index) if index.schema() == schema => index,
            Ok(_) | Err(_) => {
                if dir.join("meta.json").exists() {
                    tracing::warn!(dir = %dir.display(), "search index unreadable or of another schema: rebuilding");
                    std::fs::remove_dir_all(dir)
                        .and_then(|_| std::fs::create_dir_all(dir))
                        .map_err(|e| SearchError::Dir(e.to_string()))?;
                }
                Index::create_in_dir(dir, schema)?
            }
        };
        Self::with_index(index, fields)
    }

    /// An index in memory (tests, benchmarks).
    pub fn in_memory() -> Result<Self> {
        let (schema, fields) = schema();
        Self::with_index(Index::create_in_ram(schema), fields)
    }

    fn with_index(index: Index, fields: Fields) -> Result<Self> {
        index.tokenizers().register(TOKENIZER, ChineseTokenizer);
        let watermark =
            index.load_metas()?.payload.and_then(|p| serde_json::from_str::<Watermark>(&p).ok()).unwrap_or_default();
        let writer = index.writer_with_num_threads(1, 64_000_000)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let ram = Index::create_in_ram(schema().0);
        ram.tokenizers().register(TOKENIZER, ChineseTokenizer);
        let sealed = Sealed {
            writer: Mutex::new((ram.writer_with_num_threads(1, 15_000_000)?, false)),
            reader: ram.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?,
        };
        Ok(SearchIndex {
            reader,
            fields,
            writer: Mutex::new(Writer { writer, watermark, recent: HashMap::new() }),
            sealed,
        })
    }

    /// Put discipline cases, with their opened text, into the in-memory index; the first call loads them all.
    async fn sync_sealed(&self, store: &Store, changed: &[CaseDoc]) -> Result<()> {
        let mut guard = self.sealed.writer.lock().await;
        let (writer, loaded) = &mut *guard;
        let mut n = 0;
        if !*loaded {
            let mut after = 0;
            loop {
                let docs = store.sealed_cases_after(after, PAGE).await?;
                let Some(last) = docs.last() else { break };
                after = last.id;
                for d in &docs {
                    writer.delete_term(Term::from_field_text(self.fields.key, &format!("c{}", d.id)));
                    writer.add_document(self.case_document_with(d, &d.sealed_text))?;
                    n += 1;
                }
            }
            *loaded = true;
        }
        for d in changed.iter().filter(|d| d.discipline_only) {
            writer.delete_term(Term::from_field_text(self.fields.key, &format!("c{}", d.id)));
            writer.add_document(self.case_document_with(d, &d.sealed_text))?;
            n += 1;
        }
        if n > 0 {
            writer.commit()?;
            self.sealed.reader.reload()?;
        }
        Ok(())
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Documents anyone with a list may know exist: all but the discipline commission's cases.
    pub fn num_public_docs(&self) -> u64 {
        let searcher = self.reader.searcher();
        let restricted = searcher.doc_freq(&Term::from_field_text(self.fields.restricted, "1")).unwrap_or(0);
        searcher.num_docs().saturating_sub(restricted)
    }

    fn case_document(&self, d: &CaseDoc) -> TantivyDocument {
        self.case_document_with(d, &d.text)
    }

    fn case_document_with(&self, d: &CaseDoc, body: &str) -> TantivyDocument {
        let f = self.fields;
        let mut doc = TantivyDocument::new();
        doc.add_text(f.key, format!("c{}", d.id));
        doc.add_text(f.doc_type, HitType::Case.code());
        doc.add_i64(f.id, d.id);
        doc.add_text(f.number, &d.number);
        doc.add_text(f.title, &d.title);
        doc.add_text(f.title_exact, normalise(&d.title));
        doc.add_text(f.body, body);
        doc.add_text(f.enterprise, &d.enterprise);
        if let Some(e) = d.enterprise_id {
            doc.add_i64(f.enterprise_id, e);
        }
        doc.add_text(f.kind, d.kind.code());
        doc.add_text(f.state, d.state.code());
        if let Some(t) = &d.topic {
            doc.add_text(f.topic, t);
        }
        doc.add_text(f.jurisdiction, d.handling_jurisdiction.as_str());
        for u in &d.units {
            doc.add_text(f.unit, u.as_str());
        }
        if let Some(u) = &d.lead_unit {
            doc.add_text(f.lead_unit, u.as_str());
        }
        doc.add_text(f.restricted, if d.discipline_only { "1" } else { "0" });
        doc.add_i64(f.received, d.received_at);
        doc
    }

    fn knowledge_document(&self, e: &KnowledgeEntry) -> TantivyDocument {
        let f = self.fields;
        let mut doc = TantivyDocument::new();
        doc.add_text(f.key, format!("k{}", e.id));
        doc.add_text(f.doc_type, HitType::Knowledge.code());
        doc.add_i64(f.id, e.id);
        doc.add_text(f.title, &e.content.title);
        doc.add_text(f.title_exact, normalise(&e.content.title));
        doc.add_text(f.body, &e.content.body);
        if let Some(t) = &e.content.topic {
            doc.add_text(f.topic, t);
        }
        doc.add_text(f.jurisdiction, e.jurisdiction.as_str());
        if let Some(x) = e.content.expires_on {
            doc.add_text(f.expires, x.to_string());
        }
        doc
    }

    /// Catches up with the database: every case and knowledge entry changed since the watermark.
    /// Returns how many documents were (re)written. Cheap when nothing changed (one indexed range read each).
    pub async fn sync(&self, store: &Store) -> Result<usize> {
        let mut w = self.writer.lock().await;
        let mut written = 0;
        // Keyset pages over (updated_at, id), starting an overlap before the watermark.
        let mut cursor = ((w.watermark.cases_ms - OVERLAP_MS).max(0), 0i64);
        loop {
            let docs = store.cases_changed_since(cursor, PAGE).await?;
            self.sync_sealed(store, &docs).await?;
            let mut changed = 0;
            for d in &docs {
                let key = format!("c{}", d.id);
                if w.recent.get(&key) == Some(&d.updated_at) {
                    continue;
                }
                w.writer.delete_term(Term::from_field_text(self.fields.key, &key));
                w.writer.add_document(self.case_document(d))?;
                w.recent.insert(key, d.updated_at);
                changed += 1;
            }
            if let Some(last) = docs.last() {
                w.watermark.cases_ms = w.watermark.cases_ms.max(last.updated_at);
                cursor = (last.updated_at, last.id);
            }
            if changed > 0 {
                self.commit(&mut w)?;
                written += changed;
            }
            if (docs.len() as i64) < PAGE {
                break;
            }
        }
        let now = Timestamp::now();
        let since = (w.watermark.knowledge_ms - OVERLAP_MS).max(0);
        let entries = store.knowledge_changed_since(since, now).await?;
        let mut changed = 0;
        for e in &entries {
            let key = format!("k{}", e.id);
            let updated_ms = zhitong_domain::time::to_millis(e.updated_at);
            if w.recent.get(&key) == Some(&updated_ms) {
                continue;
            }
            w.writer.delete_term(Term::from_field_text(self.fields.key, &key));
            // Only published answers are searchable; drafts and withdrawn ones leave the index.
            if e.status == KnowledgeStatus::Published {
                w.writer.add_document(self.knowledge_document(e))?;
            }
            w.recent.insert(key, updated_ms);
            w.watermark.knowledge_ms = w.watermark.knowledge_ms.max(updated_ms);
            changed += 1;
        }
        if changed > 0 {
            self.commit(&mut w)?;
            written += changed;
        }
        let (case_floor, kb_floor) = (w.watermark.cases_ms - OVERLAP_MS, w.watermark.knowledge_ms - OVERLAP_MS);
        w.recent.retain(|k, at| *at >= if k.starts_with('c') { case_floor } else { kb_floor });
        Ok(written)
    }

    fn commit(&self, w: &mut Writer) -> Result<()> {
        let mut prepared = w.writer.prepare_commit()?;
        prepared.set_payload(&serde_json::to_string(&w.watermark).expect("watermark serialises"));
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Adds cases in bulk and commits (benchmarks, imports). The watermark is not moved.
    pub async fn add_cases(&self, docs: &[CaseDoc]) -> Result<()> {
        let mut w = self.writer.lock().await;
        for d in docs {
            w.writer.delete_term(Term::from_field_text(self.fields.key, &format!("c{}", d.id)));
            w.writer.add_document(self.case_document(d))?;
        }
        self.commit(&mut w)
    }

    /// Empties the index and reads everything again (`zhitong search rebuild`). `progress(done)` after each page.
    pub async fn rebuild(&self, store: &Store, mut progress: impl FnMut(u64)) -> Result<u64> {
        {
            let mut sealed = self.sealed.writer.lock().await;
            sealed.0.delete_all_documents()?;
            sealed.1 = false;
        }
        self.sync_sealed(store, &[]).await?;
        let mut w = self.writer.lock().await;
        w.writer.delete_all_documents()?;
        w.recent.clear();
        w.watermark = Watermark::default();
        let started = zhitong_domain::time::to_millis(Timestamp::now());
        let (mut after, mut done) = (0i64, 0u64);
        loop {
            let docs = store.cases_after(after, 5_000).await?;
            let Some(last) = docs.last() else { break };
            after = last.id;
            for d in &docs {
                w.writer.add_document(self.case_document(d))?;
                w.watermark.cases_ms = w.watermark.cases_ms.max(d.updated_at);
            }
            done += docs.len() as u64;
            progress(done);
        }
        for e in store.knowledge_entries(Some(KnowledgeStatus::Published), Timestamp::now()).await? {
            w.writer.add_document(self.knowledge_document(&e))?;
        }
        // Changes made while rebuilding are newer than `started`: the next sync re-reads from there.
        w.watermark.cases_ms = w.watermark.cases_ms.min(started);
        w.watermark.knowledge_ms = started - OVERLAP_MS;
        self.commit(&mut w)?;
        Ok(done)
    }

    fn visibility(&self, actor: &Actor, tree: &JurisdictionTree) -> Box<dyn Query> {
        let f = self.fields;
        let term = |field: Field, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic))
        };
        let knowledge = term(f.doc_type, HitType::Knowledge.code());
        let cases: Option<Box<dyn Query>> = match list_scope(actor, tree) {
            ListScope::Nothing => None,
            ListScope::Unit(u) => Some(Box::new(BooleanQuery::new(vec![
                (Occur::Must, term(f.doc_type, HitType::Case.code())),
                (Occur::Must, term(f.unit, u.as_str())),
                (Occur::MustNot, term(f.restricted, "1")),
            ]))),
            ListScope::Jurisdictions { codes, include_discipline_only } => {
                let any_of = BooleanQuery::new(
                    codes.iter().map(|c| (Occur::Should, term(f.jurisdiction, c.as_str()))).collect(),
                );
                let mut parts = vec![
                    (Occur::Must, term(f.doc_type, HitType::Case.code())),
                    (Occur::Must, Box::new(any_of) as Box<dyn Query>),
                ];
                if !include_discipline_only {
                    parts.push((Occur::MustNot, term(f.restricted, "1")));
                }
                Some(Box::new(BooleanQuery::new(parts)))
            }
        };
        let mut either = vec![(Occur::Should, knowledge)];
        if let Some(c) = cases {
            either.push((Occur::Should, c));
        }
        Box::new(BooleanQuery::new(either))
    }

    /// The `n` most distinctive words of a text (rarest in the index first, words in no document dropped):
    /// matching a whole appeal's every word against a million cases is slow and no better.
    pub fn key_terms(&self, text: &str, n: usize) -> Vec<String> {
        let searcher = self.reader.searcher();
        let mut scored: Vec<(u64, String)> = query_terms(text)
            .into_iter()
            .filter(|w| w.chars().count() >= 2)
            .filter_map(|w| {
                let df = searcher.doc_freq(&Term::from_field_text(self.fields.body, &w)).ok()?
                    + searcher.doc_freq(&Term::from_field_text(self.fields.title, &w)).ok()?;
                (df > 0).then_some((df, w))
            })
            .collect();
        scored.sort();
        scored.into_iter().take(n).map(|(_, w)| w).collect()
    }

    /// Searches what this actor may see. Words are ranked title first; an exact title or number comes first.
    pub fn search(&self, actor: &Actor, tree: &JurisdictionTree, query: &SearchQuery) -> Result<SearchResults> {
        let f = self.fields;
        let term = |field: Field, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic))
        };
        let words = query.terms.clone().unwrap_or_else(|| query_terms(&query.q));
        let mut text: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in &words {
            for (field, boost) in [(f.title, 3.0), (f.body, 1.0), (f.enterprise, 1.5)] {
                let q = TermQuery::new(Term::from_field_text(field, w), IndexRecordOption::WithFreqs);
                text.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
            }
        }
        let exact = normalise(&query.q);
        if !exact.is_empty() {
            text.push((Occur::Should, Box::new(BoostQuery::new(term(f.title_exact, &exact), 50.0))));
            text.push((Occur::Should, Box::new(BoostQuery::new(term(f.number, query.q.trim()), 50.0))));
        }
        let mut must: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, if text.is_empty() { Box::new(AllQuery) } else { Box::new(BooleanQuery::new(text)) })];
        // Published answers are for all staff: only searches that may reach cases need the visibility clause.
        if query.scope != SearchScope::Knowledge {
            must.push((Occur::Must, self.visibility(actor, tree)));
        }
        match query.scope {
            SearchScope::Cases => must.push((Occur::Must, term(f.doc_type, HitType::Case.code()))),
            SearchScope::Knowledge => must.push((Occur::Must, term(f.doc_type, HitType::Knowledge.code()))),
            SearchScope::Both => {}
        }
        let filters = [
            (f.kind, query.kind.map(Kind::code)),
            (f.state, query.state.map(State::code)),
            (f.unit, query.unit.as_ref().map(UnitCode::as_str)),
        ];
        for (field, code) in filters {
            if let Some(code) = code {
                must.push((Occur::Must, term(field, code)));
            }
        }
        if let Some(code) = &query.jurisdiction {
            let below = tree.subtree(code);
            must.push((
                Occur::Must,
                Box::new(BooleanQuery::new(
                    below.iter().map(|c| (Occur::Should, term(f.jurisdiction, c.as_str()))).collect(),
                )),
            ));
        }
        if let Some(e) = query.enterprise_id {
            must.push((
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_i64(f.enterprise_id, e), IndexRecordOption::Basic)),
            ));
        }
        if query.from_ms.is_some() || query.to_ms.is_some() {
            let lo = query.from_ms.map_or(Bound::Unbounded, |m| Bound::Included(Term::from_field_i64(f.received, m)));
            let hi = query.to_ms.map_or(Bound::Unbounded, |m| Bound::Excluded(Term::from_field_i64(f.received, m)));
            must.push((Occur::Must, Box::new(RangeQuery::new(lo, hi))));
        }
        let full = BooleanQuery::new(must);
        // Snippets highlight the words only (not the filters).
        let words_query = BooleanQuery::new(
            words.iter().flat_map(|w| [f.title, f.body].map(|field| (Occur::Should, term(field, w)))).collect(),
        );
        let limit = query.limit.clamp(1, 100);
        let with_sealed = query.scope != SearchScope::Knowledge
            && matches!(list_scope(actor, tree), ListScope::Jurisdictions { include_discipline_only: true, .. });
        if !with_sealed {
            let searcher = self.reader.searcher();
            let (top, total) = self.top(&searcher, &full, query.offset, limit, query.top_only)?;
            let items = self.hits(&searcher, &words_query, words.is_empty(), top)?;
            return Ok(SearchResults { total, items });
        }
        // Discipline cases come from the in-memory index, with their text; the on-disk copies (title only) are
        // left out. Both are cut at offset + limit, merged by score, then paged.
        let disk = BooleanQuery::new(vec![
            (Occur::Must, Box::new(full.clone()) as Box<dyn Query>),
            (Occur::MustNot, term(f.restricted, "1")),
        ]);
        let (searcher, sealed_searcher) = (self.reader.searcher(), self.sealed.reader.searcher());
        let (top, n) = self.top(&searcher, &disk, 0, query.offset + limit, query.top_only)?;
        let (sealed_top, m) = self.top(&sealed_searcher, &full, 0, query.offset + limit, query.top_only)?;
        let mut items = self.hits(&searcher, &words_query, words.is_empty(), top)?;
        let sealed_items = self.hits(&sealed_searcher, &words_query, words.is_empty(), sealed_top)?;
        items.extend(sealed_items.into_iter().map(|h| SearchHit { sealed: true, ..h }));
        items.sort_by(|a, b| b.score.partial_cmp(&a.score).unwrap_or(std::cmp::Ordering::Equal).then(b.id.cmp(&a.id)));
        let items = items.into_iter().skip(query.offset).take(limit).collect();
        Ok(SearchResults { total: n + m, items })
    }

    fn top(
        &self,
        searcher: &tantivy::Searcher,
        q: &dyn Query,
        offset: usize,
        limit: usize,
        top_only: bool,
    ) -> Result<(Vec<(f32, tantivy::DocAddress)>, usize)> {
        let top_docs = TopDocs::with_limit(limit.max(1)).and_offset(offset).order_by_score();
        Ok(if top_only {
            let top = searcher.search(q, &top_docs)?;
            let n = top.len();
            (top, n)
        } else {
            searcher.search(q, &(top_docs, Count))?
        })
    }

    fn hits(
        &self,
        searcher: &tantivy::Searcher,
        words_query: &BooleanQuery,
        no_words: bool,
        top: Vec<(f32, tantivy::DocAddress)>,
    ) -> Result<Vec<SearchHit>> {
        let f = self.fields;
        let mut body_snippets = SnippetGenerator::create(searcher, words_query, f.body)?;
        body_snippets.set_max_num_chars(160);
        let mut title_snippets = SnippetGenerator::create(searcher, words_query, f.title)?;
        title_snippets.set_max_num_chars(400);
        let today = local(Timestamp::now()).date().to_string();
        let mut items = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).map(str::to_string);
            let title = text(f.title).unwrap_or_default();
            let title_html =
                if no_words { html_escape(&title) } else { title_snippets.snippet_from_doc(&doc).to_html() };
            let snippet = body_snippets.snippet_from_doc(&doc);
            let snippet_html = if snippet.is_empty() {
                html_escape(&text(f.body).unwrap_or_default().chars().take(160).collect::<String>())
            } else {
                snippet.to_html()
            };
            let expires_on = text(f.expires);
            items.push(SearchHit {
                doc_type: if text(f.doc_type).as_deref() == Some(HitType::Knowledge.code()) {
                    HitType::Knowledge
                } else {
                    HitType::Case
                },
                id: doc.get_first(f.id).and_then(|v| v.as_i64()).unwrap_or_default(),
                number: text(f.number),
                title_html: if title_html.is_empty() { html_escape(&title) } else { title_html },
                title,
                snippet_html,
                kind: text(f.kind).as_deref().and_then(Kind::from_code),
                state: text(f.state).as_deref().and_then(State::from_code),
                jurisdiction: text(f.jurisdiction),
                topic: text(f.topic),
                lead_unit: text(f.lead_unit),
                enterprise_id: doc.get_first(f.enterprise_id).and_then(|v| v.as_i64()),
                received_at: doc.get_first(f.received).and_then(|v| v.as_i64()),
                expired: expires_on.as_deref().is_some_and(|d| d < today.as_str()),
                sealed: false,
                expires_on,
                score,
            });
        }
        Ok(items)
    }
}

fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<String>().to_lowercase()
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
