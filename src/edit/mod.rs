//! Editing: invertible commands over the project and the undo history. The UI only builds
//! commands from user input and commits them here; everything is testable without a
//! display.

mod features;
mod history;
mod lookup;
mod ops;
mod partition;
mod snap;

#[cfg(feature = "gui")]
pub(crate) use features::on_layer;
pub use features::{
    Shape, clip_river, move_vertex_of, new_feature_id, pick, rename, split_river, vertex_near,
};
pub use history::{ApplyError, Change, History, LayerChanges, Purpose, SettingChange, Transaction};
pub use lookup::Lookup;
pub use ops::{
    Avoid, EditError, SNAP_EPS, add_feature, add_grid, delete, delete_feature, delete_vertex,
    fill_gap, free_part, gap_neighbours, insert_vertex, merge, merge_default, merge_keeping,
    move_vertex, new_id, reshape, set_feature, set_record, split,
};
pub use partition::{PartitionOptions, node_boundary, partition};
pub use snap::{OldShapes, Snap, SnapIndex, SnapKind, trace};
