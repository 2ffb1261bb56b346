//! l10n:createjs against a fixture app with de, fr, pt_BR (ownCloud .php) and sr@latin
//! translations full of hard strings; the .js output is evaluated by node with a stub
//! `OC.L10N.register` and the .json parsed, both compared with what the sources say.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use occ_tests::Instance;
use serde_json::{json, Value};

fn fixture_app(i: &Instance) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/apps/l10ntest");
    let dst = i.root().join("apps/l10ntest");
    for sub in ["appinfo", "l10n"] {
        fs::create_dir_all(dst.join(sub)).unwrap();
        for e in fs::read_dir(src.join(sub)).unwrap() {
            let e = e.unwrap();
            fs::copy(e.path(), dst.join(sub).join(e.file_name())).unwrap();
        }
    }
    dst.join("l10n")
}

/// Evaluates a generated .js with a stub OC.L10N.register and returns what it registered.
fn eval_js(path: &Path) -> Value {
    let script = format!(
        "const OC = {{ L10N: {{ register: (app, t, p) => process.stdout.write(JSON.stringify({{app, t, p}})) }} }};\n{}",
        fs::read_to_string(path).unwrap()
    );
    let out = Command::new("node")
        .arg("-e")
        .arg(&script)
        .output()
        .expect("node must be installed to run this test");
    assert!(
        out.status.success(),
        "node failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn expected() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        (
            "de",
            json!({
                "Files": "Dateien",
                "Say \"hello\"": "Sag \"hallo\"",
                "Path C:\\temp": "Pfad C:\\temp",
                "Two\nlines": "Zwei\nZeilen",
                "Close </script> tag": "Schließe </script> Tag – äöü €",
                "verb\u{4}Share": "Teilen",
                "noun\u{4}Share": "Freigabe",
                "_%n file_::_%n files_": ["%n Datei", "%n Dateien"],
            }),
            "nplurals=2; plural=(n != 1);",
        ),
        (
            "fr",
            json!({
                "Files": "Fichiers",
                "It's \"quoted\" and \\ back": "C'est « cité » et \\ retour",
                "_%n file_::_%n files_": ["%n fichier", "%n fichiers"],
            }),
            "nplurals=2; plural=(n > 1);",
        ),
        (
            "pt_BR",
            json!({
                "Files": "Arquivos",
                "Say \"hello\"": "Diga \"olá\"",
                "Single 'quoted'": "Entre 'aspas' simples",
                "Line\nbreak": "Quebra\nde linha",
                "_%n file_::_%n files_": ["%n arquivo", "%n arquivos"],
            }),
            "nplurals=2; plural=(n > 1);",
        ),
        (
            "sr@latin",
            json!({
                "Files": "Fajlovi",
                "_%n file_::_%n files_": ["%n fajl", "%n fajla", "%n fajlova"],
            }),
            "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
        ),
    ]
}

#[test]
fn every_translation_becomes_js_and_json_that_mean_what_the_sources_say() {
    let i = Instance::new(); // available before install
    let l10n = fixture_app(&i);
    let o = i.run(&["l10n:createjs", "l10ntest"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(o.stderr, "");
    let mut lines = String::new();
    for lang in ["de", "fr", "pt_BR", "sr@latin"] {
        lines.push_str(&format!(
            "Javascript translation file generated: {}/{lang}.js\n",
            l10n.display()
        ));
        lines.push_str(&format!(
            "Json translation file generated: {}/{lang}.json\n",
            l10n.display()
        ));
    }
    assert_eq!(o.stdout, lines);
    for (lang, translations, plural) in expected() {
        let js = eval_js(&l10n.join(format!("{lang}.js")));
        assert_eq!(
            js,
            json!({"app": "l10ntest", "t": translations, "p": plural}),
            "{lang}.js"
        );
        let parsed: Value =
            serde_json::from_str(&fs::read_to_string(l10n.join(format!("{lang}.json"))).unwrap())
                .unwrap();
        assert_eq!(
            parsed,
            json!({"translations": translations, "pluralForm": plural}),
            "{lang}.json"
        );
        // Keys keep the source order.
        let keys: Vec<&String> = parsed["translations"].as_object().unwrap().keys().collect();
        let want: Vec<&String> = translations.as_object().unwrap().keys().collect();
        assert_eq!(keys, want);
    }
    // `</script>` never appears raw in the generated script.
    assert!(!fs::read_to_string(l10n.join("de.js"))
        .unwrap()
        .contains("</script>"));
}

#[test]
fn an_explicit_language_only_writes_that_one() {
    let i = Instance::installed();
    let l10n = fixture_app(&i);
    let o = i.run(&["l10n:createjs", "l10ntest", "sr@latin"]);
    assert_eq!(o.code, 0);
    assert_eq!(
        o.stdout,
        format!(
            "Javascript translation file generated: {0}/sr@latin.js\nJson translation file generated: {0}/sr@latin.json\n",
            l10n.display()
        )
    );
    assert!(l10n.join("sr@latin.js").exists());
    assert!(!l10n.join("de.js").exists());
}

#[test]
fn existing_files_are_never_overwritten_silently() {
    let i = Instance::new();
    let l10n = fixture_app(&i);
    fs::write(l10n.join("fr.json"), "keep me").unwrap();
    let o = i.run(&["l10n:createjs", "l10ntest"]);
    assert_eq!(
        (o.stderr.clone(), o.code),
        (
            format!("File already exists: {}/fr.json\n", l10n.display()),
            1
        )
    );
    assert_eq!(fs::read_to_string(l10n.join("fr.json")).unwrap(), "keep me");
    assert!(
        !l10n.join("de.js").exists(),
        "nothing is written when one output exists"
    );
    let o = i.run(&["l10n:createjs", "l10ntest", "--force"]);
    assert_eq!(o.code, 0);
    assert!(fs::read_to_string(l10n.join("fr.json"))
        .unwrap()
        .contains("\"pluralForm\""));
}

#[test]
fn bad_input_is_one_clear_line_and_nothing_written() {
    let i = Instance::new();
    let l10n = fixture_app(&i);
    let o = i.run(&["l10n:createjs", "nosuchapp"]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        ("", "The app <nosuchapp> is unknown.\n", 1)
    );
    let o = i.run(&["l10n:createjs", "../l10ntest"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        ("The app <../l10ntest> is unknown.\n", 1)
    );
    let o = i.run(&["l10n:createjs", "l10ntest", "pt-br"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        (
            "Unknown language code \"pt-br\": did you mean \"pt_BR\"?\n",
            1
        )
    );
    let o = i.run(&["l10n:createjs", "l10ntest", "sr@latn"]);
    assert_eq!(
        o.stderr,
        "Unknown language code \"sr@latn\": did you mean \"sr@latin\"?\n"
    );
    let o = i.run(&["l10n:createjs", "l10ntest", "it"]);
    assert_eq!(
        o.stderr,
        format!(
            "Translation file {}/it.po (or it.php) does not exist.\n",
            l10n.display()
        )
    );
    // A malformed .po: its line, and no partial output for any language.
    fs::write(
        l10n.join("it.po"),
        "msgid \"a\"\nmsgstr \"b\"\n\nmsgid \"c\"\nmsgstr \"unterminated\n",
    )
    .unwrap();
    let o = i.run(&["l10n:createjs", "l10ntest"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        format!("Malformed translation file {}/it.po line 5: expected a quoted string, found \"unterminated\n", l10n.display())
    );
    let written: Vec<_> = fs::read_dir(&l10n)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".js") || n.ends_with(".json") || n.contains(".tmp"))
        .collect();
    assert!(written.is_empty(), "{written:?}");
    let o = i.run(&["l10n:createjs"]);
    assert_eq!(o.code, 2, "the app argument is required");
}

#[test]
fn help_matches_the_reference_layout() {
    let o = Instance::new().run(&["l10n:createjs", "--help"]);
    assert!(o.stdout.starts_with(
        "Description:\n  Create javascript translation files for a given app\n\nUsage:\n  l10n:createjs [options] [--] <app> [<lang>...]\n\nArguments:\n  app                   The name of the app.\n  lang                  The name of the language.\n\nOptions:\n  -f, --force           Overwrite existing .js and .json files.\n"
    ), "{}", o.stdout);
}
