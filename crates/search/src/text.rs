//! Chinese text as words: one segmenter for the index, the classifier and suggestions.

use std::sync::LazyLock;

use jieba_rs::Jieba;

/// jieba's dictionary trimmed to its 136,547 words of frequency ≥ 5 (data/README.md): ≈ 8 MiB resident
/// instead of ≈ 33 MiB for the full one. Loaded once per process (~0.1 s), shared by everything.
///
/// Then the words of enterprise service that a general dictionary lacks or splits (营商环境, 容缺受理,
/// 留抵退税, 绿色通道 …: `data/domain-words.txt`), so that a search for one finds it as one word.
pub static JIEBA: LazyLock<Jieba> = LazyLock::new(|| {
    let mut jieba =
        Jieba::with_dict(&mut include_str!("../data/jieba-dict.txt").as_bytes()).expect("the shipped dictionary loads");
    jieba.load_dict(&mut include_str!("../data/domain-words.txt").as_bytes()).expect("the domain words load");
    jieba
});

/// The words of a text, as jieba cuts it (HMM on for unknown words such as place names).
pub fn words(text: &str) -> Vec<&str> {
    JIEBA.cut(text, true).into_iter().map(|t| t.word).filter(|w| w.chars().any(|c| c.is_alphanumeric())).collect()
}

/// Features of a text for the classifier: character 1- and 2-grams (robust to segmentation mistakes and
/// to the many variants of place and company names) plus jieba words of two characters or more (which carry
/// the meaning: 举报 vs 投诉, 营业执照 vs 执照). Words are prefixed so they never collide with n-grams.
///
/// The title gets its own features as well: callers' titles often name the kind outright (求助：…, 关于…的投诉),
/// which cross-validation on real appeals showed to be worth several points of macro-F1.
pub fn features(title: &str, body: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(3 * (title.len() + body.len()) / 2);
    push_features(&mut out, title, "t:");
    push_features(&mut out, title, "");
    push_features(&mut out, body, "");
    out
}

fn push_features(out: &mut Vec<String>, text: &str, prefix: &str) {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            out.push(format!("{prefix}{c}"));
        }
        if let Some(next) = chars.get(i + 1)
            && (c.is_alphanumeric() || next.is_alphanumeric())
        {
            out.push(format!("{prefix}{c}{next}"));
        }
    }
    for word in words(text) {
        if word.chars().count() >= 2 {
            out.push(format!("{prefix}w:{word}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segmentation_finds_the_licence_inside_a_longer_phrase() {
        assert!(words("办理营业执照变更").contains(&"营业执照"));
    }

    #[test]
    fn words_of_enterprise_service_stay_whole() {
        let w = words("企业反映留抵退税迟迟未到账，希望开通绿色通道，优化营商环境，落实容缺受理");
        for word in ["留抵退税", "绿色通道", "营商环境", "容缺受理"] {
            assert!(w.contains(&word), "{word} in {w:?}");
        }
        // The trimmed general dictionary still cuts everyday text as the full one did.
        assert_eq!(
            words("南宁市绿城科技有限公司希望尽快办理"),
            ["南宁市", "绿城", "科技", "有限公司", "希望", "尽快", "办理"]
        );
    }

    #[test]
    fn features_hold_characters_bigrams_and_words() {
        let f = features("举报偷排", "");
        assert!(f.contains(&"举".to_string()));
        assert!(f.contains(&"举报".to_string()));
        assert!(f.contains(&"w:举报".to_string()));
        assert!(f.contains(&"t:举报".to_string()));
        assert!(!features("", "举报").contains(&"t:举报".to_string()));
        assert!(!f.iter().any(|x| x.contains(' ')));
    }
}
