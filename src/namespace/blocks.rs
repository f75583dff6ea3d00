//! The block metadata beside the inode tree: what Alluxio's block master journals of each block
//! (its length, a BlockInfoEntry) and how a file's blocks are read back. Where blocks are is not
//! here: block locations live in the primary's memory only (`src/master/registry.rs`).

use super::Namespace;
use crate::op::{block_file, BlockId, BlockInfo, FsError, FsReply, InodeId, BLOCK_INDEX_BITS};

impl Namespace {
    /// The blocks committed for file `id`, in order, with their lengths.
    pub(super) fn committed(&self, id: InodeId) -> Vec<(BlockId, u64)> {
        let first = id << BLOCK_INDEX_BITS;
        let end = (id + 1) << BLOCK_INDEX_BITS;
        self.blocks
            .range(first..end)
            .map(|(b, len)| (*b, *len))
            .collect()
    }

    /// A block may be committed to a file that exists, is a file and is not complete yet, once.
    pub(super) fn plan_commit(
        &self,
        block_id: BlockId,
        length: u64,
    ) -> Result<super::Mutation, FsError> {
        let inode = self.node(block_file(block_id))?;
        if inode.dir || inode.complete {
            return Err(FsError::InvalidPath);
        }
        if self.blocks.contains_key(&block_id) {
            return Err(FsError::AlreadyExists);
        }
        Ok(super::Mutation::CommitBlock { block_id, length })
    }

    pub(super) fn apply_commit(
        &mut self,
        block_id: BlockId,
        length: u64,
    ) -> Result<FsReply, String> {
        let file = block_file(block_id);
        if !self.inodes.contains_key(&file) {
            return Err(format!(
                "block {block_id} of a file {file} that is not there"
            ));
        }
        self.blocks.insert(block_id, length);
        Ok(FsReply::Done)
    }

    /// Drops the block metadata of file `id` (deleted).
    pub(super) fn forget_blocks_of(&mut self, id: InodeId) {
        for (b, _) in self.committed(id) {
            self.blocks.remove(&b);
        }
    }

    /// A file's blocks as a block-location answer gives them, without locations: a completed
    /// file's block ids with their lengths; an incomplete file's blocks committed so far.
    pub(super) fn block_infos(&self, id: InodeId) -> Result<FsReply, FsError> {
        let inode = self.node(id)?;
        if inode.dir {
            return Err(FsError::InvalidPath);
        }
        let blocks = if inode.complete {
            inode
                .blocks
                .iter()
                .map(|b| (*b, self.blocks.get(b).copied().unwrap_or(0)))
                .collect()
        } else {
            self.committed(id)
        };
        Ok(FsReply::Blocks(
            blocks
                .into_iter()
                .map(|(block_id, length)| BlockInfo {
                    block_id,
                    length,
                    workers: vec![],
                })
                .collect(),
        ))
    }

    /// Whether block `b` has metadata (it was committed, and its file is still there).
    pub fn has_block(&self, b: BlockId) -> bool {
        self.blocks.contains_key(&b)
    }

    /// The blocks with metadata of every file at or below inode `id`: what deleting `id` frees.
    pub fn blocks_under(&self, id: InodeId) -> Vec<BlockId> {
        let mut out = vec![];
        let mut stack = vec![id];
        while let Some(i) = stack.pop() {
            if let Some(inode) = self.inodes.get(&i) {
                stack.extend(inode.children.values());
                out.extend(self.committed(i).into_iter().map(|(b, _)| b));
            }
        }
        out
    }

    /// Every completed file, by path, with its block ids: what a settled cluster must be able to
    /// locate.
    pub fn completed_files(&self) -> Vec<(String, Vec<BlockId>)> {
        self.paths()
            .into_iter()
            .filter_map(|(path, id)| {
                let inode = self.inodes.get(&id)?;
                (!inode.dir && inode.complete).then(|| (path, inode.blocks.clone()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::namespace::Namespace;
    use crate::op::{block_id, FsError, FsOp, FsReply};

    fn run(ns: &mut Namespace, op: FsOp) -> Result<FsReply, FsError> {
        let m = ns.plan(&op)?;
        Ok(ns.apply(&m).unwrap())
    }

    /// Blocks are committed to an incomplete file once; completing it records them in order with
    /// their total length; a completed file takes no more; deleting it drops their metadata.
    #[test]
    fn blocks_are_committed_then_recorded_by_completion_and_dropped_by_delete() {
        let mut ns = Namespace::default();
        let FsReply::Status { id, .. } =
            run(&mut ns, FsOp::CreateFile { path: "/f".into() }).unwrap()
        else {
            panic!("a status")
        };
        let commit = |index, length| FsOp::CommitBlock {
            block_id: block_id(id, index),
            length,
        };
        run(&mut ns, commit(1, 5)).unwrap();
        run(&mut ns, commit(0, 7)).unwrap();
        assert_eq!(run(&mut ns, commit(0, 7)), Err(FsError::AlreadyExists));
        let done = run(&mut ns, FsOp::CompleteFile { path: "/f".into() }).unwrap();
        assert_eq!(
            done,
            FsReply::Status {
                id,
                dir: false,
                complete: true,
                length: 12,
                blocks: vec![block_id(id, 0), block_id(id, 1)],
            }
        );
        assert_eq!(run(&mut ns, commit(2, 1)), Err(FsError::InvalidPath));
        assert_eq!(ns.completed_files().len(), 1);
        run(
            &mut ns,
            FsOp::Delete {
                path: "/f".into(),
                recursive: false,
            },
        )
        .unwrap();
        assert!(!ns.has_block(block_id(id, 0)));
        assert_eq!(run(&mut ns, commit(3, 1)), Err(FsError::NotFound));
    }
}
