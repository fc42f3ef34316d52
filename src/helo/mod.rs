//! The HELO/EHLO name we announce: its syntax, the one the local MTA announces, the one a probe
//! chooses, its check against DNS and our address, and the name proposed for our PTR and HELO.

pub mod check;
pub mod choose;
pub mod from_mta;
pub mod propose;
pub mod syntax;
