//! Finds the outside tools some integration tests drive (kubectl, tmux), so that a test whose
//! tool is missing is reported as ignored, with the reason, rather than passing without
//! having run. Under CI (`CI` set) nothing is ignored: a missing tool fails those tests with
//! a message saying what to install, because a green CI run must have run them.

use std::process::Command;

/// (tool, arguments that succeed when it works, the cfg set when it is missing)
const TOOLS: [(&str, &[&str], &str); 2] = [
    ("kubectl", &["version", "--client"], "herd_no_kubectl"),
    ("tmux", &["-V"], "herd_no_tmux"),
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=CI");
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    for (tool, args, cfg) in TOOLS {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        let works = Command::new(tool)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success());
        if !works && !ci {
            println!("cargo::rustc-cfg={cfg}");
            println!(
                "cargo::warning={tool} is not on PATH: the tests that drive it are ignored \
                 (install it and rebuild to run them)"
            );
        }
    }
}
