//! Times the password hash alone (what user:add pays before anything else): prints the median
//! of N hashes in milliseconds. Used by tests/bench/core.sh.

use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20)
        .max(1);
    let mut times: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            let _ = occ_plugin_core::password::hash_password("bench-password");
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times[n / 2];
    let mut out = std::io::stdout().lock();
    let _ = std::io::Write::write_all(&mut out, format!("{median:.2}\n").as_bytes());
}
