//! ownCloud 10's default encryption module format (`OC_DEFAULT_MODULE`, encryption app 1.6.1),
//! byte for byte, as ownCloud writes and reads it:
//!
//! - **A file** is an 8,192-byte header (`HBEGIN:oc_encryption_module:OC_DEFAULT_MODULE:cipher:
//!   AES-256-CTR:signed:true:encoding:binary:HEND`, padded with `-`), then blocks of 8,192 bytes
//!   holding 8,096 plaintext bytes each (the last one shorter): the ciphertext, `00iv00`, the
//!   block's 16-byte IV, `00sig00`, its signature as 64 lowercase hex digits, and `xxx`.
//! - **A block** is AES-256-CTR with the 32-byte file key and the IV as the whole initial counter
//!   block (128-bit big-endian). Its signature is HMAC-SHA256 over the ciphertext, keyed with
//!   SHA-512(passphrase ‖ "a"), where the passphrase is the file key ‖ the version ‖ `-` ‖ the
//!   position: the block's index, with `end` after the index of a last, partial block. The
//!   version is `oc_filecache.encrypted`, raised by one at every write.
//! - **A private key** file is the unpadded header `HBEGIN:cipher:AES-256-CTR:keyFormat:hash:
//!   encoding:binary:HEND` and one block (version 0, position 0) holding the PKCS#8 PEM, under
//!   PBKDF2-HMAC-SHA256(password, SHA-256(uid ‖ instanceid ‖ secret), 100,000 rounds).
//! - **A file key** is sealed as PHP 7's `openssl_seal` does: `fileKey` is the key under RC4 with
//!   a random 16-byte envelope key, and each `<keyId>.shareKey` is that envelope key under the
//!   key owner's RSA public key (PKCS#1 v1.5).
//!
//! A block's signature is checked before it is decrypted. A header naming another module, cipher
//! or encoding, or unsigned blocks, is refused: never guessed.

use std::io::{Read, Seek, SeekFrom, Write};

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use rand_core::OsRng;
use rc4::{KeyInit, Rc4};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256, Sha512};

/// The module's id, as headers and key directories name it.
pub const MODULE_ID: &str = "OC_DEFAULT_MODULE";
/// The cipher it writes.
pub const CIPHER: &str = "AES-256-CTR";
/// The size of a file's header on disk.
pub const HEADER_SIZE: usize = 8192;
/// A whole block on disk.
pub const BLOCK_SIZE: usize = 8192;
/// The plaintext a whole block holds.
pub const PLAIN_BLOCK: usize = 8096;
/// What a block adds to its ciphertext: `00iv00`, the IV, `00sig00`, the signature, `xxx`.
const META: usize = 6 + 16 + 7 + 64 + 3;
/// The bits of the RSA keys ownCloud makes.
pub const RSA_BITS: usize = 4096;
/// PBKDF2 rounds of a private key's passphrase.
const PBKDF2_ROUNDS: u32 = 100_000;

type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;
type HmacSha256 = Hmac<Sha256>;

/// Why bytes are not what the format says (the message names the problem; the caller names
/// the file).
#[derive(Debug, Clone, PartialEq)]
pub struct FormatError(pub String);

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, FormatError> {
    Err(FormatError(msg.into()))
}

/// A header's `key:value` fields, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The fields.
    pub fields: Vec<(String, String)>,
    /// Where the header ends (file headers: always [`HEADER_SIZE`]).
    pub len: usize,
}

impl Header {
    /// A field's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Reads `HBEGIN:k:v:...:HEND` at the start of `data`; `None` when there is none.
    pub fn parse(data: &[u8]) -> Result<Option<Header>, FormatError> {
        if !data.starts_with(b"HBEGIN:") {
            return Ok(None);
        }
        // Within the first 8 KiB, as ownCloud reads it.
        let head = &data[..data.len().min(HEADER_SIZE)];
        let Some(end) = find(head, b":HEND") else {
            return err("the header has no end (HEND)");
        };
        let inner = std::str::from_utf8(data.get(7..end).unwrap_or_default())
            .map_err(|_| FormatError("the header is not text".into()))?;
        let parts: Vec<&str> = inner.split(':').collect();
        if !parts.len().is_multiple_of(2) {
            return err("the header's fields are not key:value pairs");
        }
        let fields = parts
            .chunks(2)
            .map(|kv| (kv[0].to_string(), kv[1].to_string()))
            .collect();
        Ok(Some(Header {
            fields,
            len: end + 5,
        }))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The 8,192-byte header of a file this module writes.
pub fn file_header() -> Vec<u8> {
    let mut h = format!(
        "HBEGIN:oc_encryption_module:{MODULE_ID}:cipher:{CIPHER}:signed:true:encoding:binary:HEND"
    )
    .into_bytes();
    h.resize(HEADER_SIZE, b'-');
    h
}

/// Checks that a file's header is this module's, in the form it reads: the module, AES-256-CTR,
/// signed blocks, binary encoding. Anything else is refused by name.
pub fn check_file_header(h: &Header) -> Result<(), FormatError> {
    match h.get("oc_encryption_module") {
        Some(MODULE_ID) => {}
        Some(other) => return err(format!("unknown encryption module \"{other}\"")),
        None => return err("the header names no encryption module"),
    }
    match h.get("cipher") {
        Some(CIPHER) => {}
        Some(other) => return err(format!("unsupported cipher \"{other}\"")),
        None => return err("the header names no cipher"),
    }
    if h.get("signed") != Some("true") {
        return err("unsigned blocks are not supported");
    }
    match h.get("encoding") {
        Some("binary") => Ok(()),
        Some(other) => err(format!("unsupported encoding \"{other}\"")),
        None => err("legacy base64 encoding is not supported"),
    }
}

/// A block's position string: its index, with `end` after a last, partial block's.
pub fn position(index: usize, last_partial: bool) -> String {
    if last_partial {
        format!("{index}end")
    } else {
        index.to_string()
    }
}

/// The keyed MAC of a block; `legacy`: the form older ownCloud versions signed with (no `-`
/// between version and position), which ownCloud still accepts.
fn signature_legacy(
    passphrase: &[u8],
    version: u64,
    position: &str,
    legacy: bool,
) -> Result<HmacSha256, FormatError> {
    let mut key = Sha512::new();
    key.update(passphrase);
    key.update(version.to_string().as_bytes());
    if !legacy {
        key.update(b"-");
    }
    key.update(position.as_bytes());
    key.update(b"a");
    <HmacSha256 as Mac>::new_from_slice(&key.finalize())
        .map_err(|_| FormatError("cannot key the signature".into()))
}

fn signature(passphrase: &[u8], version: u64, position: &str) -> Result<HmacSha256, FormatError> {
    signature_legacy(passphrase, version, position, false)
}

/// Encrypts one block: ciphertext, IV, signature, padding.
pub fn encrypt_block(
    key: &[u8; 32],
    passphrase: &[u8],
    version: u64,
    position: &str,
    plain: &[u8],
    iv: &[u8; 16],
) -> Result<Vec<u8>, FormatError> {
    let mut out = Vec::with_capacity(plain.len() + META);
    out.extend_from_slice(plain);
    Aes256Ctr::new(key.into(), iv.into()).apply_keystream(&mut out);
    let mut mac = signature(passphrase, version, position)?;
    mac.update(&out);
    let sig = hex::encode(mac.finalize().into_bytes());
    out.extend_from_slice(b"00iv00");
    out.extend_from_slice(iv);
    out.extend_from_slice(b"00sig00");
    out.extend_from_slice(sig.as_bytes());
    out.extend_from_slice(b"xxx");
    Ok(out)
}

/// A block's ciphertext and IV once its signature is checked.
fn verified<'a>(
    passphrase: &[u8],
    version: u64,
    position: &str,
    block: &'a [u8],
) -> Result<(&'a [u8], [u8; 16]), FormatError> {
    if block.len() < META || !block.ends_with(b"xxx") {
        return err("a block is truncated");
    }
    let body = &block[..block.len() - 3];
    let (cipher, meta) = body.split_at(body.len() - (META - 3));
    if &meta[..6] != b"00iv00" || &meta[22..29] != b"00sig00" {
        return err("a block has no IV or signature where the format puts them");
    }
    let sig = hex::decode(&meta[29..])
        .map_err(|_| FormatError("a block's signature is not hex".into()))?;
    let verifies = |legacy: bool| -> Result<bool, FormatError> {
        let mut mac = signature_legacy(passphrase, version, position, legacy)?;
        mac.update(cipher);
        Ok(mac.verify_slice(&sig).is_ok())
    };
    if !verifies(false)? && !verifies(true)? {
        return err(format!("bad signature (block {position})"));
    }
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&meta[6..22]);
    Ok((cipher, iv))
}

/// Decrypts one block after checking its signature (a block that fails it is not decrypted).
pub fn decrypt_block(
    key: &[u8; 32],
    passphrase: &[u8],
    version: u64,
    position: &str,
    block: &[u8],
) -> Result<Vec<u8>, FormatError> {
    let (cipher, iv) = verified(passphrase, version, position, block)?;
    let mut out = cipher.to_vec();
    Aes256Ctr::new(key.into(), (&iv).into()).apply_keystream(&mut out);
    Ok(out)
}

/// Random bytes from the operating system.
pub fn random<const N: usize>() -> Result<[u8; N], FormatError> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).map_err(|e| FormatError(format!("no randomness: {e}")))?;
    Ok(b)
}

/// The size on disk of a file of `plain` bytes.
pub fn encrypted_size(plain: u64) -> u64 {
    let whole = plain / PLAIN_BLOCK as u64;
    let rest = plain % PLAIN_BLOCK as u64;
    HEADER_SIZE as u64 + whole * BLOCK_SIZE as u64 + if rest > 0 { rest + META as u64 } else { 0 }
}

/// The plaintext size of an encrypted file `len` bytes long ([`encrypted_size`]'s inverse);
/// `None` for a length no encrypted file has (a cut or padded file).
pub fn plain_size(len: u64) -> Option<u64> {
    let body = len.checked_sub(HEADER_SIZE as u64)?;
    let whole = body / BLOCK_SIZE as u64;
    let rest = body % BLOCK_SIZE as u64;
    let tail = match rest {
        0 => 0,
        r if r > META as u64 => r - META as u64,
        _ => return None,
    };
    Some(whole * PLAIN_BLOCK as u64 + tail)
}

/// Whether the first block of the encrypted file `input` (of `size` plaintext bytes) is signed
/// with `key` at `version`: how the version of a file whose cache row is wrong is found. A file
/// without blocks (empty) fits every version.
pub fn first_block_verifies<R: Read + Seek>(
    key: &[u8; 32],
    version: u64,
    size: u64,
    input: &mut R,
) -> Result<bool, FormatError> {
    if size == 0 {
        return Ok(true);
    }
    let plain = size.min(PLAIN_BLOCK as u64) as usize;
    let mut buf = vec![0u8; plain + META];
    input
        .seek(SeekFrom::Start(HEADER_SIZE as u64))
        .map_err(io("cannot read"))?;
    input.read_exact(&mut buf).map_err(io("cannot read"))?;
    Ok(verified(key, version, &position(0, plain < PLAIN_BLOCK), &buf).is_ok())
}

/// Encrypts a whole file's content (header and blocks) with `key` at `version`; `iv` gives
/// each block's IV (random ones in use, fixed ones in tests).
pub fn encrypt_file(
    key: &[u8; 32],
    version: u64,
    plain: &[u8],
    iv: &mut dyn FnMut() -> Result<[u8; 16], FormatError>,
) -> Result<Vec<u8>, FormatError> {
    let mut out = Vec::with_capacity(encrypted_size(plain.len() as u64) as usize);
    encrypt_stream(
        key,
        version,
        plain.len() as u64,
        &mut &plain[..],
        &mut out,
        iv,
    )?;
    Ok(out)
}

/// Decrypts a whole file's content of `size` plaintext bytes (the cache's size) with `key` at
/// `version`, as [`decrypt_stream`] does.
pub fn decrypt_file(
    key: &[u8; 32],
    version: u64,
    size: u64,
    data: &[u8],
) -> Result<Vec<u8>, FormatError> {
    let mut out = Vec::with_capacity(size as usize);
    decrypt_stream(
        key,
        version,
        size,
        &mut std::io::Cursor::new(data),
        &mut out,
    )?;
    Ok(out)
}

fn io(what: &str) -> impl Fn(std::io::Error) -> FormatError + '_ {
    move |e| FormatError(format!("{what}: {e}"))
}

/// Encrypts the `size` bytes `input` holds into `output` (header and blocks), one block in
/// memory at a time; `iv` gives each block's IV. Input that is not exactly `size` bytes long
/// (a file that changed while it was read) is an error.
pub fn encrypt_stream(
    key: &[u8; 32],
    version: u64,
    size: u64,
    input: &mut dyn Read,
    output: &mut dyn Write,
    iv: &mut dyn FnMut() -> Result<[u8; 16], FormatError>,
) -> Result<(), FormatError> {
    output
        .write_all(&file_header())
        .map_err(io("cannot write"))?;
    let mut buf = vec![0u8; PLAIN_BLOCK];
    let mut left = size;
    let mut index = 0;
    while left > 0 {
        let n = left.min(PLAIN_BLOCK as u64) as usize;
        input.read_exact(&mut buf[..n]).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                FormatError("the file shrank while it was read".into())
            } else {
                FormatError(format!("cannot read: {e}"))
            }
        })?;
        let pos = position(index, n < PLAIN_BLOCK);
        let block = encrypt_block(key, key, version, &pos, &buf[..n], &iv()?)?;
        output.write_all(&block).map_err(io("cannot write"))?;
        left -= n as u64;
        index += 1;
    }
    let mut more = [0u8; 1];
    if input.read(&mut more).map_err(io("cannot read"))? > 0 {
        return err("the file grew while it was read");
    }
    Ok(())
}

/// Decrypts the encrypted file `input` of `size` plaintext bytes into `output`, one block in
/// memory at a time, in one pass: each block's signature is checked before its plaintext is
/// written. On an error `output` holds the plaintext of the blocks before the bad one, all
/// authentic: callers write into a temporary file and drop it (`decrypt_file` drops its
/// buffer). A file of another length than `size` gives is refused before anything is read.
pub fn decrypt_stream<R: Read + Seek>(
    key: &[u8; 32],
    version: u64,
    size: u64,
    input: &mut R,
    output: &mut dyn Write,
) -> Result<(), FormatError> {
    let len = input.seek(SeekFrom::End(0)).map_err(io("cannot read"))?;
    if len != encrypted_size(size) {
        return err(format!(
            "the file is {len} bytes long, not the {} that {size} encrypted bytes take",
            encrypted_size(size)
        ));
    }
    input.seek(SeekFrom::Start(0)).map_err(io("cannot read"))?;
    let mut header = vec![0u8; HEADER_SIZE];
    input.read_exact(&mut header).map_err(io("cannot read"))?;
    let Some(h) = Header::parse(&header)? else {
        return err("the file has no encryption header");
    };
    check_file_header(&h)?;
    let blocks = size.div_ceil(PLAIN_BLOCK as u64) as usize;
    let mut buf = vec![0u8; BLOCK_SIZE];
    let mut out = vec![0u8; PLAIN_BLOCK];
    for i in 0..blocks {
        let plain = (size - (i * PLAIN_BLOCK) as u64).min(PLAIN_BLOCK as u64) as usize;
        let n = plain + META;
        input.read_exact(&mut buf[..n]).map_err(io("cannot read"))?;
        let pos = position(i, plain < PLAIN_BLOCK);
        let (cipher, iv) = verified(key, version, &pos, &buf[..n])?;
        let out = &mut out[..cipher.len()];
        out.copy_from_slice(cipher);
        Aes256Ctr::new(key.into(), (&iv).into()).apply_keystream(out);
        output.write_all(out).map_err(io("cannot write"))?;
    }
    Ok(())
}

/// The key protecting a private key: PBKDF2-HMAC-SHA256 of `password`, salted with
/// SHA-256(uid ‖ instanceid ‖ secret). The master key's password is the instance's `secret`
/// and its uid the master key id; the public share key's are both empty.
pub fn private_key_passphrase(
    password: &str,
    uid: &str,
    instanceid: &str,
    secret: &str,
) -> [u8; 32] {
    let salt = Sha256::digest([uid, instanceid, secret].concat().as_bytes());
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), &salt, PBKDF2_ROUNDS, &mut out);
    out
}

const KEY_HEADER: &str = "HBEGIN:cipher:AES-256-CTR:keyFormat:hash:encoding:binary:HEND";

/// Opens a private key file with its passphrase ([`private_key_passphrase`]).
pub fn decrypt_private_key(
    data: &[u8],
    passphrase: &[u8; 32],
) -> Result<RsaPrivateKey, FormatError> {
    let Some(header) = Header::parse(data)? else {
        return err("the private key has no header");
    };
    if header.get("cipher") != Some(CIPHER)
        || header.get("keyFormat") != Some("hash")
        || header.get("encoding") != Some("binary")
    {
        return err("the private key's header is not AES-256-CTR, hash, binary");
    }
    let pem = decrypt_block(passphrase, passphrase, 0, "0", &data[header.len..])
        .map_err(|e| FormatError(format!("the private key does not open: {e}")))?;
    let pem =
        std::str::from_utf8(&pem).map_err(|_| FormatError("the private key is not PEM".into()))?;
    RsaPrivateKey::from_pkcs8_pem(pem)
        .map_err(|e| FormatError(format!("the private key is not PKCS#8: {e}")))
}

/// Writes a private key file as ownCloud does.
pub fn encrypt_private_key(
    key: &RsaPrivateKey,
    passphrase: &[u8; 32],
) -> Result<Vec<u8>, FormatError> {
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| FormatError(format!("cannot write the private key: {e}")))?;
    let mut out = KEY_HEADER.as_bytes().to_vec();
    out.extend(encrypt_block(
        passphrase,
        passphrase,
        0,
        "0",
        pem.as_bytes(),
        &random()?,
    )?);
    Ok(out)
}

/// A public key file's PEM (SubjectPublicKeyInfo, as ownCloud writes it).
pub fn public_key_pem(key: &RsaPublicKey) -> Result<String, FormatError> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|e| FormatError(format!("cannot write the public key: {e}")))
}

/// A new RSA key pair of ownCloud's size.
pub fn new_key_pair() -> Result<RsaPrivateKey, FormatError> {
    RsaPrivateKey::new(&mut OsRng, RSA_BITS)
        .map_err(|e| FormatError(format!("cannot make a key pair: {e}")))
}

/// The envelope key a share key holds, opened with its owner's private key (the RSA step of
/// opening a file key: the costly one, so callers keep the envelopes they opened).
pub fn open_envelope(private: &RsaPrivateKey, share_key: &[u8]) -> Result<[u8; 16], FormatError> {
    let envelope = private
        .decrypt(Pkcs1v15Encrypt, share_key)
        .map_err(|_| FormatError("the share key does not open with this private key".into()))?;
    envelope
        .as_slice()
        .try_into()
        .map_err(|_| FormatError("the share key does not hold an envelope key".into()))
}

/// A share key: the envelope key under `owner`'s public key.
pub fn seal_envelope(owner: &RsaPublicKey, envelope: &[u8; 16]) -> Result<Vec<u8>, FormatError> {
    owner
        .encrypt(&mut OsRng, Pkcs1v15Encrypt, envelope)
        .map_err(|e| FormatError(format!("cannot seal the file key: {e}")))
}

/// `fileKey`'s bytes from the file key, or the file key from them (RC4 under the envelope key).
pub fn envelope_apply(envelope: &[u8; 16], data: &[u8]) -> Result<[u8; 32], FormatError> {
    if data.len() != 32 {
        return err("the file key is not sealed as ownCloud seals it");
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(data);
    Rc4::<rc4::consts::U16>::new(envelope.into()).apply_keystream(&mut key);
    Ok(key)
}

/// The file key from its `fileKey` and one of its share keys, with that share key's owner's
/// private key.
pub fn open_file_key(
    private: &RsaPrivateKey,
    share_key: &[u8],
    sealed: &[u8],
) -> Result<[u8; 32], FormatError> {
    envelope_apply(&open_envelope(private, share_key)?, sealed)
}

/// Seals a file key for `owners`: the `fileKey` bytes and one share key per owner, in order.
pub fn seal_file_key(
    key: &[u8; 32],
    owners: &[&RsaPublicKey],
) -> Result<(Vec<u8>, Vec<Vec<u8>>), FormatError> {
    let envelope: [u8; 16] = random()?;
    let sealed = envelope_apply(&envelope, key)?.to_vec();
    let shares = owners
        .iter()
        .map(|o| seal_envelope(o, &envelope))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((sealed, shares))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_read_and_refused_by_name() {
        let h = Header::parse(&file_header()).unwrap().unwrap();
        assert_eq!(h.len, 97);
        assert!(check_file_header(&h).is_ok());
        let other = Header::parse(b"HBEGIN:oc_encryption_module:OTHER:cipher:AES-256-CTR:signed:true:encoding:binary:HEND").unwrap().unwrap();
        assert_eq!(
            check_file_header(&other).unwrap_err().0,
            "unknown encryption module \"OTHER\""
        );
        let cfb = Header::parse(b"HBEGIN:oc_encryption_module:OC_DEFAULT_MODULE:cipher:AES-128-CFB:signed:true:encoding:binary:HEND").unwrap().unwrap();
        assert_eq!(
            check_file_header(&cfb).unwrap_err().0,
            "unsupported cipher \"AES-128-CFB\""
        );
        assert!(Header::parse(b"plain text").unwrap().is_none());
        // Malformed headers are errors, never a panic.
        assert!(Header::parse(b"HBEGIN:HEND").is_err());
        assert!(Header::parse(b"HBEGIN:").is_err());
        assert!(Header::parse(b"HBEGIN:a:HEND").is_err());
    }

    #[test]
    fn lengths_no_encrypted_file_has_are_refused() {
        assert_eq!(plain_size(HEADER_SIZE as u64 - 1), None);
        assert_eq!(plain_size(HEADER_SIZE as u64), Some(0));
        for cut in 1..=META as u64 {
            assert_eq!(plain_size(HEADER_SIZE as u64 + cut), None, "{cut}");
        }
        assert_eq!(plain_size(HEADER_SIZE as u64 + META as u64 + 1), Some(1));
    }

    #[test]
    fn files_round_trip_and_sizes_match() {
        let key: [u8; 32] = random().unwrap();
        for n in [
            0,
            1,
            PLAIN_BLOCK - 1,
            PLAIN_BLOCK,
            PLAIN_BLOCK + 1,
            3 * PLAIN_BLOCK + 17,
        ] {
            let plain: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
            let enc = encrypt_file(&key, 3, &plain, &mut || random()).unwrap();
            assert_eq!(enc.len() as u64, encrypted_size(n as u64), "{n}");
            assert_eq!(plain_size(enc.len() as u64), Some(n as u64), "{n}");
            let size = n as u64;
            let mut cur = std::io::Cursor::new(&enc);
            assert!(first_block_verifies(&key, 3, size, &mut cur).unwrap());
            assert_eq!(
                first_block_verifies(&key, 4, size, &mut cur).unwrap(),
                n == 0
            );
            assert_eq!(decrypt_file(&key, 3, size, &enc).unwrap(), plain, "{n}");
            // Another version, a changed byte, a cut file, a lost last block: refused.
            if n > 0 {
                assert!(decrypt_file(&key, 2, size, &enc).is_err());
                let mut bad = enc.clone();
                bad[HEADER_SIZE] ^= 1;
                assert!(decrypt_file(&key, 3, size, &bad)
                    .unwrap_err()
                    .0
                    .starts_with("bad signature"));
                assert!(decrypt_file(&key, 3, size, &enc[..enc.len() - 1]).is_err());
            }
            if n > PLAIN_BLOCK {
                let whole = HEADER_SIZE + BLOCK_SIZE;
                assert!(decrypt_file(&key, 3, size, &enc[..whole]).is_err());
            }
        }
    }

    #[test]
    fn streams_match_whole_buffers_and_stop_at_a_bad_block() {
        let key: [u8; 32] = random().unwrap();
        for n in [0, 5, PLAIN_BLOCK, 2 * PLAIN_BLOCK + 1] {
            let plain: Vec<u8> = (0..n).map(|i| (i % 253) as u8).collect();
            let ivs: Vec<[u8; 16]> = (0..4).map(|_| random().unwrap()).collect();
            let mut k = 0;
            let whole = encrypt_file(&key, 1, &plain, &mut || {
                k += 1;
                Ok(ivs[k - 1])
            })
            .unwrap();
            let mut j = 0;
            let mut streamed = Vec::new();
            encrypt_stream(
                &key,
                1,
                n as u64,
                &mut &plain[..],
                &mut streamed,
                &mut || {
                    j += 1;
                    Ok(ivs[j - 1])
                },
            )
            .unwrap();
            assert!(streamed == whole, "{n}");
            let mut out = Vec::new();
            decrypt_stream(
                &key,
                1,
                n as u64,
                &mut std::io::Cursor::new(&whole),
                &mut out,
            )
            .unwrap();
            assert!(out == plain, "{n}");
            // Input of another length than announced.
            let mut sink = Vec::new();
            assert!(encrypt_stream(
                &key,
                1,
                n as u64 + 1,
                &mut &plain[..],
                &mut sink,
                &mut || random()
            )
            .is_err());
            if n > 0 {
                let mut sink = Vec::new();
                assert!(encrypt_stream(
                    &key,
                    1,
                    n as u64 - 1,
                    &mut &plain[..],
                    &mut sink,
                    &mut || random()
                )
                .is_err());
            }
        }
        // A bad last block: refused, and only the authentic blocks before it were written.
        let plain = vec![7u8; 2 * PLAIN_BLOCK + 10];
        let mut enc = encrypt_file(&key, 1, &plain, &mut || random()).unwrap();
        let last = enc.len() - 100;
        enc[last] ^= 1;
        let mut out = Vec::new();
        let e = decrypt_stream(
            &key,
            1,
            plain.len() as u64,
            &mut std::io::Cursor::new(&enc),
            &mut out,
        );
        assert_eq!(e.unwrap_err().0, "bad signature (block 2end)");
        assert_eq!(out, vec![7u8; 2 * PLAIN_BLOCK]);
        assert!(decrypt_file(&key, 1, plain.len() as u64, &enc).is_err());
    }

    #[test]
    fn file_keys_seal_and_open() {
        // A small key keeps the test fast; the format does not depend on the size.
        let private = RsaPrivateKey::new(&mut OsRng, 1024).unwrap();
        let public = RsaPublicKey::from(&private);
        let key: [u8; 32] = random().unwrap();
        let (sealed, shares) = seal_file_key(&key, &[&public]).unwrap();
        assert_eq!(sealed.len(), 32);
        assert_eq!(open_file_key(&private, &shares[0], &sealed).unwrap(), key);
        let pass = private_key_passphrase("secret", "master_1", "oc1", "secret");
        let file = encrypt_private_key(&private, &pass).unwrap();
        assert!(file.starts_with(KEY_HEADER.as_bytes()));
        assert_eq!(decrypt_private_key(&file, &pass).unwrap(), private);
        let wrong = private_key_passphrase("other", "master_1", "oc1", "secret");
        assert!(decrypt_private_key(&file, &wrong).is_err());
    }
}
