//! The `ftsim` command line: its flags ([`args`]), its handlers ([`commands`]), what it prints
//! ([`render`]) and its exit codes ([`exit`]).

pub mod args;
pub mod commands;
pub mod exit;
pub mod explore;
pub mod out_dir;
pub mod render;
pub mod stop;
