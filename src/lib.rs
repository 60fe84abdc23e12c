//! gridmap: draw, audit and publish the township grid map of the river-chief system
//! (河长制网格化管理).
//!
//! The headless core: the project [`model`], file [`io`], the [`audit`] engine and
//! synthetic data ([`synth`]). The desktop UI builds on these and nothing here depends on it.

pub mod audit;
pub mod commands;
pub mod edit;
pub mod geom;
pub mod io;
pub mod model;
pub mod synth;
pub mod timing;

pub use audit::{AuditConfig, Auditor, Finding, Kind, Report, Severity, audit};
pub use model::{Crs, Grid, Project, Staff};
