//! herd's own slim records and the rules that read them, free of any IO.

pub mod placement;
pub mod quantity;
pub mod selector;
pub mod taint;
