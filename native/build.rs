//! Builds the XDP receive counter (bpf/xdp_count.c) into a BPF object that
//! src/receiver.rs embeds with `include_bytes!`, and sets up napi linking.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const BPF_SOURCE: &str = "bpf/xdp_count.c";

fn main() {
    napi_build::setup();
    println!("cargo:rerun-if-changed={BPF_SOURCE}");

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let object = out_dir.join("xdp_count.o");
    compile_bpf(Path::new(BPF_SOURCE), &object);
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
