//! gridmap: draw, audit and publish the township grid map of the river-chief system
//! (河长制网格化管理).
//!
//! The headless core: the project [`model`], file [`io`], the [`audit`] engine, invertible
//! [`edit`]s, derived [`records`], printed sheets ([`print`]), the residents' website ([`publish`]), synthetic data ([`synth`]) and
//! the county database on PostgreSQL/PostGIS ([`county`]). The desktop app (`ui`, the
//! default feature `gui`) builds on these and nothing else depends on it: without the
//! feature the core and the command line build alone.

pub mod audit;
pub mod commands;
pub mod county;
pub mod document;
pub mod edit;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod geom;
pub mod io;
pub mod ledger;
pub mod model;
pub mod print;
pub mod process;
pub mod publish;
pub mod records;
pub mod synth;
pub mod timing;
#[cfg(feature = "gui")]
pub mod ui;

pub use audit::{AuditConfig, Auditor, Finding, Kind, Report, Severity, audit};
pub use model::{Crs, Grid, Project, Staff};
