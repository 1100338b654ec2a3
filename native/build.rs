//! Builds the BPF programs in bpf/ into objects that the engine embeds with
//! `include_bytes!` (the receive counter for src/receiver.rs, the live-frames
//! transmitter for src/engine/xdp/, the probe programs for src/probe.rs, the
//! lab router's steering program for src/impair/), and sets up napi linking.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Each becomes OUT_DIR/<name>.o.
const BPF_SOURCES: [&str; 4] = [
    "bpf/xdp_count.c",
    "bpf/xdp_live_tx.c",
    "bpf/xdp_probe.c",
    "bpf/xdp_impair_steer.c",
];

fn main() {
    napi_build::setup();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // The headers the sources include (stamp.h, field_program.h).
    println!("cargo:rerun-if-changed=bpf");
    for source in BPF_SOURCES {
        println!("cargo:rerun-if-changed={source}");
        let source = Path::new(source);
        let object = out_dir.join(source.with_extension("o").file_name().expect("a file name"));
        compile_bpf(source, &object);
    }
}

fn compile_bpf(source: &Path, object: &Path) {
    if !Path::new("/usr/include/bpf/bpf_helpers.h").exists() {
        panic!(
            "{}: needs /usr/include/bpf/bpf_helpers.h: install libbpf-dev",
            source.display()
        );
    }
    // `-target bpf` does not search the multiarch include directory, where
    // <asm/types.h> (pulled in by <linux/bpf.h>) lives on Debian.
    let multiarch_include = format!("/usr/include/{}", multiarch_triple());
    let status = Command::new("clang")
        .args(["-O2", "-g", "-Wall", "-Werror", "-target", "bpf", "-c"])
        .arg("-I")
        .arg(&multiarch_include)
        .arg(source)
        .arg("-o")
        .arg(object)
        .status()
        .unwrap_or_else(|err| panic!("{}: cannot run clang: {err}", source.display()));
    if !status.success() {
        panic!("{}: clang -target bpf failed ({status})", source.display());
    }
}

/// Debian's multiarch name for the build target, e.g. x86_64-linux-gnu.
fn multiarch_triple() -> String {
    let arch = env::var("CARGO_CFG_TARGET_ARCH").expect("cargo sets CARGO_CFG_TARGET_ARCH");
    let env_abi = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_else(|_| "gnu".into());
    match arch.as_str() {
        "arm" => format!("arm-linux-{env_abi}eabihf"),
        "x86" => format!("i386-linux-{env_abi}"),
        other => format!("{other}-linux-{env_abi}"),
    }
}
