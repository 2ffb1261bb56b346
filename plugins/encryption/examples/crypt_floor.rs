//! The floor of `tests/bench/encryption.sh`: one AES-256-CTR pass and one HMAC-SHA256 pass over
//! a file's bytes, in the format's 8,096-byte blocks, with nothing else (no header, no IVs, no
//! signatures written, no output file). Prints the seconds it took.
//!
//! Usage: `cargo run --release -p occ-plugin-encryption --example crypt_floor -- FILE...`

#![allow(clippy::print_stdout)] // a benchmark's tool: its figure is its output

use std::io::Read;

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};

type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = [7u8; 32];
    let started = std::time::Instant::now();
    let mut buf = vec![0u8; occ_plugin_encryption::format::PLAIN_BLOCK];
    let mut total = 0u64;
    for path in std::env::args().skip(1) {
        let mut f = std::fs::File::open(path)?;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            Aes256Ctr::new((&key).into(), (&[1u8; 16]).into()).apply_keystream(&mut buf[..n]);
            let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key)?;
            mac.update(&buf[..n]);
            std::hint::black_box(mac.finalize());
            total += n as u64;
        }
    }
    println!("{:.3} {total}", started.elapsed().as_secs_f64());
    Ok(())
}
