//! GeoJSON geometry parsed straight into `geo` types: the nested coordinate arrays are read
//! by one small visitor without an intermediate value per position, which makes reading a
//! 100k-grid file several times faster than going through a generic JSON tree.

use super::error::GeometryError;
use geo::{Coord, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use std::fmt;

/// A nested coordinate array: a position, or a list of nested arrays.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Pos(Coord<f64>),
    List(Vec<Node>),
}

/// One element while reading an array: a number (part of a position) or a nested array.
enum Elem {
    Num(f64),
    Node(Node),
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON coordinate array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        match seq.next_element::<Elem>()? {
            None => Ok(Node::List(Vec::new())),
            Some(Elem::Num(x)) => {
                let y = match seq.next_element::<Elem>()? {
                    Some(Elem::Num(y)) => y,
                    _ => return Err(de::Error::custom("a position needs at least two numbers")),
                };
                // Z and M values are accepted and dropped.
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Node::Pos(Coord { x, y }))
            }
            Some(Elem::Node(first)) => {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(4) + 1);
                v.push(first);
                while let Some(n) = seq.next_element::<Node>()? {
                    v.push(n);
                }
                Ok(Node::List(v))
            }
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_seq(NodeVisitor)
    }
}

struct ElemVisitor;

impl<'de> Visitor<'de> for ElemVisitor {
    type Value = Elem;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or a coordinate array")
    }
    fn visit_f64<E>(self, v: f64) -> Result<Elem, E> {
        Ok(Elem::Num(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Elem, E> {
        Ok(Elem::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Elem, E> {
        Ok(Elem::Num(v as f64))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Elem, A::Error> {
        NodeVisitor.visit_seq(seq).map(Elem::Node)
    }
}

impl<'de> Deserialize<'de> for Elem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Elem, D::Error> {
        d.deserialize_any(ElemVisitor)
    }
}

/// A GeoJSON geometry object as read.
#[derive(Debug, Deserialize)]
pub struct RawGeometry {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub coordinates: Option<Node>,
}

fn positions(n: &Node, what: &'static str) -> Result<Vec<Coord<f64>>, GeometryError> {
    match n {
        Node::List(items) => items
            .iter()
            .map(|i| match i {
                Node::Pos(c) => Ok(*c),
                Node::List(_) => Err(GeometryError::NestedNotPositions { what }),
            })
            .collect(),
        Node::Pos(_) => Err(GeometryError::OnePosition { what }),
    }
}

fn lists<'a>(n: &'a Node, what: &'static str) -> Result<&'a [Node], GeometryError> {
    match n {
        Node::List(items) => Ok(items),
        Node::Pos(_) => Err(GeometryError::PositionNotNested { what }),
    }
}

/// Convert a ring, closing it if needed (and noting that it was not closed).
fn ring(n: &Node, unclosed: &mut bool) -> Result<LineString<f64>, GeometryError> {
    let mut pts = positions(n, "Polygon ring")?;
    if pts.len() >= 2 && pts.first() != pts.last() {
        *unclosed = true;
        pts.push(pts[0]);
    }
    Ok(LineString(pts))
}

fn polygon(n: &Node, unclosed: &mut bool) -> Result<Polygon<f64>, GeometryError> {
    let rings = lists(n, "Polygon")?;
    let mut it = rings.iter().map(|r| ring(r, unclosed));
    let ext = it.next().transpose()?.unwrap_or_else(|| LineString(vec![]));
    let holes = it.collect::<Result<Vec<_>, _>>()?;
    // geo's Polygon::new closes rings itself; they were closed above to notice.
    Ok(Polygon::new(ext, holes))
}

impl RawGeometry {
    /// The geometry as `geo` types; `unclosed` is set when a ring had to be closed.
    pub fn to_geo(&self, unclosed: &mut bool) -> Result<geo::Geometry<f64>, GeometryError> {
        let empty = Node::List(Vec::new());
        let c = self.coordinates.as_ref().unwrap_or(&empty);
        Ok(match self.kind.as_str() {
            "Point" => match c {
                Node::Pos(p) => geo::Geometry::Point(Point(*p)),
                Node::List(_) => return Err(GeometryError::PointNotPosition),
            },
            "MultiPoint" => geo::Geometry::MultiPoint(geo::MultiPoint(
                positions(c, "MultiPoint")?.into_iter().map(Point).collect(),
            )),
            "LineString" => geo::Geometry::LineString(LineString(positions(c, "LineString")?)),
            "MultiLineString" => geo::Geometry::MultiLineString(MultiLineString(
                lists(c, "MultiLineString")?
                    .iter()
                    .map(|l| positions(l, "MultiLineString").map(LineString))
                    .collect::<Result<_, _>>()?,
            )),
            "Polygon" => geo::Geometry::Polygon(polygon(c, unclosed)?),
            "MultiPolygon" => geo::Geometry::MultiPolygon(MultiPolygon(
                lists(c, "MultiPolygon")?
                    .iter()
                    .map(|p| polygon(p, unclosed))
                    .collect::<Result<_, _>>()?,
            )),
            other => return Err(GeometryError::Unsupported(other.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygon_with_z_and_integer_coordinates() {
        let g: RawGeometry = serde_json::from_str(
            r#"{"type":"Polygon","coordinates":[[[0,0,5],[10,0,5],[10,10,5],[0,10,5]]]}"#,
        )
        .unwrap();
        let mut unclosed = false;
        let geo::Geometry::Polygon(p) = g.to_geo(&mut unclosed).unwrap() else {
            panic!()
        };
        assert!(unclosed);
        assert_eq!(p.exterior().0.len(), 5);
        assert_eq!(p.exterior().0[1], Coord { x: 10.0, y: 0.0 });
    }

    #[test]
    fn wrong_nesting_is_an_error() {
        let g: RawGeometry =
            serde_json::from_str(r#"{"type":"Polygon","coordinates":[[1,2],[3,4]]}"#).unwrap();
        let mut unclosed = false;
        assert!(
            g.to_geo(&mut unclosed)
                .unwrap_err()
                .to_string()
                .contains("Polygon")
        );
    }
}
