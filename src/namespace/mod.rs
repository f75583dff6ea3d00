//! The file-system namespace a master serves: an inode tree with stable ids.
//!
//! Mutations are planned on the primary (which assigns ids) into a [`Mutation`], the content of a
//! journal entry; applying the same mutations in the same order always gives the same tree, so
//! masters are compared by [`Namespace::digest`].

mod blocks;

use crate::hash::Fnv;
use crate::op::{BlockId, FsError, FsOp, FsReply, InodeId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// The state change of one journal entry, with every id it assigns.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Mutation {
    /// A directory `name` under `parent`, with inode `id`.
    Mkdir {
        /// The parent directory.
        parent: InodeId,
        /// The new directory's name.
        name: String,
        /// Its inode id, assigned by the primary.
        id: InodeId,
    },
    /// A file `name` under `parent`, with inode `id`.
    CreateFile {
        /// The parent directory.
        parent: InodeId,
        /// The new file's name.
        name: String,
        /// Its inode id, assigned by the primary.
        id: InodeId,
    },
    /// File `id` completed, with the blocks committed for it so far, in order, and their total
    /// length (Alluxio's CompleteFileEntry).
    CompleteFile {
        /// The file.
        id: InodeId,
        /// Its length in bytes.
        #[serde(default)]
        length: u64,
        /// Its block ids, in order.
        #[serde(default)]
        blocks: Vec<BlockId>,
    },
    /// A worker committed block `block_id` of `length` bytes (Alluxio's BlockInfoEntry).
    CommitBlock {
        /// The block.
        block_id: BlockId,
        /// Its length in bytes.
        length: u64,
    },
    /// Inode `id` deleted, with everything below it.
    Delete {
        /// The inode deleted.
        id: InodeId,
    },
    /// Inode `id` moved under `new_parent` as `new_name`.
    Rename {
        /// The inode moved.
        id: InodeId,
        /// Its new parent directory.
        new_parent: InodeId,
        /// Its new name.
        new_name: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct Inode {
    parent: InodeId,
    name: String,
    dir: bool,
    complete: bool,
    children: BTreeMap<String, InodeId>,
    /// A completed file's length and block ids.
    #[serde(default)]
    length: u64,
    #[serde(default)]
    blocks: Vec<BlockId>,
}

/// The inode tree, and the block metadata (each committed block's length) that Alluxio's block
/// master journals beside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    inodes: BTreeMap<InodeId, Inode>,
    next_id: InodeId,
    /// Committed blocks and their lengths.
    #[serde(default)]
    blocks: BTreeMap<BlockId, u64>,
}

impl Default for Namespace {
    fn default() -> Self {
        let mut inodes = BTreeMap::new();
        inodes.insert(
            0,
            Inode {
                parent: 0,
                name: String::new(),
                dir: true,
                complete: true,
                children: BTreeMap::new(),
                length: 0,
                blocks: vec![],
            },
        );
        Namespace {
            inodes,
            next_id: 1,
            blocks: BTreeMap::new(),
        }
    }
}

fn split(path: &str) -> Result<Vec<&str>, FsError> {
    if !path.starts_with('/') {
        return Err(FsError::InvalidPath);
    }
    Ok(path.split('/').filter(|c| !c.is_empty()).collect())
}

impl Namespace {
    /// Number of inodes, the root included.
    pub fn len(&self) -> usize {
        self.inodes.len()
    }

    /// Whether only the root exists.
    pub fn is_empty(&self) -> bool {
        self.inodes.len() == 1
    }

    /// An inode by id. A dangling id (a replica that applied mutations outside the journal, as
    /// planted bug B1 does) reads as not found rather than a panic.
    fn node(&self, id: InodeId) -> Result<&Inode, FsError> {
        self.inodes.get(&id).ok_or(FsError::NotFound)
    }

    fn lookup(&self, path: &str) -> Result<InodeId, FsError> {
        let mut id = 0;
        for name in split(path)? {
            let inode = self.node(id)?;
            if !inode.dir {
                return Err(FsError::NotADirectory);
            }
            id = *inode.children.get(name).ok_or(FsError::NotFound)?;
        }
        Ok(id)
    }

    /// The parent directory's id and the last name of a path.
    fn parent_of(&self, path: &str) -> Result<(InodeId, String), FsError> {
        let parts = split(path)?;
        let (name, dirs) = parts.split_last().ok_or(FsError::InvalidPath)?;
        let parent = self.lookup(&format!("/{}", dirs.join("/")))?;
        if !self.node(parent)?.dir {
            return Err(FsError::NotADirectory);
        }
        Ok((parent, name.to_string()))
    }

    fn status(&self, id: InodeId) -> FsReply {
        match self.inodes.get(&id) {
            Some(i) => FsReply::Status {
                id,
                dir: i.dir,
                complete: i.complete,
                length: i.length,
                blocks: i.blocks.clone(),
            },
            None => FsReply::Status {
                id,
                dir: false,
                complete: false,
                length: 0,
                blocks: vec![],
            },
        }
    }

    /// Answers a read-only operation.
    pub fn read(&self, op: &FsOp) -> Result<FsReply, FsError> {
        match op {
            FsOp::GetStatus { path } => Ok(self.status(self.lookup(path)?)),
            FsOp::ListStatus { path } => {
                let inode = self.node(self.lookup(path)?)?;
                if !inode.dir {
                    return Err(FsError::NotADirectory);
                }
                Ok(FsReply::Listing(
                    inode
                        .children
                        .iter()
                        .map(|(n, i)| (n.clone(), *i))
                        .collect(),
                ))
            }
            FsOp::GetBlockLocations { path } => self.block_infos(self.lookup(path)?),
            _ => Err(FsError::InvalidPath),
        }
    }

    /// Checks a mutating operation against the tree and turns it into the journal entry's content,
    /// assigning new ids. Nothing changes until [`Namespace::apply`].
    pub fn plan(&self, op: &FsOp) -> Result<Mutation, FsError> {
        match op {
            FsOp::Mkdir { path } | FsOp::CreateFile { path } => {
                let (parent, name) = self.parent_of(path)?;
                if self.node(parent)?.children.contains_key(&name) {
                    return Err(FsError::AlreadyExists);
                }
                let id = self.next_id;
                Ok(if matches!(op, FsOp::Mkdir { .. }) {
                    Mutation::Mkdir { parent, name, id }
                } else {
                    Mutation::CreateFile { parent, name, id }
                })
            }
            FsOp::CompleteFile { path } => {
                let id = self.lookup(path)?;
                let inode = self.node(id)?;
                if inode.dir || inode.complete {
                    return Err(FsError::InvalidPath);
                }
                let blocks = self.committed(id);
                Ok(Mutation::CompleteFile {
                    id,
                    length: blocks.iter().map(|(_, len)| len).sum(),
                    blocks: blocks.into_iter().map(|(b, _)| b).collect(),
                })
            }
            FsOp::CommitBlock { block_id, length } => self.plan_commit(*block_id, *length),
            FsOp::Delete { path, recursive } => {
                let id = self.lookup(path)?;
                if id == 0 {
                    return Err(FsError::InvalidPath);
                }
                if !recursive && !self.node(id)?.children.is_empty() {
                    return Err(FsError::DirectoryNotEmpty);
                }
                Ok(Mutation::Delete { id })
            }
            FsOp::Rename { src, dst } => {
                let id = self.lookup(src)?;
                let (new_parent, new_name) = self.parent_of(dst)?;
                if id == 0 || self.is_ancestor(id, new_parent) {
                    return Err(FsError::InvalidPath);
                }
                if self.node(new_parent)?.children.contains_key(&new_name) {
                    return Err(FsError::AlreadyExists);
                }
                Ok(Mutation::Rename {
                    id,
                    new_parent,
                    new_name,
                })
            }
            FsOp::GetStatus { .. }
            | FsOp::ListStatus { .. }
            | FsOp::GetBlockLocations { .. }
            | FsOp::GetWorkerInfoList => Err(FsError::InvalidPath),
        }
    }

    fn is_ancestor(&self, ancestor: InodeId, mut id: InodeId) -> bool {
        loop {
            if id == ancestor {
                return true;
            }
            if id == 0 {
                return false;
            }
            match self.inodes.get(&id) {
                Some(inode) => id = inode.parent,
                None => return false,
            }
        }
    }

    /// Applies a journal entry's mutation and returns what the operation answers.
    ///
    /// Replay calls this too; an entry that does not fit the tree (it never should) is reported
    /// rather than panicking, so a corrupted journal shows up as a checker violation.
    pub fn apply(&mut self, m: &Mutation) -> Result<FsReply, String> {
        match m {
            Mutation::Mkdir { parent, name, id } | Mutation::CreateFile { parent, name, id } => {
                let dir = matches!(m, Mutation::Mkdir { .. });
                let p = self
                    .inodes
                    .get_mut(parent)
                    .ok_or_else(|| format!("no parent {parent}"))?;
                if p.children.insert(name.clone(), *id).is_some() {
                    return Err(format!("{name} exists under {parent}"));
                }
                self.inodes.insert(
                    *id,
                    Inode {
                        parent: *parent,
                        name: name.clone(),
                        dir,
                        complete: dir,
                        children: BTreeMap::new(),
                        length: 0,
                        blocks: vec![],
                    },
                );
                self.next_id = self.next_id.max(id + 1);
                Ok(self.status(*id))
            }
            Mutation::CompleteFile { id, length, blocks } => {
                let inode = self
                    .inodes
                    .get_mut(id)
                    .ok_or_else(|| format!("no inode {id}"))?;
                inode.complete = true;
                inode.length = *length;
                inode.blocks = blocks.clone();
                Ok(self.status(*id))
            }
            Mutation::CommitBlock { block_id, length } => self.apply_commit(*block_id, *length),
            Mutation::Delete { id } => {
                let inode = self
                    .inodes
                    .get(id)
                    .ok_or_else(|| format!("no inode {id}"))?
                    .clone();
                if let Some(p) = self.inodes.get_mut(&inode.parent) {
                    p.children.remove(&inode.name);
                }
                let mut stack = vec![*id];
                while let Some(i) = stack.pop() {
                    if let Some(gone) = self.inodes.remove(&i) {
                        stack.extend(gone.children.values());
                        self.forget_blocks_of(i);
                    }
                }
                Ok(FsReply::Done)
            }
            Mutation::Rename {
                id,
                new_parent,
                new_name,
            } => {
                let inode = self
                    .inodes
                    .get(id)
                    .ok_or_else(|| format!("no inode {id}"))?
                    .clone();
                if !self.inodes.contains_key(new_parent) {
                    return Err(format!("no parent {new_parent}"));
                }
                if let Some(p) = self.inodes.get_mut(&inode.parent) {
                    p.children.remove(&inode.name);
                }
                if let Some(p) = self.inodes.get_mut(new_parent) {
                    p.children.insert(new_name.clone(), *id);
                }
                if let Some(moved) = self.inodes.get_mut(id) {
                    moved.parent = *new_parent;
                    moved.name = new_name.clone();
                }
                Ok(FsReply::Done)
            }
        }
    }

    /// A digest of the whole tree: equal trees, equal digests.
    pub fn digest(&self) -> u64 {
        let mut h = Fnv::default();
        self.inodes.hash(&mut h);
        self.next_id.hash(&mut h);
        self.blocks.hash(&mut h);
        h.finish()
    }

    /// Every path in the tree with its inode id, sorted: the form stories compare.
    pub fn paths(&self) -> BTreeMap<String, InodeId> {
        let mut out = BTreeMap::new();
        let mut stack = vec![(0u64, String::new())];
        while let Some((id, path)) = stack.pop() {
            let Some(inode) = self.inodes.get(&id) else {
                continue;
            };
            for (name, child) in &inode.children {
                let p = format!("{path}/{name}");
                out.insert(p.clone(), *child);
                stack.push((*child, p));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ns: &mut Namespace, op: FsOp) -> Result<FsReply, FsError> {
        let m = ns.plan(&op)?;
        Ok(ns.apply(&m).unwrap())
    }

    #[test]
    fn replaying_the_same_mutations_gives_the_same_digest() {
        let mut a = Namespace::default();
        let mut log = vec![];
        for op in [
            FsOp::Mkdir { path: "/d".into() },
            FsOp::CreateFile {
                path: "/d/f".into(),
            },
            FsOp::Rename {
                src: "/d/f".into(),
                dst: "/g".into(),
            },
            FsOp::CompleteFile { path: "/g".into() },
        ] {
            let m = a.plan(&op).unwrap();
            a.apply(&m).unwrap();
            log.push(m);
        }
        let mut b = Namespace::default();
        for m in &log {
            b.apply(m).unwrap();
        }
        assert_eq!(a.digest(), b.digest());
        assert_eq!(a.paths().keys().collect::<Vec<_>>(), vec!["/d", "/g"]);
    }

    #[test]
    fn errors_are_definite() {
        let mut ns = Namespace::default();
        run(&mut ns, FsOp::Mkdir { path: "/d".into() }).unwrap();
        assert_eq!(
            run(&mut ns, FsOp::Mkdir { path: "/d".into() }),
            Err(FsError::AlreadyExists)
        );
        run(
            &mut ns,
            FsOp::CreateFile {
                path: "/d/f".into(),
            },
        )
        .unwrap();
        assert_eq!(
            run(
                &mut ns,
                FsOp::Delete {
                    path: "/d".into(),
                    recursive: false
                }
            ),
            Err(FsError::DirectoryNotEmpty)
        );
        run(
            &mut ns,
            FsOp::Delete {
                path: "/d".into(),
                recursive: true,
            },
        )
        .unwrap();
        assert_eq!(
            ns.read(&FsOp::GetStatus {
                path: "/d/f".into()
            }),
            Err(FsError::NotFound)
        );
        assert_eq!(ns.len(), 1);
    }
}
