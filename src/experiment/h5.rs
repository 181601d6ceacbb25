//! HDF5 helpers shared by the experiments' files: datasets and groups created without tracked
//! object times (so the same contents give the same bytes), string and scalar attributes, and
//! extendable datasets filled one item at a time.

use std::str::FromStr;

use hdf5::types::VarLenUnicode;
use hdf5::{Dataset, Extent, Extents, Group, H5Type, Hyperslab, Location, Selection, SimpleExtents, SliceOrIndex};
use ndarray::{ArrayViewD, IxDyn};

pub(super) fn varlen(what: &str, s: &str) -> hdf5::Result<VarLenUnicode> {
    VarLenUnicode::from_str(s)
        .map_err(|e| hdf5::Error::from(format!("cannot store the {what} as an HDF5 string: {e} (it contains a NUL)")))
}

pub(super) fn strings(what: &str, items: &[String]) -> hdf5::Result<Vec<VarLenUnicode>> {
    items.iter().map(|s| varlen(what, s)).collect()
}

/// A contiguous dataset without tracked times.
pub(super) fn dataset<T: H5Type>(group: &Group, name: &str, shape: &[usize], data: &[T]) -> hdf5::Result<()> {
    let ds = group.new_dataset::<T>().obj_track_times(false).shape(shape.to_vec()).create(name)?;
    if !data.is_empty() {
        ds.write_raw(data)?;
    }
    Ok(())
}

pub(super) fn group(parent: &Group, name: &str) -> hdf5::Result<Group> {
    parent.create_group_builder().obj_track_times(false).create(name)
}

pub(super) fn attr<T: H5Type>(loc: &Location, name: &str, value: &T) -> hdf5::Result<()> {
    loc.new_attr::<T>().shape(()).create(name)?.write_scalar(value)
}

/// An extendable dataset of `inner`-shaped items, one item per chunk, none yet.
pub(super) fn extendable(group: &Group, name: &str, inner: &[usize]) -> hdf5::Result<Dataset> {
    let mut shape = vec![Extent::resizable(0)];
    let mut chunk = vec![1];
    for &n in inner {
        shape.push(Extent::fixed(n));
        chunk.push(n.max(1));
    }
    group
        .new_dataset::<f64>()
        .obj_track_times(false)
        .chunk(chunk)
        .shape(Extents::Simple(SimpleExtents::from_vec(shape)))
        .create(name)
}

/// Appends `data` (one item, `inner`-shaped) as item `i` of an extendable dataset.
pub(super) fn append(ds: &Dataset, i: usize, inner: &[usize], data: &[f64]) -> hdf5::Result<()> {
    let mut shape = vec![i + 1];
    shape.extend_from_slice(inner);
    ds.resize(shape)?;
    let mut one = vec![1];
    one.extend_from_slice(inner);
    let view = ArrayViewD::from_shape(IxDyn(&one), data).map_err(|e| hdf5::Error::from(e.to_string()))?;
    let slices: Vec<SliceOrIndex> =
        std::iter::once(SliceOrIndex::from(i..i + 1)).chain(inner.iter().map(|_| SliceOrIndex::from(..))).collect();
    ds.write_slice(view, Selection::from(Hyperslab::from(slices)))
}

/// A scalar string dataset.
pub(super) fn scalar_string(group: &Group, name: &str, text: &str) -> hdf5::Result<()> {
    group
        .new_dataset::<VarLenUnicode>()
        .obj_track_times(false)
        .shape(())
        .create(name)?
        .write_scalar(&varlen(name, text)?)
}
