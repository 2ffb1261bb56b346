//! How long reading ownCloud's config.php takes (tests/bench/owncloud.sh): a config.php of
//! <keys> keys of every kind ownCloud's own holds (strings, integers, booleans, nested arrays),
//! written as ownCloud writes it, then read by occ's reader many times. Prints the median
//! microseconds of one parse and of one `Config::load` (the file read, parsed, the extras
//! looked for).
//!
//! Usage: config_php <keys>

use std::time::Instant;

use occ_host::instance::{config::Config, php_config};
use serde_json::{json, Map, Value};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keys: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(200);
    let mut m = Map::new();
    for k in 0..keys {
        let v: Value = match k % 5 {
            0 => json!(format!("value number {k} with 'quotes' and \\ backslashes")),
            1 => json!(k * 1000),
            2 => json!(k % 2 == 0),
            3 => json!([format!("host{k}.example.org"), "localhost"]),
            _ => {
                json!({"path": format!("/var/www/owncloud/apps{k}"), "url": "/apps", "writable": false})
            }
        };
        m.insert(format!("key.{k}"), v);
    }
    let text = php_config::write(&m);
    let dir = tempfile::tempdir()?;
    std::fs::create_dir(dir.path().join("config"))?;
    std::fs::write(dir.path().join("config/config.php"), &text)?;
    let mut parse = Vec::new();
    let mut load = Vec::new();
    for _ in 0..2000 {
        let t = Instant::now();
        let parsed = php_config::parse(&text)?;
        parse.push(t.elapsed().as_secs_f64() * 1e6);
        assert_eq!(parsed.len(), keys);
        let t = Instant::now();
        let c = Config::load(dir.path())?;
        load.push(t.elapsed().as_secs_f64() * 1e6);
        assert_eq!(c.values.len(), keys);
    }
    let line = format!(
        "{keys} keys, {} bytes: parse {:.1} us, Config::load {:.1} us (medians of 2000)\n",
        text.len(),
        median(parse),
        median(load)
    );
    std::io::Write::write_all(&mut std::io::stdout().lock(), line.as_bytes())?;
    Ok(())
}
