//! CRS definitions in files: naming the EPSG code of a WKT (an ESRI `.prj`, a GeoPackage
//! `gpkg_spatial_ref_sys` row) and writing the WKT of an EPSG code. PROJ does both from
//! its embedded database; `proj_identify` is not wrapped by the `proj` crate, so this
//! module calls it through `proj-sys` (the only unsafe code in gridmap besides one `prctl` at
//! start-up in `src/process.rs`).

use super::SourceCrs;
use super::error::CrsError;
use crate::model::Crs;
use proj_sys as ffi;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::hash::Hash;
use std::sync::{Mutex, OnceLock};

/// Answers PROJ gave, kept for the life of the process: a file of a million features, or
/// an export after a read, asks once.
type Memo<K, V> = OnceLock<Mutex<HashMap<K, V>>>;

/// The answer kept for `key`, else `make`'s (kept when it is not an error).
fn remembered<K: Hash + Eq, V: Clone, E>(
    memo: &Memo<K, V>,
    key: K,
    make: impl FnOnce() -> Result<V, E>,
) -> Result<V, E> {
    let memo = memo.get_or_init(Default::default);
    if let Some(v) = memo.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(v);
    }
    let v = make()?;
    if let Ok(mut m) = memo.lock() {
        m.insert(key, v.clone());
    }
    Ok(v)
}

/// Owns a PROJ context and the objects made in it.
struct Ctx(*mut ffi::PJ_CONTEXT);

impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: the context was made by proj_context_create and is destroyed once.
        unsafe {
            ffi::proj_context_destroy(self.0);
        }
    }
}

struct Obj(*mut ffi::PJ);

impl Drop for Obj {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: a non-null PJ made by PROJ, destroyed once.
            unsafe {
                ffi::proj_destroy(self.0);
            }
        }
    }
}

/// An object PROJ made, with the context of its own it was made in. Fields drop in
/// order: the object before its context.
struct Made {
    obj: Obj,
    ctx: Ctx,
}

/// PROJ's object for `text` (an authority code such as `EPSG:4547`, or a WKT), in a new
/// context that logs nothing (errors go to the caller); None when PROJ cannot make it.
fn make(text: &CStr) -> Option<Made> {
    // SAFETY: the context and the object are owned by their guards from the start.
    unsafe {
        let ctx = Ctx(ffi::proj_context_create());
        ffi::proj_log_level(ctx.0, ffi::PJ_LOG_LEVEL_PJ_LOG_NONE);
        let obj = Obj(ffi::proj_create(ctx.0, text.as_ptr()));
        (!obj.0.is_null()).then_some(Made { obj, ctx })
    }
}

/// The EPSG code an object carries itself (`AUTHORITY["EPSG","4546"]`, `ID["EPSG",4546]`).
fn own_epsg(obj: *const ffi::PJ) -> Option<u32> {
    // SAFETY: obj is a live PJ; the returned strings belong to it and are copied at once.
    unsafe {
        let auth = ffi::proj_get_id_auth_name(obj, 0);
        let code = ffi::proj_get_id_code(obj, 0);
        if auth.is_null() || code.is_null() {
            return None;
        }
        if CStr::from_ptr(auth).to_str().ok()? != "EPSG" {
            return None;
        }
        CStr::from_ptr(code).to_str().ok()?.parse().ok()
    }
}

/// Interpret a WKT (WKT1 as GDAL or ESRI write it, or WKT2): the EPSG CRS it is, when
/// PROJ finds one with confidence of at least 70%, else the definition itself. Errors
/// when PROJ cannot read it or it is not a 2D geographic or projected CRS.
pub fn crs_from_wkt(wkt: &str) -> Result<SourceCrs, CrsError> {
    let text = wkt.trim().trim_start_matches('\u{feff}');
    if text.is_empty() {
        return Err(CrsError::Empty);
    }
    let c_text = CString::new(text)?;
    let made = make(&c_text).ok_or(CrsError::Unreadable)?;
    let (ctx, obj) = (&made.ctx, &made.obj);
    // SAFETY: every PROJ object made here is owned by Ctx/Obj guards, lists are freed
    // before return, and pointers are only read while their owners live.
    unsafe {
        let kind = ffi::proj_get_type(obj.0);
        let geographic = match kind {
            ffi::PJ_TYPE_PJ_TYPE_GEOGRAPHIC_2D_CRS | ffi::PJ_TYPE_PJ_TYPE_GEOGRAPHIC_3D_CRS => true,
            ffi::PJ_TYPE_PJ_TYPE_PROJECTED_CRS => false,
            _ => return Err(CrsError::NotGeographicOrProjected),
        };
        if let Some(code) = own_epsg(obj.0) {
            return Ok(SourceCrs::Epsg(Crs::epsg(code)));
        }
        let auth = CString::new("EPSG").expect("no NUL");
        let mut confidence: *mut std::os::raw::c_int = std::ptr::null_mut();
        let list = ffi::proj_identify(
            ctx.0,
            obj.0,
            auth.as_ptr(),
            std::ptr::null(),
            &mut confidence,
        );
        let mut found = None;
        if !list.is_null() {
            let n = ffi::proj_list_get_count(list);
            for i in 0..n {
                let conf = if confidence.is_null() {
                    0
                } else {
                    *confidence.add(i as usize)
                };
                if conf < 70 {
                    continue;
                }
                let cand = Obj(ffi::proj_list_get(ctx.0, list, i));
                if let Some(code) = own_epsg(cand.0) {
                    found = Some(code);
                    break;
                }
            }
            ffi::proj_list_destroy(list);
        }
        if !confidence.is_null() {
            ffi::proj_int_list_destroy(confidence);
        }
        Ok(match found {
            Some(code) => SourceCrs::Epsg(Crs::epsg(code)),
            None => SourceCrs::Definition {
                text: text.to_string(),
                geographic,
            },
        })
    }
}

/// The WKT of an EPSG CRS: ESRI's WKT1 for `.prj` files (what ArcGIS and older QGIS
/// read), else OGC WKT1 as GDAL writes it (GeoPackage `definition`). An error, not a
/// panic, for a CRS that WKT1 cannot describe.
pub fn crs_wkt(crs: Crs, esri: bool) -> Result<String, CrsError> {
    static KNOWN: Memo<(u32, bool), String> = OnceLock::new();
    remembered(&KNOWN, (crs.epsg, esri), || {
        let what = crs.authority();
        let c_text = CString::new(what.clone())?;
        let kind = if esri {
            ffi::PJ_WKT_TYPE_PJ_WKT1_ESRI
        } else {
            ffi::PJ_WKT_TYPE_PJ_WKT1_GDAL
        };
        let Some(made) = make(&c_text) else {
            return Err(CrsError::Unknown(what));
        };
        // SAFETY: the context and object are owned by guards; the WKT string belongs to the
        // object and is copied before the guards drop.
        unsafe {
            let wkt = ffi::proj_as_wkt(made.ctx.0, made.obj.0, kind, std::ptr::null());
            if wkt.is_null() {
                return Err(CrsError::NoWkt1(what));
            }
            Ok(CStr::from_ptr(wkt).to_string_lossy().into_owned())
        }
    })
}

/// What PROJ knows an EPSG code as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrsKind {
    /// Longitude/latitude (2D or 3D).
    Geographic,
    Projected,
    /// Geocentric, vertical, compound, ...: nothing a grid map is drawn in.
    Other,
}

/// The kind of an EPSG CRS; None when PROJ does not know the code. Answers are kept, so a
/// file of a million features asks PROJ once.
pub fn crs_kind(crs: Crs) -> Option<CrsKind> {
    static KNOWN: Memo<u32, Option<CrsKind>> = OnceLock::new();
    let Ok(kind) = remembered(&KNOWN, crs.epsg, || {
        Ok::<_, std::convert::Infallible>(ask_kind(crs))
    });
    kind
}

fn ask_kind(crs: Crs) -> Option<CrsKind> {
    let c_text = CString::new(crs.authority()).ok()?;
    let made = make(&c_text)?;
    // SAFETY: the object is live, owned by its guard.
    unsafe {
        Some(match ffi::proj_get_type(made.obj.0) {
            ffi::PJ_TYPE_PJ_TYPE_GEOGRAPHIC_2D_CRS | ffi::PJ_TYPE_PJ_TYPE_GEOGRAPHIC_3D_CRS => {
                CrsKind::Geographic
            }
            ffi::PJ_TYPE_PJ_TYPE_PROJECTED_CRS => CrsKind::Projected,
            _ => CrsKind::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esri_gk_zone_is_identified() {
        let wkt = crs_wkt(Crs::epsg(4546), true).unwrap();
        assert!(
            wkt.starts_with("PROJCS[\"CGCS2000_3_Degree_GK_CM_111E\""),
            "{wkt}"
        );
        assert_eq!(
            crs_from_wkt(&wkt).unwrap(),
            SourceCrs::Epsg(Crs::epsg(4546))
        );
        let gdal = crs_wkt(Crs::epsg(4526), false).unwrap();
        assert_eq!(
            crs_from_wkt(&gdal).unwrap(),
            SourceCrs::Epsg(Crs::epsg(4526))
        );
    }

    #[test]
    fn unreadable_wkt_is_an_error() {
        assert!(crs_from_wkt("PROJCS[\"nonsense\"").is_err());
        assert!(crs_from_wkt("").is_err());
    }
}
