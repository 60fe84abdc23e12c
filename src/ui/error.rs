//! The app's own errors (a screenshot it writes, a tile it decodes, a save from its worker,
//! the import dialog's choices), each keeping the lower layer's error as its source; the
//! app shows any of them through [`crate::error::report`] (see `GridmapApp::show_error`).

/// An error of the desktop app.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// The `--screenshot` image could not be written.
    #[error("截图未保存：{path}\nthe screenshot was not saved: {path}")]
    Screenshot {
        path: String,
        #[source]
        source: png::EncodingError,
    },
    /// The window closed before the `--screenshot` image was taken.
    #[error(
        "截图未保存：窗口在截图前关闭\nthe screenshot was not saved: the window closed before it was taken"
    )]
    ScreenshotNotTaken,
    /// A tile's bytes are not an image.
    #[error("瓦片不是可读的图像\nthe tile is not a readable image")]
    TileImage(#[source] image::ImageError),
    /// A tile could not be loaded.
    #[error(transparent)]
    Tile(#[from] crate::io::TileError),
    /// The saver's copy of the project no longer matches the document: not written.
    #[error("后台副本与文档不一致，未写入\nthe background copy is out of step, not written")]
    OutOfStep(#[source] crate::edit::ApplyError),
    /// The saver could not write the file.
    #[error(transparent)]
    Save(#[from] crate::io::WriteError),
    /// The CRS typed in the import dialog is not one.
    #[error(transparent)]
    Crs(#[from] crate::commands::ArgError),
    /// The file could not be read with the import dialog's choices (its message without
    /// the file's name, which the dialog shows).
    #[error("{}\n{}", .0.zh, .0.en)]
    Read(crate::io::LoadError),
    /// The file being opened could not be read.
    #[error(transparent)]
    Open(#[from] crate::io::LoadError),
    /// No window could be opened (no display, or no OpenGL context the app can draw with,
    /// software rendering included).
    #[error("无法打开窗口：{0}\ncannot open a window: {0}")]
    NoWindow(String),
    /// The worker opening a file stopped without an answer.
    #[error("打开失败：后台线程意外结束\nopening failed: the worker stopped")]
    WorkerStopped,
}
