//! `gridmap georef`: fit a scanned map's control points, print the residuals.

use gridmap::commands::{self, GeorefMethod};
use gridmap::io::georef::ControlPoint;
use std::path::PathBuf;

/// `gridmap georef`.
#[derive(clap::Args)]
pub struct GeorefArgs {
    image: PathBuf,
    /// Control points in QGIS's `.points` format (default: IMAGE.points when it exists).
    #[arg(long, conflicts_with = "point")]
    points: Option<PathBuf>,
    /// A control point: image pixel from the upper-left corner (U right, V down) and
    /// map coordinate in the project's CRS; repeat for each point.
    #[arg(long = "point", value_name = "U,V,X,Y", value_parser = commands::parse_control_point)]
    point: Vec<ControlPoint>,
    #[arg(long, value_enum, default_value_t = GeorefMethod::Affine)]
    method: GeorefMethod,
    #[arg(long)]
    save: bool,
}

impl GeorefArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let done = commands::georef(
            &self.image,
            self.points.as_deref(),
            self.point,
            self.method.into(),
            self.save,
        )?;
        out!("{}", commands::render_georef(&done))?;
        Ok(0)
    }
}
