//! `l10n:createjs <app> [<lang>...] [--force]`: writes `l10n/<lang>.js` and `l10n/<lang>.json`
//! for an app from its `l10n/<lang>.po` (preferred) or `l10n/<lang>.php`. Everything is read,
//! checked and rendered before the first file is written, and nothing is overwritten without
//! `--force`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use occ_plugin_api::prelude::*;

use crate::catalog::Catalog;
use crate::{languages, php, po};

/// The command.
pub struct CreateJs;

/// ownCloud's default when a file declares no plural forms.
const DEFAULT_PLURAL_FORMS: &str = "nplurals=2; plural=(n != 1);";

fn valid_app_id(app: &str) -> bool {
    !app.is_empty()
        && app.len() <= 64
        && app
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The translation source of a language: `.po` first, then ownCloud's `.php`.
fn source(l10n: &Path, lang: &str) -> Option<PathBuf> {
    ["po", "php"]
        .iter()
        .map(|ext| l10n.join(format!("{lang}.{ext}")))
        .find(|p| p.is_file())
}

fn read_catalog(path: &Path) -> Result<Catalog, Error> {
    let bytes =
        fs::read(path).map_err(|e| Error::new(format!("Cannot read {}: {e}", path.display())))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::new(format!("{} is not UTF-8 text", path.display())))?;
    let parsed = if path.extension().is_some_and(|e| e == "po") {
        po::parse(&text).map_err(|e| (e.line, e.message))
    } else {
        php::parse(&text).map_err(|e| (e.line, e.message))
    };
    let mut catalog = parsed.map_err(|(line, msg)| {
        Error::new(format!(
            "Malformed translation file {} line {line}: {msg}",
            path.display()
        ))
    })?;
    if catalog.plural_forms.is_empty() {
        catalog.plural_forms = DEFAULT_PLURAL_FORMS.into();
    }
    Ok(catalog)
}

fn write_atomic(path: &Path, text: &str) -> Result<(), Error> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let r = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    r.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::new(format!("Cannot write {}: {e}", path.display()))
    })
}

impl Command for CreateJs {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("l10n:createjs", "Create javascript translation files for a given app")
            .help("Writes l10n/<lang>.js and l10n/<lang>.json for the app from its l10n/<lang>.po (gettext) or l10n/<lang>.php (ownCloud) files; without a language, for every translation the app has.")
            .arg(Arg::required("app", "The name of the app."))
            .arg(Arg::optional("lang", "The name of the language.").multiple())
            .opt(Opt::flag("force", "Overwrite existing .js and .json files.").short("f"))
            .states(State::ALL)
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let app = input.arg_str("app").unwrap_or_default();
        let root = PathBuf::from(ctx.instance()?.root);
        let app_dir = root.join("apps").join(&app);
        if !valid_app_id(&app) || !app_dir.is_dir() {
            return Err(Error::new(format!("The app <{app}> is unknown.")));
        }
        let l10n = app_dir.join("l10n");
        let mut langs = input.arg_list("lang");
        if langs.is_empty() {
            let mut found: Vec<String> = fs::read_dir(&l10n)
                .map(|rd| {
                    rd.flatten()
                        .filter_map(|e| {
                            let p = e.path();
                            let ext = p.extension()?.to_str()?;
                            (ext == "po" || ext == "php")
                                .then(|| p.file_stem()?.to_str().map(str::to_string))
                                .flatten()
                        })
                        .collect()
                })
                .unwrap_or_default();
            found.sort();
            found.dedup();
            if found.is_empty() {
                return Err(Error::new(format!(
                    "The app <{app}> has no translations in {}.",
                    l10n.display()
                )));
            }
            langs = found;
        }
        for lang in &langs {
            if !languages::is_known(lang) {
                return Err(Error::new(format!(
                    "Unknown language code \"{}\": did you mean \"{}\"?",
                    lang.escape_default(),
                    languages::nearest(lang)
                )));
            }
        }
        // Read, check and render everything before writing anything.
        let force = input.flag("force");
        let mut outputs: Vec<(PathBuf, String, PathBuf, String)> = Vec::new();
        for lang in &langs {
            let Some(src) = source(&l10n, lang) else {
                return Err(Error::new(format!(
                    "Translation file {} (or {}.php) does not exist.",
                    l10n.join(format!("{lang}.po")).display(),
                    lang
                )));
            };
            let catalog = read_catalog(&src)?;
            let js = l10n.join(format!("{lang}.js"));
            let json = l10n.join(format!("{lang}.json"));
            if !force {
                if let Some(existing) = [&js, &json].into_iter().find(|p| p.exists()) {
                    return Err(Error::new(format!(
                        "File already exists: {}",
                        existing.display()
                    )));
                }
            }
            outputs.push((js, catalog.to_js(&app), json, catalog.to_json()));
        }
        for (js, js_text, json, json_text) in outputs {
            write_atomic(&js, &js_text)?;
            ctx.line(&format!(
                "Javascript translation file generated: {}",
                js.display()
            ))?;
            write_atomic(&json, &json_text)?;
            ctx.line(&format!(
                "Json translation file generated: {}",
                json.display()
            ))?;
        }
        Ok(0)
    }
}
