//! The language codes occ accepts for translations (the list of ownCloud's `occ` manual), and
//! the nearest known code for a typo.

/// Known language codes, sorted.
pub const CODES: &[&str] = &[
    "ach",
    "ady",
    "af_ZA",
    "ak",
    "am_ET",
    "ar",
    "ast",
    "az",
    "be",
    "bg_BG",
    "bn_BD",
    "bn_IN",
    "bs",
    "ca",
    "ca@valencia",
    "cs_CZ",
    "cy_GB",
    "da",
    "de",
    "de_AT",
    "de_CH",
    "de_DE",
    "el",
    "en_GB",
    "en_NZ",
    "eo",
    "es",
    "es_AR",
    "es_BO",
    "es_CL",
    "es_CO",
    "es_CR",
    "es_EC",
    "es_MX",
    "es_PE",
    "es_PY",
    "es_US",
    "es_UY",
    "et_EE",
    "eu",
    "eu_ES",
    "fa",
    "fi",
    "fi_FI",
    "fil",
    "fr",
    "fr_CA",
    "fy_NL",
    "gl",
    "gu",
    "he",
    "hi",
    "hi_IN",
    "hr",
    "hu_HU",
    "hy",
    "ia",
    "id",
    "io",
    "is",
    "it",
    "ja",
    "jv",
    "ka_GE",
    "km",
    "kn",
    "ko",
    "ku_IQ",
    "lb",
    "lo",
    "lt_LT",
    "lv",
    "mg",
    "mk",
    "ml",
    "ml_IN",
    "mn",
    "ms_MY",
    "mt_MT",
    "my_MM",
    "nb_NO",
    "nds",
    "ne",
    "nl",
    "nn_NO",
    "nqo",
    "oc",
    "or_IN",
    "pa",
    "pl",
    "pt_BR",
    "pt_PT",
    "ro",
    "ru",
    "si_LK",
    "sk",
    "sk_SK",
    "sl",
    "sq",
    "sr",
    "sr@latin",
    "su",
    "sv",
    "sw_KE",
    "ta_IN",
    "ta_LK",
    "te",
    "tg_TJ",
    "th_TH",
    "tl_PH",
    "tr",
    "tzm",
    "ug",
    "uk",
    "ur",
    "ur_PK",
    "uz",
    "vi",
    "yo",
    "zh_CN",
    "zh_HK",
    "zh_TW",
];

/// Whether `code` is a known language code.
pub fn is_known(code: &str) -> bool {
    CODES.binary_search(&code).is_ok()
}

/// The known code closest to `code` (case-insensitive edit distance; `-` read as `_`).
pub fn nearest(code: &str) -> &'static str {
    let wanted = code.to_lowercase().replace('-', "_");
    CODES
        .iter()
        .min_by_key(|c| (strsim::levenshtein(&wanted, &c.to_lowercase()), c.len()))
        .copied()
        .unwrap_or("en_GB")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_and_has_the_odd_ones() {
        let mut sorted = CODES.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, CODES);
        for c in ["sr@latin", "ca@valencia", "pt_BR", "de", "zh_TW", "nqo"] {
            assert!(is_known(c), "{c}");
        }
        assert!(!is_known("xx"));
    }

    #[test]
    fn suggests_the_nearest() {
        assert_eq!(nearest("pt-br"), "pt_BR");
        assert_eq!(nearest("sr@latn"), "sr@latin");
        assert_eq!(nearest("dee"), "de");
    }
}
