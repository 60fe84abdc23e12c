//! The desktop app driven as a user would, with egui_kittest: clicks on buttons found by
//! their label, clicks and drags on the map at the screen positions of real coordinates.
//!
//! One test binary, a module per area of the app; the shared helpers are `tests/common`.

#[path = "../common/mod.rs"]
mod common;

mod audit;
mod backgrounds;
mod edit;
mod files;
mod print;
mod records;
mod shell;
