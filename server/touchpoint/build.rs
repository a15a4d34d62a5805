//! Builds the web client in `client/` with npm and embeds its output, so the
//! server stays one binary that needs nothing at run time.
//!
//! The client's build is `node build.mjs <out-dir>`; its files are embedded
//! by `src/assets.rs`. Set `TOUCHPOINT_CLIENT_DIST` to embed a directory
//! built elsewhere instead (for machines without Node.js).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let client = manifest.join("../../client");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-env-changed=TOUCHPOINT_CLIENT_DIST");
    for watched in ["src", "package.json", "package-lock.json", "build.mjs"] {
        println!("cargo:rerun-if-changed={}", client.join(watched).display());
    }
    let dist = match env::var_os("TOUCHPOINT_CLIENT_DIST") {
        Some(dist) => PathBuf::from(dist),
        None => build_client(&client, &out.join("client")),
    };
    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();
    let gz_dir = out.join("gz");
    let _ = fs::remove_dir_all(&gz_dir);
    let mut code = String::from("/// The web client's files.\npub static FILES: &[File] = &[\n");
    for (path, file) in files {
        let kind = content_type(&path);
        let gz = match gzip(&file, &gz_dir.join(format!("{path}.gz"))) {
            Some(gz) => format!("Some(include_bytes!({:?}))", gz.display().to_string()),
            None => "None".to_owned(),
        };
        let bytes = format!("include_bytes!({:?})", file.display().to_string());
        let _ = writeln!(code, "    File {{ path: {path:?}, kind: {kind:?}, bytes: {bytes}, gzipped: {gz} }},");
    }
    code.push_str("];\n");
    let page = fs::read_to_string(dist.join("index.html")).unwrap_or_default();
    let hashes: Vec<String> =
        inline_scripts(&page).iter().map(|script| format!("'sha256-{}'", sha256_base64(script))).collect();
    let _ = writeln!(
        code,
        "/// The Content-Security-Policy sources of the inline scripts of `index.html` (the router).\npub const INLINE_SCRIPTS: &str = {:?};",
        hashes.join(" ")
    );
    fs::write(out.join("assets.rs"), code).expect("writing assets.rs");
}

/// The text of every inline `<script>` of a page (those without `src`), as the browser hashes it.
fn inline_scripts(page: &str) -> Vec<&str> {
    let mut scripts = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find("<script") {
        let Some(tag_end) = rest[start..].find('>').map(|end| start + end + 1) else { break };
        let Some(close) = rest[tag_end..].find("</script>").map(|end| tag_end + end) else { break };
        if !rest[start..tag_end].contains("src=") {
            scripts.push(&rest[tag_end..close]);
        }
        rest = &rest[close..];
    }
    scripts
}

fn sha256_base64(text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()))
}

/// Runs the client's build into `dist`; an absent client embeds nothing.
fn build_client(client: &Path, dist: &Path) -> PathBuf {
    let _ = fs::remove_dir_all(dist);
    fs::create_dir_all(dist).expect("creating the client's output directory");
    if !client.join("package.json").exists() {
        return dist.to_path_buf();
    }
    if !client.join("node_modules").exists() {
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(client), "npm ci");
    }
    run(Command::new("node").arg("build.mjs").arg(dist).current_dir(client), "node build.mjs");
    dist.to_path_buf()
}

fn run(command: &mut Command, what: &str) {
    match command.status() {
        Ok(status) if status.success() => {}
        Ok(status) => {
            panic!("{what} failed in client/ ({status}); Node.js 20+ and npm are needed to build the web client")
        }
        Err(error) => {
            panic!("{what} could not start ({error}); Node.js 20+ and npm are needed to build the web client")
        }
    }
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let name = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            files.push((name, path.canonicalize().unwrap_or(path)));
        }
    }
}

/// Compresses text files once, at build time, so phones on venue Wi-Fi download a third as much.
fn gzip(file: &Path, out: &Path) -> Option<PathBuf> {
    use std::io::Write;
    if !matches!(
        file.extension().and_then(|ext| ext.to_str()),
        Some("html" | "js" | "mjs" | "css" | "svg" | "json" | "txt")
    ) {
        return None;
    }
    let bytes = fs::read(file).ok()?;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&bytes).ok()?;
    let compressed = encoder.finish().ok()?;
    if compressed.len() >= bytes.len() {
        return None;
    }
    fs::create_dir_all(out.parent()?).ok()?;
    fs::write(out, compressed).ok()?;
    Some(out.to_path_buf())
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") | Some("map") => "application/json",
        Some("woff2") => "font/woff2",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
