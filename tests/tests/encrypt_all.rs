//! `encryption:encrypt-all` and `encryption:decrypt-all` against ownCloud 10's texts
//! (`wave2/B20`, `B29`-`B43`) and the promises: every file is at every moment its old
//! or its new form (kill -9 at random points, then rerun), nothing is encrypted twice or
//! "decrypted" when plaintext, every user with files is covered, failures are named by path
//! and leave the file as it was, key files are 0600 in 0700 folders and go with decryption,
//! and ownCloud's own encrypted files decrypt.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use occ_plugin_encryption::format;
use occ_tests::Instance;
use rsa::RsaPrivateKey;
use sha2::{Digest, Sha256};

const INTRO: &str = "\n\nYou are about to encrypt all files stored in your ownCloud installation.\nDepending on the number of available files, and their size, this may take quite some time.\nPlease ensure that no user accesses their files during this time!\nNote: The encryption module you use determines which files get encrypted.\n\n";

/// B20's stdout (the progress bar is drawn on a terminal only).
fn encrypt_out() -> String {
    format!("{INTRO}\n\nEncrypt all files with the Default encryption module\n====================================================\n\n\nUse master key to encrypt all files.\n\n\nStart to encrypt users files\n----------------------------\n\n\n\n\n\n")
}

/// B43's stdout, for everyone (`None`) or one user (B35).
fn decrypt_out(user: Option<&str>) -> String {
    let whose = user.map_or("your ownCloud".to_string(), |u| format!("{u}'s account"));
    let tail = if user.is_some() {
        "Server side encryption remains enabled\n"
    } else {
        ""
    };
    format!("Disable server side encryption... done.\n\n\nYou are about to start to decrypt all files stored in {whose}.\nIt will depend on the encryption module and your setup if this is possible.\nDepending on the number and size of your files this can take some time\nPlease make sure that no user accesses their files during this process!\n\nprepare encryption modules...\n\nPrepare \"Default encryption module\"\n\nUsing master key for decryption\n done.\n\n\n\n\n\n\n\n\nall files could be decrypted successfully!\n{tail}")
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn sha(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Bytes that differ from file to file and do not compress.
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The instance's master key, opened as ownCloud opens it.
fn master(i: &Instance) -> (String, RsaPrivateKey) {
    let c = i.config();
    let secret = c["secret"].as_str().unwrap();
    let instanceid = c["instanceid"].as_str().unwrap();
    let id = i.query("SELECT configvalue FROM oc_appconfig WHERE appid = 'encryption' AND configkey = 'masterKeyId'")[0]["configvalue"]
        .as_str()
        .unwrap()
        .to_string();
    let bytes = fs::read(
        i.root()
            .join("data/files_encryption/OC_DEFAULT_MODULE")
            .join(format!("{id}.privateKey")),
    )
    .unwrap();
    let key = format::decrypt_private_key(
        &bytes,
        &format::private_key_passphrase(secret, &id, instanceid, secret),
    )
    .unwrap();
    (id, key)
}

fn key_dir(i: &Instance, uid: &str, path: &str) -> PathBuf {
    i.root()
        .join("data")
        .join(uid)
        .join("files_encryption/keys")
        .join(path)
        .join("OC_DEFAULT_MODULE")
}

thread_local! {
    static OPENED: std::cell::RefCell<std::collections::HashMap<Vec<u8>, [u8; 16]>> = Default::default();
}

/// What a user's file holds, read as ownCloud reads it: an encrypted file (header) through
/// its keys, with the version its cache row names (or the first version, for a file put in
/// place whose row was not updated yet), a plaintext file as it is.
fn plaintext(
    i: &Instance,
    master: &(String, RsaPrivateKey),
    uid: &str,
    path: &str,
    recorded: u64,
) -> Vec<u8> {
    let bytes = fs::read(i.root().join("data").join(uid).join(path)).unwrap();
    if !bytes.starts_with(b"HBEGIN:") {
        return bytes;
    }
    let dir = key_dir(i, uid, path);
    let share = fs::read(dir.join(format!("{}.shareKey", master.0))).unwrap();
    // Opening a share key is an RSA-4096 operation: files sealed together share one.
    let envelope = OPENED.with(|o| {
        *o.borrow_mut()
            .entry(share.clone())
            .or_insert_with(|| format::open_envelope(&master.1, &share).unwrap())
    });
    let key = format::envelope_apply(&envelope, &fs::read(dir.join("fileKey")).unwrap()).unwrap();
    let size = format::plain_size(bytes.len() as u64).unwrap();
    [recorded, 1]
        .iter()
        .find_map(|v| format::decrypt_file(&key, *v, size, &bytes).ok())
        .unwrap_or_else(|| panic!("{uid}/{path} does not decrypt"))
}

/// Every file of every user: path -> SHA-256 of its plaintext.
fn plaintexts(i: &Instance, master: &(String, RsaPrivateKey)) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for row in i.query("SELECT s.id AS s, f.path AS p, f.encrypted AS e FROM oc_filecache f JOIN oc_storages s ON s.numeric_id = f.storage WHERE f.path LIKE 'files/%' AND f.mimetype <> (SELECT id FROM oc_mimetypes WHERE mimetype = 'httpd/unix-directory')") {
        let uid = row["s"].as_str().unwrap().strip_prefix("home::").unwrap();
        let path = row["p"].as_str().unwrap();
        out.insert(
            format!("{uid}/{path}"),
            sha(&plaintext(i, master, uid, path, row["e"].as_i64().unwrap() as u64)),
        );
    }
    out
}

/// Files on disk: path -> SHA-256 of their bytes.
fn disk(i: &Instance) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![i.root().join("data")];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.ends_with("owncloud.db") && !p.to_string_lossy().contains(".db-") {
                let rel = p.strip_prefix(i.root()).unwrap().display().to_string();
                out.insert(rel, sha(&fs::read(&p).unwrap()));
            }
        }
    }
    out
}

fn key_files(i: &Instance) -> Vec<String> {
    disk(i)
        .into_keys()
        .filter(|p| p.contains("/files_encryption/keys/"))
        .collect()
}

fn tree() -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        ("empty".to_string(), Vec::new()),
        ("exactly-8192".into(), noise(1, 8192)),
        ("one-block".into(), noise(2, format::PLAIN_BLOCK)),
        (
            "Docs/ünïcødé 🎉 it's.txt".into(),
            b"hello, world\n".to_vec(),
        ),
        ("Docs/big.bin".into(), noise(3, 3 << 20)),
        // Over 16 MiB: written by the writer thread.
        ("Docs/over-16-MiB.bin".into(), noise(4, (17 << 20) + 5)),
    ];
    for n in 0..20 {
        files.push((
            format!("small/f{n:04}.txt"),
            format!("file {n}\n").into_bytes(),
        ));
    }
    files
}

#[test]
fn encrypt_all_and_decrypt_all_keep_every_file_and_say_what_owncloud_says() {
    let i = Instance::installed();
    i.add_user("bob");
    i.put_files("admin", &tree());
    i.put_files("bob", &[("notes.txt", b"bob's notes".to_vec())]);
    let before_disk = disk(&i);

    // Disabled: refused, nothing changed.
    let dump = i.dump();
    let o = i.run(&["encryption:encrypt-all", "-y"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(
        o.stderr.contains("Server side encryption is not enabled"),
        "{o:?}"
    );
    assert_eq!((i.dump(), disk(&i)), (dump, before_disk.clone()));

    assert_eq!(i.run(&["encryption:enable"]).code, 0);
    let m = master(&i);
    let want = plaintexts(&i, &m);
    assert_eq!(want.len(), 27);
    let dump = i.dump();
    let before_disk = disk(&i);
    // Without --yes it would ask: not under -n, not without a terminal (a "y" on stdin is no
    // answer from an admin).
    for o in [
        i.run(&["encryption:encrypt-all", "-n"]),
        i.run_stdin(&["encryption:encrypt-all"], Some("y\n")),
    ] {
        assert_eq!((o.stdout.as_str(), o.code), ("", 1), "{o:?}");
        assert!(o.stderr.contains("pass --yes"), "{o:?}");
    }
    assert_eq!((i.dump(), disk(&i)), (dump, before_disk));

    let mtime = |p: &str| {
        fs::metadata(i.root().join("data").join(p))
            .unwrap()
            .modified()
            .unwrap()
    };
    let kept = mtime("admin/files/Docs/big.bin");
    let o = i.run(&["encryption:encrypt-all", "-y"]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (encrypt_out().as_str(), "", 0)
    );
    // Every file: ownCloud's header, the length ownCloud's format gives, the same plaintext
    // through its keys, its modification time, a row with the version and plaintext size.
    for (uid, path, content) in tree()
        .into_iter()
        .map(|(p, c)| ("admin", format!("files/{p}"), c))
        .chain([(
            "bob",
            "files/notes.txt".to_string(),
            b"bob's notes".to_vec(),
        )])
    {
        let bytes = fs::read(i.root().join("data").join(uid).join(&path)).unwrap();
        assert!(bytes.starts_with(&format::file_header()), "{path}");
        assert_eq!(
            bytes.len() as u64,
            format::encrypted_size(content.len() as u64)
        );
        assert_eq!(plaintext(&i, &m, uid, &path, 1), content, "{path}");
        let dir = key_dir(&i, uid, &path);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("fileKey")), 0o600);
        assert_eq!(mode(&dir.join(format!("{}.shareKey", m.0))), 0o600);
        assert_eq!(
            fs::metadata(dir.join(format!("{}.shareKey", m.0)))
                .unwrap()
                .len(),
            512
        );
        let row = &i.query(&format!(
            "SELECT size, encrypted, unencrypted_size FROM oc_filecache WHERE path = '{}'",
            path.replace('\'', "''")
        ))[0];
        assert_eq!(
            (
                row["size"].as_i64(),
                row["encrypted"].as_i64(),
                row["unencrypted_size"].as_i64()
            ),
            (Some(content.len() as i64), Some(1), Some(0)),
            "{path}"
        );
    }
    assert_eq!(mtime("admin/files/Docs/big.bin"), kept);
    assert!(!i.root().join("data/admin/.occ-encryption").exists());
    // The scanner finds nothing changed: same sizes, etags and times.
    let dump = i.dump();
    assert_eq!(i.run(&["files:scan", "--all"]).code, 0);
    assert_eq!(i.dump(), dump);

    // Again: nothing is encrypted twice.
    let encrypted_disk = disk(&i);
    let o = i.run(&["encryption:encrypt-all", "-y", "--output=json"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        (
            "{\"users\":2,\"encrypted\":0,\"alreadyEncrypted\":27,\"missing\":0,\"failed\":[]}\n",
            0
        )
    );
    assert_eq!((i.dump(), disk(&i)), (dump.clone(), encrypted_disk));

    // B84, with the count.
    let o = i.run(&["encryption:disable"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("The system still has 27 encrypted files. Please decrypt them all before disabling encryption.\n", 1)
    );
    // B29b; a user who does not exist; no answer: nothing changed.
    let o = i.run(&["encryption:decrypt-all", "-c", "maybe"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("Continue can accept either yes or no\n", 2)
    );
    let o = i.run(&["encryption:decrypt-all", "-c", "yes", "nobody"]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.trim_end(), o.code),
        (
            "",
            "User \"nobody\" does not exist. Please check the username and try again",
            1
        )
    );
    let o = i.run_stdin(&["encryption:decrypt-all"], Some("y\n"));
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stderr.contains("pass --continue=yes"), "{o:?}");
    assert_eq!(i.dump(), dump);

    // B35: one user (bob never logged in); encryption stays on.
    let o = i.run(&["encryption:decrypt-all", "-c", "yes", "bob"]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (decrypt_out(Some("bob")).as_str(), "", 0)
    );
    assert_eq!(
        fs::read(i.root().join("data/bob/files/notes.txt")).unwrap(),
        b"bob's notes"
    );
    assert!(!i.root().join("data/bob/files_encryption/keys").exists());
    assert_eq!(
        i.run(&["encryption:status"]).stdout,
        "  - enabled: true\n  - defaultModule: OC_DEFAULT_MODULE\n"
    );

    // B43: everyone; the keys go, encryption is off and says so.
    let o = i.run(&["encryption:decrypt-all", "-c", "yes"]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (decrypt_out(None).as_str(), "", 0)
    );
    let after = disk(&i);
    for (p, h) in &before_disk_files(&want) {
        assert_eq!(after.get(p), Some(h), "{p}");
    }
    assert_eq!(key_files(&i), Vec::<String>::new());
    assert_eq!(
        i.run(&["encryption:status"]).stdout,
        "  - enabled: false\n  - defaultModule: OC_DEFAULT_MODULE\n"
    );
    assert_eq!(
        i.query("SELECT COUNT(*) AS n FROM oc_filecache WHERE encrypted <> 0")[0]["n"].as_i64(),
        Some(0)
    );
    assert_eq!(mtime("admin/files/Docs/big.bin"), kept);
    let dump = i.dump();
    assert_eq!(i.run(&["files:scan", "--all"]).code, 0);
    assert_eq!(i.dump(), dump);
    // Nothing left to decrypt: said so.
    let o = i.run(&["encryption:decrypt-all", "-c", "yes"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("Server side encryption not enabled. Nothing to do.\n", 0)
    );
    assert_eq!(i.run(&["encryption:disable"]).code, 0);
}

/// `want` (uid/path -> hash) as paths under the instance root.
fn before_disk_files(want: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    want.iter()
        .map(|(k, v)| (format!("data/{k}"), v.clone()))
        .collect()
}

#[test]
fn a_file_that_cannot_be_decrypted_is_named_and_left_as_it_is() {
    let i = Instance::installed();
    i.add_user("carol");
    i.put_files(
        "carol",
        &[
            ("good.txt", b"good".to_vec()),
            ("flipped.bin", noise(7, 20000)),
            ("cut.bin", noise(8, 20000)),
            ("keyless.txt", b"keyless".to_vec()),
            ("other-module.txt", b"other".to_vec()),
        ],
    );
    assert_eq!(i.run(&["encryption:enable"]).code, 0);
    assert_eq!(i.run(&["encryption:encrypt-all", "-y"]).code, 0);
    let f = |p: &str| i.root().join("data/carol/files").join(p);
    // A changed byte, a cut file, a lost key, a header naming another module.
    let mut bytes = fs::read(f("flipped.bin")).unwrap();
    bytes[format::HEADER_SIZE + format::BLOCK_SIZE + 100] ^= 1;
    fs::write(f("flipped.bin"), bytes).unwrap();
    let bytes = fs::read(f("cut.bin")).unwrap();
    fs::write(f("cut.bin"), &bytes[..bytes.len() - 10]).unwrap();
    fs::remove_file(key_dir(&i, "carol", "files/keyless.txt").join("fileKey")).unwrap();
    let mut other = b"HBEGIN:oc_encryption_module:OTHER_MODULE:cipher:AES-256-CTR:signed:true:encoding:binary:HEND".to_vec();
    other.resize(format::HEADER_SIZE, b'-');
    other.extend(&fs::read(f("other-module.txt")).unwrap()[format::HEADER_SIZE..]);
    fs::write(f("other-module.txt"), &other).unwrap();
    let bad = ["flipped.bin", "cut.bin", "keyless.txt", "other-module.txt"];
    let kept: Vec<Vec<u8>> = bad.iter().map(|p| fs::read(f(p)).unwrap()).collect();

    let o = i.run(&["encryption:decrypt-all", "-c", "yes"]);
    let head = "Files for following users couldn't be decrypted, \nmaybe the user is not set up in a way that supports this operation: \n    carol\n";
    assert!(o.stdout.contains(head), "{o:?}");
    for line in [
        "           /carol/files/flipped.bin - bad signature (block 1)\n",
        "           /carol/files/cut.bin - a block is truncated\n",
        "           /carol/files/keyless.txt - it has no file key\n",
        "           /carol/files/other-module.txt - unknown encryption module \"OTHER_MODULE\"\n",
    ] {
        assert!(o.stdout.contains(line), "{line}: {o:?}");
    }
    assert!(
        o.stdout
            .ends_with("\n\nServer side encryption remains enabled\n"),
        "{o:?}"
    );
    assert_eq!(o.code, 1);
    for (p, k) in bad.iter().zip(&kept) {
        assert_eq!(&fs::read(f(p)).unwrap(), k, "{p}");
    }
    assert_eq!(fs::read(f("good.txt")).unwrap(), b"good");
    assert_eq!(
        i.run(&["encryption:status"]).stdout,
        "  - enabled: true\n  - defaultModule: OC_DEFAULT_MODULE\n"
    );
    let o = i.run(&["encryption:disable"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("The system still has 4 encrypted files. Please decrypt them all before disabling encryption.\n", 1)
    );
    // encrypt-all leaves them too, and names those it cannot open.
    let o = i.run(&["encryption:encrypt-all", "-y", "--output=json"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stdout.ends_with(",\"failed\":[{\"path\":\"\\/carol\\/files\\/keyless.txt\",\"error\":\"it has no file key\"},{\"path\":\"\\/carol\\/files\\/other-module.txt\",\"error\":\"unknown encryption module \\\"OTHER_MODULE\\\"\"}]}\n"), "{o:?}");
    for (p, k) in bad.iter().zip(&kept) {
        assert_eq!(&fs::read(f(p)).unwrap(), k, "{p}");
    }
}

/// A tiny xorshift generator: the test prints its seed, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn kill_nine_at_random_points_never_loses_a_file() {
    let i = Instance::installed();
    i.add_user("dave");
    let mut files = tree();
    files.push(("Docs/more.bin".into(), noise(9, 5 << 20)));
    for n in 0..150 {
        files.push((
            format!("many/m{n:03}.txt"),
            noise(100 + n, (n as usize * 37) % 9000),
        ));
    }
    i.put_files("admin", &files);
    i.put_files("dave", &[("d.bin", noise(5, 2 << 20))]);
    assert_eq!(i.run(&["encryption:enable"]).code, 0);
    let m = master(&i);
    let want = plaintexts(&i, &m);
    let seed = std::env::var("OCC_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| occ_tests::now() as u64 | 1);
    eprintln!("kill -9 loop seed: {seed} (OCC_TEST_SEED replays it)");
    let mut rng = Rng(seed);
    // How long a whole run takes here: kills land within it.
    let t = Instant::now();
    assert_eq!(i.run(&["encryption:encrypt-all", "-y"]).code, 0);
    let full_encrypt = t.elapsed().as_millis() as u64;
    let t = Instant::now();
    assert_eq!(i.run(&["encryption:decrypt-all", "-c", "yes"]).code, 0);
    let full_decrypt = t.elapsed().as_millis() as u64;
    assert_eq!(plaintexts(&i, &m), want);
    assert_eq!(i.run(&["encryption:enable"]).code, 0);

    // Runs alternate between encrypt-all and decrypt-all; each is killed at a random moment
    // of a whole run's time, and rerun, until enough kills have landed; after six kills in a
    // row a run is let finish.
    let mut kills = 0;
    let mut in_a_row = 0;
    let mut rounds = 0;
    let mut finished = 0;
    let mut encrypt = true;
    while kills < 24 || finished < 4 {
        rounds += 1;
        assert!(rounds < 200, "the runs never finish ({kills} kills)");
        let args: &[&str] = if encrypt {
            &["encryption:encrypt-all", "-y"]
        } else {
            &["encryption:decrypt-all", "-c", "yes"]
        };
        let mut child = i
            .command(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let full = if encrypt { full_encrypt } else { full_decrypt };
        let wait = Duration::from_millis(rng.below(full.max(20)) + 1);
        std::thread::sleep(wait);
        if in_a_row < 6 && child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            kills += 1;
            in_a_row += 1;
            // Whatever the moment: every file holds its plaintext, in one form or the other,
            // with its keys in place when encrypted.
            assert_eq!(
                plaintexts(&i, &m),
                want,
                "after kill {kills} ({args:?}, {wait:?})"
            );
            continue;
        }
        let status = child.wait().unwrap();
        assert!(status.success(), "{args:?} rerun failed: {status:?}");
        finished += 1;
        in_a_row = 0;
        assert_eq!(plaintexts(&i, &m), want, "after {args:?} finished");
        let encrypted = i.query("SELECT COUNT(*) AS n FROM oc_filecache WHERE encrypted > 0")[0]
            ["n"]
            .as_i64()
            .unwrap();
        if encrypt {
            assert_eq!(encrypted as usize, want.len());
            for p in want.keys() {
                let (uid, path) = p.split_once('/').unwrap();
                assert!(
                    fs::read(i.root().join("data").join(uid).join(path))
                        .unwrap()
                        .starts_with(b"HBEGIN:"),
                    "{p}"
                );
            }
        } else {
            assert_eq!(encrypted, 0);
            assert_eq!(key_files(&i), Vec::<String>::new());
            assert_eq!(i.run(&["encryption:enable"]).code, 0);
        }
        for uid in ["admin", "dave"] {
            assert!(!i
                .root()
                .join("data")
                .join(uid)
                .join(".occ-encryption")
                .exists());
            assert!(!i
                .root()
                .join("data")
                .join(uid)
                .join(".occ-encryption.journal")
                .exists());
        }
        encrypt = !encrypt;
    }
    eprintln!("{kills} kills in {rounds} runs");
    assert!(kills >= 24, "only {kills} kills landed (seed {seed})");
}

#[test]
fn what_cannot_be_done_safely_is_named_and_left_alone() {
    let i = Instance::installed();
    i.add_user("erin");
    i.put_files(
        "erin",
        &[
            ("plain.txt", b"plain".to_vec()),
            ("legacy.txt", b"ownCloud 8.0 ciphertext".to_vec()),
            ("gone.txt", b"gone".to_vec()),
            ("sub/inner.txt", b"inner".to_vec()),
        ],
    );
    assert_eq!(i.run(&["encryption:enable"]).code, 0);
    let home = i.root().join("data/erin");
    // ownCloud before 8.1 wrote encrypted files without a header; their rows say encrypted.
    // Such a file is never taken for plaintext: not encrypted again, its keys never dropped.
    i.exec("UPDATE oc_filecache SET encrypted = 1 WHERE name = 'legacy.txt'");
    let legacy_keys = key_dir(&i, "erin", "files/legacy.txt");
    fs::create_dir_all(&legacy_keys).unwrap();
    fs::write(legacy_keys.join("fileKey"), b"legacy key").unwrap();
    // A folder swapped for a symlink out of the data folder after the scan.
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("inner.txt"), b"not erin's").unwrap();
    fs::remove_dir_all(home.join("files/sub")).unwrap();
    std::os::unix::fs::symlink(outside.path(), home.join("files/sub")).unwrap();

    let o = i.run(&["encryption:encrypt-all", "-y"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stdout.contains("           /erin/files/legacy.txt - it has no encryption header, but its row says it is encrypted: ownCloud's format before 8.1, which occ does not read (left as it is)\n"), "{o:?}");
    assert!(o.stdout.contains("           /erin/files/sub/inner.txt - its folder is reached through a symbolic link, which is never followed\n"), "{o:?}");
    assert_eq!(
        fs::read(home.join("files/legacy.txt")).unwrap(),
        b"ownCloud 8.0 ciphertext"
    );
    assert_eq!(
        fs::read(legacy_keys.join("fileKey")).unwrap(),
        b"legacy key"
    );
    assert_eq!(
        fs::read(outside.path().join("inner.txt")).unwrap(),
        b"not erin's"
    );
    assert!(fs::read(home.join("files/plain.txt"))
        .unwrap()
        .starts_with(b"HBEGIN:"));

    // decrypt-all: the same, and a row whose encrypted file is gone is named too; encryption
    // stays on.
    fs::remove_file(home.join("files/gone.txt")).unwrap();
    let o = i.run(&["encryption:decrypt-all", "-c", "yes"]);
    assert_eq!(o.code, 1, "{o:?}");
    for line in [
        "           /erin/files/legacy.txt - it has no encryption header, but its row says it is encrypted: ownCloud's format before 8.1, which occ does not read (left as it is)\n",
        "           /erin/files/gone.txt - its row says it is encrypted, but there is no such file (run files:scan)\n",
    ] {
        assert!(o.stdout.contains(line), "{line}: {o:?}");
    }
    assert!(
        o.stdout
            .ends_with("Server side encryption remains enabled\n"),
        "{o:?}"
    );
    assert_eq!(fs::read(home.join("files/plain.txt")).unwrap(), b"plain");
    assert_eq!(
        fs::read(legacy_keys.join("fileKey")).unwrap(),
        b"legacy key"
    );
    assert_eq!(
        fs::read(home.join("files/legacy.txt")).unwrap(),
        b"ownCloud 8.0 ciphertext"
    );
    assert_eq!(
        i.run(&["encryption:status"]).stdout,
        "  - enabled: true\n  - defaultModule: OC_DEFAULT_MODULE\n"
    );
    // A key storage root inside a user's folder is refused.
    let o = i.run(&["encryption:change-key-storage-root", "erin/files/keys"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("it must not be inside a user's folder or a key folder"),
        "{o:?}"
    );
}
