//! ownCloud's mimetypes by file name, as its `Detection::detectPath` finds them, so the rows
//! occ writes hold the mimetype ownCloud's own scanner would write: the extension after the last
//! `.` (leading dots ignored, lower-cased; `.so` and `.so.N` for shared objects) looked up in
//! ownCloud 10.15.2's mapping (`resources/config/mimetypemapping.dist.json`, its first type per
//! extension, as the table below), with an instance's own `config/mimetypemapping.json` over
//! it; anything else is `application/octet-stream`. These are 10.15.2's rules and table:
//! ownCloud before 10.12 did not drop leading dots, before 10.2 had no `.so` rule, and older
//! tables know fewer extensions. (mime_guess, used before, names other types for some
//! extensions, `.py` and `.js` among them, and ownCloud would then see every such row as
//! changed.)

use std::collections::HashMap;
use std::path::Path;

/// ownCloud 10.15.2's mapping: extension, mimetype; sorted by extension.
static OWNCLOUD: &[(&str, &str)] = &[
    ("3gp", "video/3gpp"),
    ("7z", "application/x-7z-compressed"),
    ("accdb", "application/msaccess"),
    ("ai", "application/illustrator"),
    ("apk", "application/vnd.android.package-archive"),
    ("arw", "image/x-dcraw"),
    ("avi", "video/x-msvideo"),
    ("bash", "text/x-shellscript"),
    ("bin", "application/x-bin"),
    ("blend", "application/x-blender"),
    ("bmp", "image/bmp"),
    ("bpg", "image/bpg"),
    ("bw", "image/sgi"),
    ("bz2", "application/x-bzip2"),
    ("c", "text/x-c"),
    ("c++", "text/x-c++src"),
    ("cb7", "application/x-cbr"),
    ("cba", "application/x-cbr"),
    ("cbr", "application/x-cbr"),
    ("cbt", "application/x-cbr"),
    ("cbtc", "application/x-cbr"),
    ("cbz", "application/x-cbr"),
    ("cc", "text/x-c"),
    ("cdr", "application/coreldraw"),
    ("class", "application/java"),
    ("cnf", "text/plain"),
    ("conf", "text/plain"),
    ("cpp", "text/x-c++src"),
    ("cr2", "image/x-dcraw"),
    ("css", "text/css"),
    ("csv", "text/csv"),
    ("cvbdl", "application/x-cbr"),
    ("dcr", "image/x-dcraw"),
    ("deb", "application/x-deb"),
    ("dll", "application/x-msdos-program"),
    ("dng", "image/x-dcraw"),
    ("doc", "application/msword"),
    ("docm", "application/vnd.ms-word.document.macroEnabled.12"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("dot", "application/msword"),
    (
        "dotx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
    ),
    ("drawio", "application/x-drawio"),
    ("dv", "video/dv"),
    ("dylib", "application/x-sharedlib"),
    ("eml", "message/rfc822"),
    ("eot", "application/vnd.ms-fontobject"),
    ("eps", "application/postscript"),
    ("epub", "application/epub+zip"),
    ("erf", "image/x-dcraw"),
    ("exe", "application/x-ms-dos-executable"),
    ("flac", "audio/flac"),
    ("flv", "video/x-flv"),
    (
        "fodg",
        "application/vnd.oasis.opendocument.graphics-flat-xml",
    ),
    ("gif", "image/gif"),
    ("gz", "application/x-gzip"),
    ("gzip", "application/x-gzip"),
    ("h", "text/x-h"),
    ("heic", "image/heic"),
    ("heif", "image/heif"),
    ("hh", "text/x-h"),
    ("hpp", "text/x-h"),
    ("htm", "text/html"),
    ("html", "text/html"),
    ("ical", "text/calendar"),
    ("ics", "text/calendar"),
    ("iiq", "image/x-dcraw"),
    ("impress", "text/impress"),
    ("int", "image/sgi"),
    ("inta", "image/sgi"),
    ("java", "text/x-java-source"),
    ("jpeg", "image/jpeg"),
    ("jpg", "image/jpeg"),
    ("jps", "image/jpeg"),
    ("js", "application/javascript"),
    ("json", "application/json"),
    ("k25", "image/x-dcraw"),
    ("kdc", "image/x-dcraw"),
    ("key", "application/x-iwork-keynote-sffkey"),
    ("keynote", "application/x-iwork-keynote-sffkey"),
    ("kra", "application/x-krita"),
    ("lwp", "application/vnd.lotus-wordpro"),
    ("m2t", "video/mp2t"),
    ("m3u", "audio/mpegurl"),
    ("m3u8", "audio/mpegurl"),
    ("m4a", "audio/mp4"),
    ("m4b", "audio/m4b"),
    ("m4v", "video/mp4"),
    ("markdown", "text/markdown"),
    ("md", "text/markdown"),
    ("mdb", "application/msaccess"),
    ("mdown", "text/markdown"),
    ("mdwn", "text/markdown"),
    ("mef", "image/x-dcraw"),
    ("mkd", "text/markdown"),
    ("mkv", "video/x-matroska"),
    ("mobi", "application/x-mobipocket-ebook"),
    ("mov", "video/quicktime"),
    ("mp3", "audio/mpeg"),
    ("mp4", "video/mp4"),
    ("mpeg", "video/mpeg"),
    ("mpg", "video/mpeg"),
    ("mpo", "image/jpeg"),
    ("msi", "application/x-msi"),
    ("mt2s", "video/MP2T"),
    ("mts", "video/MP2T"),
    ("nef", "image/x-dcraw"),
    ("numbers", "application/x-iwork-numbers-sffnumbers"),
    ("odc", "application/vnd.oasis.opendocument.chart"),
    ("odf", "application/vnd.oasis.opendocument.formula"),
    ("odg", "application/vnd.oasis.opendocument.graphics"),
    ("odi", "application/vnd.oasis.opendocument.image"),
    ("odm", "application/vnd.oasis.opendocument.text-master"),
    ("odp", "application/vnd.oasis.opendocument.presentation"),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("oga", "audio/ogg"),
    ("ogg", "audio/ogg"),
    ("ogv", "video/ogg"),
    ("one", "application/msonenote"),
    ("opus", "audio/ogg"),
    ("orf", "image/x-dcraw"),
    ("otc", "application/vnd.oasis.opendocument.chart-template"),
    ("otf", "application/font-sfnt"),
    (
        "otg",
        "application/vnd.oasis.opendocument.graphics-template",
    ),
    ("oth", "application/vnd.oasis.opendocument.text-web"),
    ("oti", "application/vnd.oasis.opendocument.image-template"),
    (
        "otp",
        "application/vnd.oasis.opendocument.presentation-template",
    ),
    (
        "ots",
        "application/vnd.oasis.opendocument.spreadsheet-template",
    ),
    ("ott", "application/vnd.oasis.opendocument.text-template"),
    ("ovpn", "application/x-openvpn-profile"),
    ("pages", "application/x-iwork-pages-sffpages"),
    ("pdf", "application/pdf"),
    ("pef", "image/x-dcraw"),
    ("pfb", "application/x-font"),
    ("php", "application/x-php"),
    ("pl", "application/x-perl"),
    ("pls", "audio/x-scpls"),
    ("png", "image/png"),
    ("pot", "application/vnd.ms-powerpoint"),
    (
        "potm",
        "application/vnd.ms-powerpoint.template.macroEnabled.12",
    ),
    (
        "potx",
        "application/vnd.openxmlformats-officedocument.presentationml.template",
    ),
    ("ppa", "application/vnd.ms-powerpoint"),
    (
        "ppam",
        "application/vnd.ms-powerpoint.addin.macroEnabled.12",
    ),
    ("pps", "application/vnd.ms-powerpoint"),
    (
        "ppsm",
        "application/vnd.ms-powerpoint.slideshow.macroEnabled.12",
    ),
    (
        "ppsx",
        "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
    ),
    ("ppt", "application/vnd.ms-powerpoint"),
    (
        "pptm",
        "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("ps", "application/postscript"),
    ("psd", "application/x-photoshop"),
    ("py", "text/x-python"),
    ("raf", "image/x-dcraw"),
    ("rar", "application/x-rar-compressed"),
    ("reveal", "text/reveal"),
    ("rgb", "image/sgi"),
    ("rgba", "image/sgi"),
    ("rss", "application/rss+xml"),
    ("rtf", "text/rtf"),
    ("rw2", "image/x-dcraw"),
    ("sgf", "application/sgf"),
    ("sgi", "image/sgi"),
    ("sh", "text/x-shellscript"),
    ("sh-lib", "text/x-shellscript"),
    ("so", "application/x-sharedlib"),
    ("sr2", "image/x-dcraw"),
    ("srf", "image/x-dcraw"),
    ("svg", "image/svg+xml"),
    ("swf", "application/x-shockwave-flash"),
    ("tar", "application/x-tar"),
    ("tar.bz2", "application/x-bzip2"),
    ("tar.gz", "application/x-compressed"),
    ("tbz2", "application/x-bzip2"),
    ("tex", "application/x-tex"),
    ("tgz", "application/x-compressed"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("toml", "application/toml"),
    ("ttf", "application/font-sfnt"),
    ("txt", "text/plain"),
    ("vcard", "text/vcard"),
    ("vcf", "text/vcard"),
    ("vob", "video/dvd"),
    ("vsd", "application/vnd.visio"),
    ("wav", "audio/wav"),
    ("webm", "video/webm"),
    ("webp", "image/webp"),
    ("wmv", "video/x-ms-wmv"),
    ("woff", "application/font-woff"),
    ("wpd", "application/vnd.wordperfect"),
    ("xcf", "application/x-gimp"),
    ("xla", "application/vnd.ms-excel"),
    ("xlam", "application/vnd.ms-excel.addin.macroEnabled.12"),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsb",
        "application/vnd.ms-excel.sheet.binary.macroEnabled.12",
    ),
    ("xlsm", "application/vnd.ms-excel.sheet.macroEnabled.12"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("xlt", "application/vnd.ms-excel"),
    ("xltm", "application/vnd.ms-excel.template.macroEnabled.12"),
    (
        "xltx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
    ),
    ("xml", "application/xml"),
    ("xrf", "image/x-dcraw"),
    ("yaml", "application/yaml"),
    ("yml", "application/yaml"),
    ("zip", "application/zip"),
];

/// The type of a name no mapping knows.
pub const UNKNOWN: &str = "application/octet-stream";

/// The mapping: ownCloud's, with an instance's own over it.
#[derive(Debug, Default, Clone)]
pub struct Mapping {
    /// The instance's own: an extension's first type (`None` for an empty list, which ownCloud
    /// reads as no type at all).
    custom: HashMap<String, Option<String>>,
}

impl Mapping {
    /// ownCloud's mapping with `<root>/config/mimetypemapping.json` over it, when the instance
    /// has one (an unreadable one is left out, as ownCloud's `json_decode` leaves it).
    pub fn load(root: &Path) -> Self {
        let file = root.join("config").join("mimetypemapping.json");
        let custom = std::fs::read(&file)
            .ok()
            .and_then(|b| serde_json::from_slice::<HashMap<String, serde_json::Value>>(&b).ok())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(ext, v)| {
                let list = v.as_array()?;
                let first = list.first().and_then(|t| t.as_str()).map(str::to_string);
                Some((ext, first))
            })
            .collect();
        Self { custom }
    }

    /// The mimetype of a file name.
    pub fn of(&self, name: &str) -> &str {
        let ext = extension(name);
        if let Some(m) = self.custom.get(ext.as_str()) {
            return m.as_deref().unwrap_or(UNKNOWN);
        }
        OWNCLOUD
            .binary_search_by(|(e, _)| (*e).cmp(ext.as_str()))
            .map(|i| OWNCLOUD[i].1)
            .unwrap_or(UNKNOWN)
    }
}

/// The extension ownCloud looks up: after leading dots are dropped, `so` for a shared object
/// (the first `.so` is the end of the name or followed by `.`), else what follows the last
/// `.`, lower-cased (empty without one).
fn extension(name: &str) -> String {
    let name = name.trim_start_matches('.');
    // strtolower(): ASCII only.
    let lower = name.to_ascii_lowercase();
    if let Some(at) = lower.find(".so") {
        let rest = &lower[at + 3..];
        if rest.is_empty() || rest.starts_with('.') {
            return "so".into();
        }
    }
    match lower.rfind('.') {
        Some(at) => lower[at + 1..].to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_get_owncloud_s_types() {
        let m = Mapping::default();
        for (name, want) in [
            ("main.py", "text/x-python"),
            ("util.js", "application/javascript"),
            ("2024-01-01.tar.gz", "application/x-gzip"),
            ("db-dump.sql", UNKNOWN),
            ("README", UNKNOWN),
            (".hidden", UNKNOWN),
            ("UPPER.TXT", "text/plain"),
            ("libx.so.1", "application/x-sharedlib"),
            ("a.song.mp3", "audio/mpeg"),
            ("Report 2024.md", "text/markdown"),
        ] {
            assert_eq!(m.of(name), want, "{name}");
        }
    }

    #[test]
    fn the_table_is_sorted_for_binary_search() {
        assert!(OWNCLOUD.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
